using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Functions.Tests.Support;

/// <summary>
/// The app's real service registration against a real Azurite process: function classes are created from it
/// as the worker would create them. Only the Functions host (HTTP routing, triggers, keys) is left out.
/// </summary>
public class FunctionsApp : IAsyncLifetime
{
    private readonly AzuriteProcess azurite = new();
    private ServiceProvider? services;

    public ManualTimeProvider Time { get; } = new();

    public IServiceProvider Services => services ?? throw new InvalidOperationException("Not initialised.");

    public string ConnectionString => azurite.ConnectionString;

    /// <summary>Settings a test class may override (FashionFunctions section keys).</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public virtual async Task InitializeAsync()
    {
        await azurite.InitializeAsync();
        services = BuildServices(azurite.ConnectionString, Settings, Time);
    }

    /// <summary>Another instance of the app on the same storage (a second worker), with its own services.</summary>
    public ServiceProvider NewInstance(Action<IServiceCollection>? configure = null) => BuildServices(ConnectionString, Settings, Time, configure);

    /// <summary>The app's services as Program registers them, on the given storage.</summary>
    public static ServiceProvider BuildServices(string connectionString, IDictionary<string, string?> overrides, TimeProvider time, Action<IServiceCollection>? configure = null)
    {
        var settings = new Dictionary<string, string?>
        {
            [ServiceRegistration.StorageConnection] = connectionString,
            ["FashionFunctions:DatasetSeedSource"] = "/usr/share/datasets/fashion-mnist",
            ["FashionFunctions:ModelCacheRevalidateSeconds"] = "30",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<IConfiguration>(configuration)
            .AddFashionFunctions(configuration)
            .AddSingleton(time);
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public async Task DisposeAsync()
    {
        if (services is not null)
        {
            await services.DisposeAsync();
        }

        await azurite.DisposeAsync();
    }

    public T Create<T>() => ActivatorUtilities.CreateInstance<T>(Services);

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public BlobContainerClient Container(string name) => Get<BlobServiceClient>().GetBlobContainerClient(name);

    /// <summary>A queue client configured as the Functions host's queue listener is by default (base64).</summary>
    public QueueClient HostLikeQueue(string name = StorageNames.TrainingQueue) =>
        new(ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    /// <summary>A queue client that shows messages exactly as stored.</summary>
    public QueueClient RawQueue(string name = StorageNames.TrainingQueue) => new(ConnectionString, name);
}

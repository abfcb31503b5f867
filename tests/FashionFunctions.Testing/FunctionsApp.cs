using System.Net.Http.Headers;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace FashionFunctions.Testing;

/// <summary>
/// The app on a real Azurite process, its HTTP functions served over real sockets by an <see cref="AppServer"/>
/// (the app's real service registration; a manual clock). Use <see cref="SendAsync"/> or <see cref="Client"/> for
/// HTTP, <see cref="Create{T}"/> for non-HTTP functions (queue and timer triggers), <see cref="Get{T}"/> for services.
/// </summary>
public class FunctionsApp : IAsyncLifetime, IAsyncDisposable
{
    private readonly AzuriteProcess azurite = new();
    private AppServer? server;

    public ManualTimeProvider Time { get; } = new();

    /// <summary>Every storage request the app's served instance sends.</summary>
    public StorageRequestCounter StorageRequests { get; } = new();

    public AppServer Server => server ?? throw new InvalidOperationException("Not initialised.");

    public IServiceProvider Services => Server.Services;

    public HttpClient Client => Server.Client;

    public string ConnectionString => azurite.ConnectionString;

    /// <summary>Settings a test class may override (configuration keys, e.g. "FashionFunctions:MaxRequestBytes").</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>Services a test class may replace after the app's registration.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public virtual async Task InitializeAsync()
    {
        await azurite.InitializeAsync();
        server = await AppServer.StartAsync(azurite.ConnectionString, WithDefaults(Settings), services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            services.AddStoragePolicy(StorageRequests);
            ConfigureServices(services);
        });
    }

    /// <summary>Another instance of the app on the same storage (a second worker), with its own services.</summary>
    public ServiceProvider NewInstance(Action<IServiceCollection>? configure = null) => BuildServices(ConnectionString, Settings, Time, configure);

    /// <summary>The app's services as Program registers them, on the given storage, without a server.</summary>
    public static ServiceProvider BuildServices(string connectionString, IDictionary<string, string?> overrides, TimeProvider time, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(AppServer.AppSettings(connectionString, WithDefaults(overrides))).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<IConfiguration>(configuration)
            .AddFashionFunctions(configuration)
            .AddSingleton(time);
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    /// <summary>Stops Azurite while the app keeps running: storage unreachable.</summary>
    public Task StopStorageAsync() => azurite.DisposeAsync();

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    public virtual async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }

        await azurite.DisposeAsync();
    }

    /// <summary>Sends a request over the socket and reads the whole answer.</summary>
    public async Task<HttpAnswer> SendAsync(string method, string pathAndQuery, byte[]? body = null, string? contentType = null,
        IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), pathAndQuery.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await SendAsync(request);
    }

    public async Task<HttpAnswer> SendAsync(HttpRequestMessage request)
    {
        using var response = await Client.SendAsync(request);
        return await HttpAnswer.FromAsync(response);
    }

    public Task<HttpAnswer> SendJsonAsync(string method, string pathAndQuery, string json, IDictionary<string, string>? headers = null) =>
        SendAsync(method, pathAndQuery, Encoding.UTF8.GetBytes(json), "application/json", headers);

    public T Create<T>() => ActivatorUtilities.CreateInstance<T>(Services);

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public BlobContainerClient Container(string name) => Get<BlobServiceClient>().GetBlobContainerClient(name);

    /// <summary>A queue client configured as the Functions host's queue listener is by default (base64).</summary>
    public QueueClient HostLikeQueue(string name = StorageNames.TrainingQueue) =>
        new(ConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    /// <summary>A queue client that shows messages exactly as stored.</summary>
    public QueueClient RawQueue(string name = StorageNames.TrainingQueue) => new(ConnectionString, name);

    private static Dictionary<string, string?> WithDefaults(IDictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?> { ["FashionFunctions:ModelCacheRevalidateSeconds"] = "30" };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }
}

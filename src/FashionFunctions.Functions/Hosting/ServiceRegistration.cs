using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FashionFunctions.Functions.Hosting;

public static class ServiceRegistration
{
    /// <summary>The connection the app and its triggers share (the Functions host's own storage).</summary>
    public const string StorageConnection = "AzureWebJobsStorage";

    /// <summary>Registers storage clients, the core services and options. Used by Program and the tests alike.</summary>
    public static IServiceCollection AddFashionFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FashionFunctionsOptions>()
            .BindConfiguration(FashionFunctionsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        AddStorageClients(services, configuration.GetSection(StorageConnection));

        services.AddSingleton(sp => new BlobModelRegistry(Container(sp, StorageNames.ModelContainer)));
        services.AddSingleton<IModelSource>(sp => sp.GetRequiredService<BlobModelRegistry>());
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value.ToJobLifecycle());
        services.AddSingleton(sp => new TableJobStore(sp.GetRequiredService<TableServiceClient>()));
        services.AddSingleton(sp => new CheckpointStore(Container(sp, StorageNames.CheckpointContainer)));
        services.AddSingleton(sp => new TrainingJobQueue(sp.GetRequiredService<QueueServiceClient>()));
        services.AddSingleton<TrainingJobService>();
        services.AddSingleton<JobWatchdog>();
        services.AddSingleton<PoisonedJobRecorder>();
        services.AddSingleton<TrainingJobWatcher>();
        services.AddSingleton(sp => new TrainingJobRunner(
            sp.GetRequiredService<TableJobStore>(),
            sp.GetRequiredService<BlobModelRegistry>(),
            sp.GetRequiredService<CheckpointStore>(),
            sp.GetRequiredService<TrainingJobQueue>(),
            () => DatasetSource(sp),
            sp.GetRequiredService<JobLifecycleOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<TrainingJobRunner>>(),
            sp.GetRequiredService<SweepRecorder>()));
        services.AddSingleton(sp => new TableSweepStore(sp.GetRequiredService<TableServiceClient>()));
        services.AddSingleton<SweepRecorder>();
        services.AddSingleton<SweepService>();

        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value;
            return new ModelCache(
                sp.GetRequiredService<IModelSource>(),
                new ModelCacheOptions { RevalidateSeconds = options.ModelCacheRevalidateSeconds, Capacity = options.ModelCacheCapacity },
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<ModelCache>>());
        });
        services.AddSingleton<ReadinessProbe>();
        services.AddSingleton<ModelWarmUp>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelWarmUp>());
        services.AddSingleton<Http.DecodeGate>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value;
            return new ImagePreprocessor(new ImageLimits { MaxEncodedBytes = options.MaxRequestBytes, MaxPixels = options.MaxImagePixels });
        });
        return services;
    }

    /// <summary>The dataset blobs, seeded on first use from the configured source.</summary>
    public static IDatasetSource DatasetSource(IServiceProvider sp)
    {
        var container = Container(sp, StorageNames.DatasetContainer);
        var seedFrom = sp.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value.DatasetSeedSource;
        return new SeedingDatasetSource(
            new BlobDatasetSource(container),
            new DatasetBlobSeeder(container, sp.GetRequiredService<ILogger<DatasetBlobSeeder>>()),
            () => DatasetSources.FromSetting(seedFrom));
    }

    private static BlobContainerClient Container(IServiceProvider sp, string name) =>
        sp.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(name);

    /// <summary>
    /// A connection string (local: UseDevelopmentStorage=true), or identity-based settings as the Functions host
    /// reads them: blobServiceUri, queueServiceUri and tableServiceUri, with credential=managedidentity and clientId for a
    /// user-assigned identity.
    /// </summary>
    private static void AddStorageClients(IServiceCollection services, IConfigurationSection connection)
    {
        services.AddAzureClients(clients =>
        {
            if (!string.IsNullOrWhiteSpace(connection.Value))
            {
                clients.AddBlobServiceClient(connection.Value);
                clients.AddQueueServiceClient(connection.Value).ConfigureOptions(o => o.MessageEncoding = QueueMessageEncoding.Base64);
                clients.AddTableServiceClient(connection.Value);
                return;
            }

            string blobUri = connection["blobServiceUri"]
                ?? throw new InvalidOperationException($"Set {StorageConnection} to a connection string, or {StorageConnection}__blobServiceUri and __queueServiceUri.");
            string queueUri = connection["queueServiceUri"] ?? throw new InvalidOperationException($"Set {StorageConnection}__queueServiceUri.");
            clients.AddBlobServiceClient(new Uri(blobUri));
            string tableUri = connection["tableServiceUri"] ?? throw new InvalidOperationException($"Set {StorageConnection}__tableServiceUri.");
            clients.AddQueueServiceClient(new Uri(queueUri)).ConfigureOptions(o => o.MessageEncoding = QueueMessageEncoding.Base64);
            clients.AddTableServiceClient(new Uri(tableUri));
            clients.UseCredential(Credential(connection));
        });
    }

    private static TokenCredential Credential(IConfigurationSection connection) =>
        connection["clientId"] is { Length: > 0 } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
}

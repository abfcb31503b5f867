using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using FashionFunctions.Core.Budgets;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Retention;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using FashionFunctions.Functions.Http;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FashionFunctions.Functions.Hosting;

public static class ServiceRegistration
{
    /// <summary>The connection the queue triggers and the Functions host share (the host's own storage).</summary>
    public const string StorageConnection = "AzureWebJobsStorage";

    /// <summary>The app's data (dataset, models, checkpoints, jobs, and the queue it sends to) when it has an account
    /// and identity of its own, as infra/ deploys it; when this setting is absent, <see cref="StorageConnection"/>.</summary>
    public const string DataConnection = "FashionFunctionsStorage";

    /// <summary>The setting the app's storage clients are made from: <see cref="DataConnection"/> if set, else
    /// <see cref="StorageConnection"/> (locally, Azurite for both).</summary>
    public static IConfigurationSection DataStorage(IConfiguration configuration) =>
        configuration.GetSection(DataConnection) is var data && data.Exists() ? data : configuration.GetSection(StorageConnection);

    /// <summary>Registers storage clients, the core services and options. Used by Program and the tests alike.</summary>
    public static IServiceCollection AddFashionFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FashionFunctionsOptions>()
            .BindConfiguration(FashionFunctionsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        // What the functions return (TypedResults) is written in the stored records' JSON conventions.
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.WriteIndented = ModelJson.Options.WriteIndented;
            json.SerializerOptions.TypeInfoResolver = ModelJson.Options.TypeInfoResolver;
            foreach (var converter in ModelJson.Options.Converters)
            {
                json.SerializerOptions.Converters.Add(converter);
            }
        });
        AddStorageClients(services, DataStorage(configuration));

        services.AddSingleton(sp => new TableModelIndex(sp.GetRequiredService<TableServiceClient>()));
        services.AddSingleton(sp => new BlobModelRegistry(Container(sp, StorageNames.ModelContainer), sp.GetRequiredService<TableModelIndex>()));
        services.AddSingleton<IModelSource>(sp => sp.GetRequiredService<BlobModelRegistry>());
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value.ToJobLifecycle());
        services.AddSingleton(sp => new TableJobStore(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<ILogger<TableJobStore>>()));
        services.AddSingleton(sp => new CheckpointStore(Container(sp, StorageNames.CheckpointContainer)));
        services.AddSingleton(sp => new TrainingJobQueue(sp.GetRequiredService<QueueServiceClient>()));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value.ToBudgets());
        services.AddSingleton<TrainingBudget>();
        services.AddSingleton<TrainingJobService>();
        services.AddSingleton<JobWatchdog>();
        services.AddSingleton<PoisonedJobRecorder>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value.ToEventStreams());
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
        services.AddSingleton(sp => new TableSweepStore(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<ILogger<TableSweepStore>>()));
        services.AddSingleton<SweepRecorder>();
        services.AddSingleton<SweepService>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value.ToRetentionPolicy());
        services.AddSingleton<RetentionService>();

        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value;
            var cache = new ModelCache(
                sp.GetRequiredService<IModelSource>(),
                new ModelCacheOptions
                {
                    RevalidateSeconds = options.ModelCacheRevalidateSeconds,
                    Capacity = options.ModelCacheCapacity,
                    MaxConcurrentLoads = options.MaxConcurrentModelLoads,
                    LoadQueueSeconds = options.ModelLoadQueueSeconds,
                },
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<ModelCache>>());
            if (sp.GetService<StartupModelFetch>()?.Take() is { } fetch)
            {
                cache.StartWith(fetch);
            }

            return cache;
        });
        services.AddSingleton<ReadinessProbe>();
        services.AddSingleton<ModelWarmUp>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelWarmUp>());
        services.AddSingleton<Http.DecodeGate>();
        services.AddSingleton<Http.Access.CallerResolver>();
        services.AddHttpPipeline();
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

    /// <summary>The storage clients, made by the Azure client factory (which applies options configured for them,
    /// such as the tests' fault-injecting pipeline policies) from <see cref="StorageEndpoints"/>.</summary>
    private static void AddStorageClients(IServiceCollection services, IConfigurationSection connection)
    {
        services.AddAzureClients(clients =>
        {
            var endpoints = StorageEndpoints.From(connection);
            clients.AddClient<BlobServiceClient, BlobClientOptions>(endpoints.Blobs);
            clients.AddClient<QueueServiceClient, QueueClientOptions>(endpoints.Queues);
            clients.AddClient<TableServiceClient, TableClientOptions>(endpoints.Tables);
            // Without a credential of ours the factory builds a DefaultAzureCredential for every client, even for a
            // connection string, which costs a new worker's first storage call tens of milliseconds.
            clients.UseCredential(_ => endpoints.Credential!);
        });
    }
}

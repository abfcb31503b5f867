using Azure.Storage.Blobs;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;

namespace FashionFunctions.Functions.Hosting;

/// <summary>
/// Downloads the current model from blob storage starting on the first line of <c>Main</c>, while the host is still
/// being built and started, and hands it to the <see cref="ModelCache"/> when that is created
/// (<see cref="ModelCache.StartWith"/>): a new worker's first classify request then finds the model downloaded, or
/// waits for this download instead of starting another. It runs only when <see cref="FashionFunctionsOptions.WarmUpOnStart"/>
/// is on, with a storage client of its own made from the same setting (options configured on the app's clients do not
/// apply to it), and gives up after <see cref="ModelWarmUp.Timeout"/>. A failure is logged by the cache, which then
/// fetches the model itself.
/// </summary>
public sealed class StartupModelFetch
{
    private Task<FetchedCurrentModel?>? fetch;

    private StartupModelFetch(Task<FetchedCurrentModel?>? fetch) => this.fetch = fetch;

    /// <summary>Hands over the download, once (null when warm-up is off, or when it was taken): whoever takes it owns
    /// the model it brings, so that nothing else keeps it alive.</summary>
    public Task<FetchedCurrentModel?>? Take() => Interlocked.Exchange(ref fetch, null);

    /// <summary>Starts the download on a thread-pool thread and returns at once. <paramref name="configuration"/> is
    /// the app's: in the Functions worker, its environment variables, which carry the app settings.</summary>
    public static StartupModelFetch Begin(IConfiguration configuration)
    {
        bool warmUp = configuration.GetValue<bool?>($"{FashionFunctionsOptions.Section}:{nameof(FashionFunctionsOptions.WarmUpOnStart)}")
            ?? new FashionFunctionsOptions().WarmUpOnStart;
        if (!warmUp)
        {
            return new StartupModelFetch(null);
        }

        var connection = ServiceRegistration.DataStorage(configuration);
        return new StartupModelFetch(Task.Run(async () =>
        {
            using var timeout = new CancellationTokenSource(ModelWarmUp.Timeout);
            var container = StorageEndpoints.From(connection).Blobs(new BlobClientOptions()).GetBlobContainerClient(StorageNames.ModelContainer);
            return await FetchedCurrentModel.FetchAsync(new BlobModelRegistry(container), timeout.Token).ConfigureAwait(false);
        }));
    }
}

using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Functions.Hosting;

/// <summary>What the readiness probe found. <see cref="Reason"/> is for the caller; it never carries exception text.</summary>
public sealed record Readiness(bool Ready, bool StorageReachable, string? CurrentModelId, bool ModelLoaded, string? Reason);

/// <summary>
/// Whether this instance can serve classify: storage reachable, a current model named, and that model loadable
/// (loaded into the model cache, so the first real request does not pay for it). A result is kept for
/// <see cref="CacheFor"/>, and concurrent probes share one check, so a storm of probes costs one storage call.
/// </summary>
public sealed class ReadinessProbe(BlobModelRegistry registry, ModelCache cache, TimeProvider time, ILogger<ReadinessProbe> logger)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim checking = new(1, 1);
    private volatile Checked? last;

    private sealed record Checked(Readiness Result, DateTimeOffset At);

    public async Task<Readiness> CheckAsync(CancellationToken cancellationToken)
    {
        if (Fresh(last) is { } cached)
        {
            return cached;
        }

        await checking.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Fresh(last) is { } checkedMeanwhile)
            {
                return checkedMeanwhile;
            }

            var result = await ProbeAsync(cancellationToken).ConfigureAwait(false);
            last = new Checked(result, time.GetUtcNow());
            return result;
        }
        finally
        {
            checking.Release();
        }
    }

    private Readiness? Fresh(Checked? found) => found is not null && time.GetUtcNow() - found.At < CacheFor ? found.Result : null;

    private async Task<Readiness> ProbeAsync(CancellationToken cancellationToken)
    {
        VersionedPointer? current;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(StorageTimeout);
            try
            {
                current = await registry.GetCurrentAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (TransientFaults.IsTransient(e) || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                logger.LogWarning(e, "Readiness: storage cannot be reached");
                return new Readiness(false, false, null, false, "Storage cannot be reached.");
            }
            catch (CorruptStoredDataException e)
            {
                logger.LogError(e, "Readiness: the current-model pointer cannot be read");
                return new Readiness(false, true, null, false, "The current-model pointer cannot be read.");
            }
        }

        if (current is null)
        {
            return new Readiness(false, true, null, false, "No model has been trained and promoted yet.");
        }

        string modelId = current.Pointer.ModelId;
        if (cache.Status is not (var loadedId, true) || loadedId != modelId)
        {
            try
            {
                await cache.GetCurrentAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogError(e, "Readiness: the current model {ModelId} cannot be loaded", modelId);
                bool reachable = !TransientFaults.IsTransient(e);
                return new Readiness(false, reachable, modelId, false,
                    reachable ? $"The current model {modelId} cannot be loaded." : "Storage cannot be reached.");
            }
        }

        return new Readiness(true, true, modelId, cache.Status.ModelId == modelId, null);
    }
}

using System.Collections.Concurrent;
using FashionFunctions.Core.Modeling;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Inference;

/// <summary>
/// Keeps classifiers in memory. The current model is revalidated against the pointer's ETag at most every
/// <see cref="ModelCacheOptions.RevalidateSeconds"/>; a change is loaded and swapped in atomically while requests
/// keep being served by the model they started with. "No model yet" is remembered for
/// <see cref="ModelCacheOptions.NoModelRetrySeconds"/>, so a burst of cold requests costs one storage call.
/// Concurrent requests for a model share one load, and at most <see cref="ModelCacheOptions.Capacity"/> models
/// stay loaded (least recently used go first; never the current one or the one just asked for). An evicted
/// classifier is only dropped from the cache: it holds managed memory only, which the GC reclaims once the
/// requests still using it finish. The first current model may come from a fetch begun before the cache existed
/// (<see cref="StartWith"/>). At most <see cref="ModelCacheOptions.MaxConcurrentLoads"/> models load at once: asking
/// for many models by id cannot make a worker download them all together; a load that finds no slot within
/// <see cref="ModelCacheOptions.LoadQueueSeconds"/> fails with <see cref="ModelLoadsBusyException"/>.
/// </summary>
public sealed class ModelCache(IModelSource source, ModelCacheOptions options, TimeProvider time, ILogger<ModelCache> logger)
{
    private readonly ConcurrentDictionary<string, Entry> byId = new();
    private readonly SemaphoreSlim refreshing = new(1, 1);
    private readonly SemaphoreSlim loads = new(options.MaxConcurrentLoads, options.MaxConcurrentLoads);
    private volatile CurrentModel? current;
    private volatile Task<FetchedCurrentModel?>? startupFetch;
    private long noModelUntilTicks;

    private sealed class Entry(Lazy<Task<Classifier>> load, DateTimeOffset loadedAt)
    {
        public Lazy<Task<Classifier>> Load { get; } = load;
        public long LastUsed;

        /// <summary>When the model was last known to exist in storage (UTC ticks): loaded, or checked since.</summary>
        public long ExistedAt = loadedAt.UtcTicks;
    }

    private sealed record CurrentModel(string ModelId, string ETag, Classifier Classifier, DateTimeOffset CheckedAt);

    /// <summary>
    /// Hands the cache a fetch of the current model begun as the process started, before the cache existed (the app
    /// starts one on its first line, so that the download overlaps the host's start-up). Until it completes, a
    /// request that finds no current model waits for it rather than fetching the model a second time; if it fails or
    /// finds no model, that request fetches as usual.
    /// </summary>
    public void StartWith(Task<FetchedCurrentModel?> fetch) => startupFetch = fetch;

    /// <summary>The current model's id and whether it is loaded here, without touching storage.</summary>
    public (string? ModelId, bool Loaded) Status => current is { } c ? (c.ModelId, true) : (null, false);

    /// <summary>The classifier of the current model. Throws <see cref="NoCurrentModelException"/> when there is none.</summary>
    public async Task<Classifier> GetCurrentAsync(CancellationToken cancellationToken = default)
    {
        var known = current;
        if (Fresh(known) is { } fresh)
        {
            return fresh;
        }

        // One request revalidates; the others keep using the model they have rather than queue behind it.
        if (known is not null && !await refreshing.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            return known.Classifier;
        }

        if (known is null)
        {
            ThrowIfNoModelRecently();
            await refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            // Whoever held the lock before us may have just done the work.
            if (Fresh(current) is { } loadedMeanwhile)
            {
                return loadedMeanwhile;
            }

            if (current is null)
            {
                if (startupFetch is { } fetch && await AdoptAsync(fetch, cancellationToken).ConfigureAwait(false) is { } fetched)
                {
                    return fetched;
                }

                ThrowIfNoModelRecently();
            }

            return (await RevalidateAsync(cancellationToken).ConfigureAwait(false)).Classifier;
        }
        catch (Exception e) when (known is not null && e is not NoCurrentModelException and not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not revalidate the current model; still serving {ModelId}", known.ModelId);
            return known.Classifier;
        }
        finally
        {
            refreshing.Release();
        }
    }

    private Classifier? Fresh(CurrentModel? known)
    {
        if (known is null || time.GetUtcNow() - known.CheckedAt >= TimeSpan.FromSeconds(options.RevalidateSeconds))
        {
            return null;
        }

        Touch(known.ModelId);
        return known.Classifier;
    }

    private void ThrowIfNoModelRecently()
    {
        if (time.GetUtcNow().UtcTicks < Interlocked.Read(ref noModelUntilTicks))
        {
            throw new NoCurrentModelException();
        }
    }

    /// <summary>The classifier of a model by id. Throws <see cref="ModelNotFoundException"/> when unknown, and for a
    /// model deleted since it was loaded here (through any worker): a model other than the current one is checked
    /// in storage at most every <see cref="ModelCacheOptions.RevalidateSeconds"/>, as the current pointer is.</summary>
    public async Task<Classifier> GetAsync(string modelId, CancellationToken cancellationToken = default)
    {
        var (classifier, entry) = await GetEntryAsync(modelId, cancellationToken).ConfigureAwait(false);
        // The current model is exempt only while this cache has checked the pointer lately: a worker that serves
        // only requests by id never refreshes it, and its old current model may since have been replaced and deleted.
        bool knownCurrent = current is { } c && c.ModelId == modelId && time.GetUtcNow() - c.CheckedAt < TimeSpan.FromSeconds(options.RevalidateSeconds);
        if (!knownCurrent && await IsGoneAsync(modelId, entry, cancellationToken).ConfigureAwait(false))
        {
            byId.TryRemove(new KeyValuePair<string, Entry>(modelId, entry));
            throw new ModelNotFoundException(modelId);
        }

        return classifier;
    }

    /// <summary>Whether the model is gone from storage, asked when its last check is older than the revalidation
    /// interval, by one request (the others go on serving it meanwhile). A check that fails leaves it served.</summary>
    private async Task<bool> IsGoneAsync(string modelId, Entry entry, CancellationToken cancellationToken)
    {
        long now = time.GetUtcNow().UtcTicks, existedAt = Interlocked.Read(ref entry.ExistedAt);
        if (now - existedAt < TimeSpan.FromSeconds(options.RevalidateSeconds).Ticks
            || Interlocked.CompareExchange(ref entry.ExistedAt, now, existedAt) != existedAt)
        {
            return false;
        }

        try
        {
            return !await source.ExistsAsync(modelId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not check that model {ModelId} still exists; serving it meanwhile", modelId);
            return false;
        }
    }

    private async Task<(Classifier Classifier, Entry Entry)> GetEntryAsync(string modelId, CancellationToken cancellationToken)
    {
        if (!ModelId.IsValid(modelId))
        {
            throw new ModelNotFoundException(modelId);
        }

        var entry = byId.GetOrAdd(modelId, id => new Entry(new Lazy<Task<Classifier>>(() => LoadAsync(id)), time.GetUtcNow()));
        Interlocked.Exchange(ref entry.LastUsed, time.GetTimestamp());
        try
        {
            var classifier = await entry.Load.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            Evict(keep: modelId);
            return (classifier, entry);
        }
        catch (Exception) when (entry.Load.IsValueCreated && entry.Load.Value.IsFaulted)
        {
            byId.TryRemove(new KeyValuePair<string, Entry>(modelId, entry)); // let a later request try again
            throw;
        }
    }

    /// <summary>Called holding <see cref="refreshing"/>: takes in the start-up fetch's model, or null when that fetch
    /// failed or found none (and is then forgotten). A cancelled wait leaves the fetch for the next request.</summary>
    private async Task<Classifier?> AdoptAsync(Task<FetchedCurrentModel?> fetch, CancellationToken cancellationToken)
    {
        FetchedCurrentModel? fetched;
        try
        {
            fetched = await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || fetch.IsCanceled)
        {
            logger.LogWarning(e, "The model fetch begun at start-up failed; fetching the current model now");
            fetched = null;
        }

        startupFetch = null;
        if (fetched is null)
        {
            return null;
        }

        string modelId = fetched.Current.ModelId;
        var entry = byId.GetOrAdd(modelId, _ => new Entry(new Lazy<Task<Classifier>>(Task.FromResult(new Classifier(fetched.Artifact))), time.GetUtcNow()));
        Classifier classifier;
        if (entry.Load is { IsValueCreated: true, Value.IsCompletedSuccessfully: true })
        {
            classifier = entry.Load.Value.Result; // ours, or one a request for this model by id loaded first
        }
        else
        {
            // A load by id still in flight: the downloaded copy takes its place (its waiters get theirs, then drop it).
            classifier = new Classifier(fetched.Artifact);
            var replacement = new Entry(new Lazy<Task<Classifier>>(Task.FromResult(classifier)), time.GetUtcNow());
            entry = byId.TryUpdate(modelId, replacement, entry) ? replacement : entry;
        }

        Interlocked.Exchange(ref entry.LastUsed, time.GetTimestamp());
        current = new CurrentModel(modelId, fetched.Current.ETag, classifier, time.GetUtcNow());
        Evict(keep: modelId);
        logger.LogInformation("Serving model {ModelId} (fetched at start-up)", modelId);
        return classifier;
    }

    private async Task<CurrentModel> RevalidateAsync(CancellationToken cancellationToken)
    {
        var known = current;
        // The cheap version check only pays when there is a version to compare; knowing none, read the pointer.
        if (known is not null && await source.GetCurrentETagAsync(cancellationToken).ConfigureAwait(false) == known.ETag)
        {
            return current = known with { CheckedAt = time.GetUtcNow() };
        }

        var pointer = await source.GetCurrentModelAsync(cancellationToken).ConfigureAwait(false);
        if (pointer is null)
        {
            current = null;
            Interlocked.Exchange(ref noModelUntilTicks, (time.GetUtcNow() + TimeSpan.FromSeconds(options.NoModelRetrySeconds)).UtcTicks);
            throw new NoCurrentModelException();
        }

        var (classifier, _) = await GetEntryAsync(pointer.ModelId, cancellationToken).ConfigureAwait(false);
        if (known?.ModelId != pointer.ModelId)
        {
            logger.LogInformation("Serving model {ModelId} (was {Previous})", pointer.ModelId, known?.ModelId ?? "none");
        }

        return current = new CurrentModel(pointer.ModelId, pointer.ETag, classifier, time.GetUtcNow());
    }

    private async Task<Classifier> LoadAsync(string modelId)
    {
        if (!await loads.WaitAsync(TimeSpan.FromSeconds(options.LoadQueueSeconds)).ConfigureAwait(false))
        {
            throw new ModelLoadsBusyException(options.MaxConcurrentLoads);
        }

        try
        {
            var artifact = await source.LoadAsync(modelId).ConfigureAwait(false);
            return new Classifier(artifact);
        }
        finally
        {
            loads.Release();
        }
    }

    private void Touch(string modelId)
    {
        if (byId.TryGetValue(modelId, out var entry))
        {
            Interlocked.Exchange(ref entry.LastUsed, time.GetTimestamp());
        }
    }

    /// <summary>Drops least recently used models beyond capacity, never the current one nor <paramref name="keep"/>
    /// (just asked for); with capacity 1 that may leave the current model and the one asked for, until the next call.</summary>
    private void Evict(string keep)
    {
        while (byId.Count > options.Capacity)
        {
            string? currentId = current?.ModelId;
            var oldest = byId.Where(kv => kv.Key != currentId && kv.Key != keep).OrderBy(kv => Interlocked.Read(ref kv.Value.LastUsed)).FirstOrDefault();
            if (oldest.Key is null || !byId.TryRemove(oldest))
            {
                return;
            }
        }
    }

    /// <summary>Drops a model (deleted from storage) unless it is the current one; a later request for it loads it
    /// again, and finds it gone.</summary>
    public void Forget(string modelId)
    {
        if (current?.ModelId != modelId)
        {
            byId.TryRemove(modelId, out _);
        }
    }

    /// <summary>The ids of the models loaded (or loading) now.</summary>
    public IReadOnlyCollection<string> LoadedModelIds => byId.Keys.ToList();
}

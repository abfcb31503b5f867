using System.Runtime.CompilerServices;
using Azure.Storage.Blobs;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Tests.Modeling;
using FashionFunctions.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Core.Tests.Inference;

[Trait("Category", "Azurite")]
public class ModelCacheTests(AzuriteProcess azurite) : IClassFixture<AzuriteProcess>
{
    private readonly StorageRequestCounter storage = new();
    private readonly ManualTimeProvider time = new();

    /// <summary>A registry on a fresh container of its own, every request it sends counted.</summary>
    private BlobModelRegistry NewRegistry()
    {
        var options = new BlobClientOptions();
        options.AddPolicy(storage, Azure.Core.HttpPipelinePosition.PerRetry);
        return new(new BlobServiceClient(azurite.ConnectionString, options).GetBlobContainerClient("models-" + Guid.NewGuid().ToString("N")[..12]));
    }

    private static ModelArtifact Artifact(string id)
    {
        var template = ModelArtifactTests.MakeArtifact();
        return ModelArtifact.Create(template.Weights, template.Manifest with { ModelId = id });
    }

    private ModelCache NewCache(IModelSource source, int capacity = 4, int maxConcurrentLoads = 2, int loadQueueSeconds = 10) =>
        new(source, new ModelCacheOptions
        {
            Capacity = capacity,
            RevalidateSeconds = 30,
            NoModelRetrySeconds = 5,
            MaxConcurrentLoads = maxConcurrentLoads,
            LoadQueueSeconds = loadQueueSeconds,
        }, time, NullLogger<ModelCache>.Instance);

    [Fact]
    public async Task A_model_deleted_through_another_worker_stops_being_served_by_id_within_the_revalidation_interval()
    {
        var registry = NewRegistry();
        await registry.SaveAsync(Artifact("fmnist-deleted"));
        await registry.SaveAsync(Artifact("fmnist-kept"));
        var cache = NewCache(registry);
        await cache.GetAsync("fmnist-deleted");
        await cache.GetAsync("fmnist-kept");

        await registry.DeleteAsync("fmnist-deleted"); // as another worker would: this cache is not told
        await cache.GetAsync("fmnist-deleted"); // checked less than the interval ago: served as loaded
        time.Advance(TimeSpan.FromSeconds(31));

        await Assert.ThrowsAsync<ModelNotFoundException>(() => cache.GetAsync("fmnist-deleted"));
        Assert.DoesNotContain("fmnist-deleted", cache.LoadedModelIds);

        storage.Clear();
        for (int i = 0; i < 5; i++)
        {
            await cache.GetAsync("fmnist-kept");
        }

        Assert.Equal(1, storage.Count); // a model still stored: one look per interval, then served from memory
    }

    [Fact]
    public async Task A_former_current_model_deleted_elsewhere_stops_being_served_by_id_on_a_worker_that_only_serves_by_id()
    {
        var registry = NewRegistry();
        await registry.SaveAsync(Artifact("fmnist-first"));
        await registry.PromoteAsync("fmnist-first");
        await registry.SaveAsync(Artifact("fmnist-second"));
        var cache = NewCache(registry);
        await cache.GetCurrentAsync(); // fmnist-first is current here

        await registry.PromoteAsync("fmnist-second"); // elsewhere: another model made current, the first deleted
        await registry.DeleteAsync("fmnist-first");
        time.Advance(TimeSpan.FromSeconds(31));

        await Assert.ThrowsAsync<ModelNotFoundException>(() => cache.GetAsync("fmnist-first"));
    }

    [Fact]
    public async Task Thirty_two_concurrent_cold_requests_without_a_model_cost_one_storage_call()
    {
        var cache = NewCache(NewRegistry());
        var cold = Enumerable.Range(0, 32).Select(_ => Task.Run(() => cache.GetCurrentAsync())).ToList();
        foreach (var request in cold)
        {
            await Assert.ThrowsAsync<NoCurrentModelException>(() => request);
        }

        Assert.Equal(1, storage.Count);

        time.Advance(TimeSpan.FromSeconds(5)); // "no model yet" is believed for NoModelRetrySeconds only
        await Assert.ThrowsAsync<NoCurrentModelException>(() => cache.GetCurrentAsync());
        Assert.Equal(2, storage.Count);
    }

    [Fact]
    public async Task Concurrent_requests_for_a_model_share_one_load_while_it_is_in_flight()
    {
        var registry = NewRegistry();
        await registry.SaveAsync(Artifact("fmnist-shared"));
        var source = new BlockingSource(registry);
        var cache = NewCache(source);

        var first = Task.Run(() => cache.GetAsync("fmnist-shared"));
        await source.Entered.Task; // the first load is in flight and held there
        var others = Enumerable.Range(0, 15).Select(_ => Task.Run(() => cache.GetAsync("fmnist-shared"))).ToList();
        await Task.Delay(200);
        Assert.All(others, o => Assert.False(o.IsCompleted)); // they are waiting, not loading on their own
        source.Release.SetResult();

        var all = await Task.WhenAll(others.Append(first));
        Assert.Single(all.Distinct());
        Assert.Equal(1, source.Loads);
    }

    [Fact]
    public async Task Loads_of_other_models_beyond_the_concurrent_load_cap_are_refused_busy_once_the_queue_time_passes_and_succeed_later()
    {
        var registry = NewRegistry();
        foreach (string id in new[] { "fmnist-a", "fmnist-b", "fmnist-c" })
        {
            await registry.SaveAsync(Artifact(id));
        }

        var source = new BlockingSource(registry);
        var cache = NewCache(source, maxConcurrentLoads: 2, loadQueueSeconds: 0);
        var a = Task.Run(() => cache.GetAsync("fmnist-a"));
        await source.Entered.Task;
        var b = Task.Run(() => cache.GetAsync("fmnist-b"));
        while (source.Loads < 2)
        {
            await Task.Delay(10);
        }

        var busy = await Assert.ThrowsAsync<ModelLoadsBusyException>(() => cache.GetAsync("fmnist-c").WaitAsync(TimeSpan.FromSeconds(10))); // both slots held
        Assert.Equal(2, busy.MaxConcurrentLoads);
        Assert.Contains("2 models", busy.Message);
        Assert.Equal(2, source.Loads); // the refused load never reached storage

        source.Release.SetResult();
        await Task.WhenAll(a, b);
        Assert.Equal("fmnist-c", (await cache.GetAsync("fmnist-c")).ModelId); // the refusal is not remembered
    }

    [Fact]
    public async Task With_capacity_one_the_model_just_loaded_is_kept_and_evicted_ones_are_collectable()
    {
        var registry = NewRegistry();
        foreach (string id in new[] { "fmnist-a", "fmnist-b", "fmnist-c" })
        {
            await registry.SaveAsync(Artifact(id));
        }

        var source = new BlockingSource(registry);
        source.Release.SetResult();
        var cache = NewCache(source, capacity: 1);

        var evicted = await LoadAndForgetAsync(cache, "fmnist-a");
        await cache.GetAsync("fmnist-b");
        await cache.GetAsync("fmnist-b");
        Assert.Equal(["fmnist-b"], cache.LoadedModelIds);
        Assert.Equal(2, source.Loads); // b was kept, not reloaded

        await registry.PromoteAsync("fmnist-c");
        Assert.Equal("fmnist-c", (await cache.GetCurrentAsync()).ModelId);
        Assert.Equal("fmnist-c", (await cache.GetAsync("fmnist-c")).ModelId);
        Assert.Equal(3, source.Loads);

        // Eviction only drops the cache's reference: nothing else holds the model, so the GC reclaims it.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(evicted.IsAlive);
    }

    [Fact]
    public async Task A_cold_cache_reads_the_pointer_without_asking_for_its_version_first()
    {
        var registry = NewRegistry();
        await registry.SaveAsync(Artifact("fmnist-cold"));
        await registry.PromoteAsync("fmnist-cold");
        storage.Clear();

        Assert.Equal("fmnist-cold", (await NewCache(registry).GetCurrentAsync()).ModelId);

        Assert.Equal(3, storage.Count); // pointer, manifest, weights
        Assert.Equal(0, storage.CountWhere(r => r.StartsWith("HEAD ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_cache_started_with_a_fetched_model_serves_it_without_calling_storage()
    {
        var registry = await RegistryWithCurrentAsync("fmnist-early");
        var fetched = await FetchedCurrentModel.FetchAsync(registry);
        storage.Clear();
        var cache = NewCache(registry);
        cache.StartWith(Task.FromResult(fetched));

        Assert.Equal("fmnist-early", (await cache.GetCurrentAsync()).ModelId);
        Assert.Equal(("fmnist-early", true), cache.Status);
        Assert.Equal(["fmnist-early"], cache.LoadedModelIds);
        Assert.Equal(0, storage.Count);
    }

    [Fact]
    public async Task Requests_arriving_while_the_start_up_fetch_runs_wait_for_it_instead_of_fetching_again()
    {
        var (cache, fetch, fetched) = await CacheWaitingForItsStartUpFetchAsync("fmnist-in-flight");

        var requests = Enumerable.Range(0, 8).Select(_ => Task.Run(() => cache.GetCurrentAsync())).ToList();
        await Task.Delay(200);
        Assert.All(requests, r => Assert.False(r.IsCompleted));
        fetch.SetResult(fetched);

        var classifiers = await Task.WhenAll(requests);
        Assert.Single(classifiers.Distinct());
        Assert.Equal("fmnist-in-flight", classifiers[0].ModelId);
        Assert.Equal(0, storage.Count);
    }

    [Fact]
    public async Task A_request_that_gives_up_waiting_for_the_start_up_fetch_leaves_it_for_the_next_one()
    {
        var (cache, fetch, fetched) = await CacheWaitingForItsStartUpFetchAsync("fmnist-patient");

        using var aborted = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetCurrentAsync(aborted.Token));
        fetch.SetResult(fetched);

        Assert.Equal("fmnist-patient", (await cache.GetCurrentAsync()).ModelId);
        Assert.Equal(0, storage.Count);
    }

    [Fact]
    public async Task A_start_up_fetch_that_failed_or_found_no_model_leaves_the_cache_to_fetch_the_model_itself()
    {
        var registry = await RegistryWithCurrentAsync("fmnist-fallback");
        storage.Clear();
        foreach (var fetch in new[] { Task.FromException<FetchedCurrentModel?>(new IOException("storage went away")), Task.FromResult<FetchedCurrentModel?>(null) })
        {
            var cache = NewCache(registry);
            cache.StartWith(fetch);

            Assert.Equal("fmnist-fallback", (await cache.GetCurrentAsync()).ModelId);
        }

        Assert.Equal(6, storage.Count); // each cache read the pointer, the manifest and the weights
    }

    /// <summary>A cache started with a fetch of <paramref name="modelId"/> (current in storage) that has not completed
    /// yet: complete it with the fetched model. Storage requests are counted from here on.</summary>
    private async Task<(ModelCache Cache, TaskCompletionSource<FetchedCurrentModel?> Fetch, FetchedCurrentModel? Fetched)> CacheWaitingForItsStartUpFetchAsync(string modelId)
    {
        var registry = await RegistryWithCurrentAsync(modelId);
        var fetched = await FetchedCurrentModel.FetchAsync(registry);
        storage.Clear();
        var fetch = new TaskCompletionSource<FetchedCurrentModel?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cache = NewCache(registry);
        cache.StartWith(fetch.Task);
        return (cache, fetch, fetched);
    }

    private async Task<BlobModelRegistry> RegistryWithCurrentAsync(string modelId)
    {
        var registry = NewRegistry();
        await registry.SaveAsync(Artifact(modelId));
        await registry.PromoteAsync(modelId);
        return registry;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> LoadAndForgetAsync(ModelCache cache, string modelId) => new(await cache.GetAsync(modelId));

    /// <summary>Loads from the registry, counting, holding every load until <see cref="Release"/>.</summary>
    private sealed class BlockingSource(IModelSource inner) : IModelSource
    {
        private int loads;

        public int Loads => loads;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<ModelArtifact> LoadAsync(string modelId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref loads);
            Entered.TrySetResult();
            await Release.Task;
            return await inner.LoadAsync(modelId, cancellationToken);
        }

        public Task<CurrentModelRef?> GetCurrentModelAsync(CancellationToken cancellationToken = default) => inner.GetCurrentModelAsync(cancellationToken);

        public Task<string?> GetCurrentETagAsync(CancellationToken cancellationToken = default) => inner.GetCurrentETagAsync(cancellationToken);

        public Task<bool> ExistsAsync(string modelId, CancellationToken cancellationToken = default) => inner.ExistsAsync(modelId, cancellationToken);
    }
}

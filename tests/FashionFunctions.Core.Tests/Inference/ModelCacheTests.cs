using System.Runtime.CompilerServices;
using Azure.Storage.Blobs;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Tests.Modeling;
using FashionFunctions.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Core.Tests.Inference;

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

    private ModelCache NewCache(IModelSource source, int capacity = 4) =>
        new(source, new ModelCacheOptions { Capacity = capacity, RevalidateSeconds = 30, NoModelRetrySeconds = 5 }, time, NullLogger<ModelCache>.Instance);

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
    }
}

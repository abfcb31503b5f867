using Azure.Storage.Blobs;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Tests.Modeling;
using FashionFunctions.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Core.Tests.Storage;

public class BlobModelRegistryTests(AzuriteProcess azurite) : IClassFixture<AzuriteProcess>
{
    private BlobModelRegistry NewRegistry() =>
        new(new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("models-" + Guid.NewGuid().ToString("N")[..12]));

    private static ModelArtifact Artifact(string id, DateTimeOffset createdAt)
    {
        var template = ModelArtifactTests.MakeArtifact();
        return ModelArtifact.Create(template.Weights, template.Manifest with { ModelId = id, CreatedAt = createdAt });
    }

    [Fact]
    public async Task Saves_loads_and_lists_models_newest_first()
    {
        var registry = NewRegistry();
        await registry.SaveAsync(Artifact("fmnist-old", DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        await registry.SaveAsync(Artifact("fmnist-new", DateTimeOffset.Parse("2026-02-01T00:00:00Z")));

        var loaded = await registry.LoadAsync("fmnist-new");
        Assert.Equal("fmnist-new", loaded.ModelId);
        Assert.Equal(["fmnist-new", "fmnist-old"], (await registry.ListAsync()).Select(m => m.ModelId));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => registry.LoadAsync("fmnist-missing"));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => registry.LoadAsync("../x"));
    }

    [Fact]
    public async Task Automatic_promotion_never_replaces_a_newer_model_but_an_explicit_one_does()
    {
        var registry = NewRegistry();
        await registry.SaveAsync(Artifact("fmnist-old", DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        await registry.SaveAsync(Artifact("fmnist-new", DateTimeOffset.Parse("2026-02-01T00:00:00Z")));

        await registry.PromoteAsync("fmnist-new", onlyIfNewer: true);
        var kept = await registry.PromoteAsync("fmnist-old", onlyIfNewer: true);
        Assert.Equal("fmnist-new", kept.ModelId);

        var rolledBack = await registry.PromoteAsync("fmnist-old", onlyIfNewer: false);
        Assert.Equal("fmnist-old", rolledBack.ModelId);
        Assert.Equal("fmnist-old", (await registry.GetCurrentAsync())!.Pointer.ModelId);
    }

    [Fact]
    public async Task Concurrent_promotions_leave_one_valid_pointer_naming_the_newest()
    {
        var registry = NewRegistry();
        var ids = Enumerable.Range(0, 8).Select(i => $"fmnist-race-{i}").ToList();
        for (int i = 0; i < ids.Count; i++)
        {
            await registry.SaveAsync(Artifact(ids[i], DateTimeOffset.Parse("2026-01-01T00:00:00Z").AddHours(i)));
        }

        await Task.WhenAll(ids.Select(id => Task.Run(() => registry.PromoteAsync(id, onlyIfNewer: true))));

        var current = await registry.GetCurrentAsync();
        Assert.Equal("fmnist-race-7", current!.Pointer.ModelId);
    }

    [Fact]
    public async Task A_tampered_weights_blob_is_refused_on_load()
    {
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("models-" + Guid.NewGuid().ToString("N")[..12]);
        var registry = new BlobModelRegistry(container);
        await registry.SaveAsync(Artifact("fmnist-tampered", DateTimeOffset.UtcNow));
        await container.GetBlobClient("fmnist-tampered/model.safetensors").UploadAsync(new BinaryData(new byte[100]), overwrite: true);

        var e = await Assert.ThrowsAsync<InvalidModelException>(() => registry.LoadAsync("fmnist-tampered"));
        Assert.Contains("SHA-256", e.Message);
    }

    [Fact]
    public async Task The_model_cache_shares_one_load_keeps_a_bounded_set_and_follows_the_pointer()
    {
        var registry = NewRegistry();
        for (int i = 0; i < 4; i++)
        {
            await registry.SaveAsync(Artifact($"fmnist-cache-{i}", DateTimeOffset.Parse("2026-01-01T00:00:00Z").AddHours(i)));
        }

        var counting = new CountingSource(registry);
        var cache = new ModelCache(counting, new ModelCacheOptions { Capacity = 2, RevalidateSeconds = 0 }, TimeProvider.System, NullLogger<ModelCache>.Instance);

        await Assert.ThrowsAsync<NoCurrentModelException>(() => cache.GetCurrentAsync());

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => cache.GetAsync("fmnist-cache-0"))));
        Assert.Single(concurrent.Distinct());
        Assert.Equal(1, counting.Loads);

        await cache.GetAsync("fmnist-cache-1");
        await cache.GetAsync("fmnist-cache-2");
        Assert.True(cache.LoadedModelIds.Count <= 2);
        Assert.DoesNotContain("fmnist-cache-0", cache.LoadedModelIds); // least recently used went first

        await registry.PromoteAsync("fmnist-cache-3");
        Assert.Equal("fmnist-cache-3", (await cache.GetCurrentAsync()).ModelId);
        await registry.PromoteAsync("fmnist-cache-1");
        Assert.Equal("fmnist-cache-1", (await cache.GetCurrentAsync()).ModelId);
        await Assert.ThrowsAsync<ModelNotFoundException>(() => cache.GetAsync("fmnist-never-saved"));
    }

    private sealed class CountingSource(IModelSource inner) : IModelSource
    {
        private int loads;

        public int Loads => loads;

        public async Task<ModelArtifact> LoadAsync(string modelId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref loads);
            await Task.Delay(50, cancellationToken); // widen the window in which concurrent requests arrive
            return await inner.LoadAsync(modelId, cancellationToken);
        }

        public Task<CurrentModelRef?> GetCurrentModelAsync(CancellationToken cancellationToken = default) => inner.GetCurrentModelAsync(cancellationToken);

        public Task<string?> GetCurrentETagAsync(CancellationToken cancellationToken = default) => inner.GetCurrentETagAsync(cancellationToken);
    }
}

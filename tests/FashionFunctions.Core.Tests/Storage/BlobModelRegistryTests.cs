using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Tests.Modeling;
using FashionFunctions.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Core.Tests.Storage;

[Trait("Category", "Azurite")]
public class BlobModelRegistryTests(AzuriteProcess azurite) : IClassFixture<AzuriteProcess>
{
    private BlobModelRegistry NewRegistry() =>
        new(new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("models-" + Guid.NewGuid().ToString("N")[..12]),
            new TableModelIndex(new TableServiceClient(azurite.ConnectionString), "models" + Guid.NewGuid().ToString("N")[..12]));

    private static ModelArtifact Artifact(string id, DateTimeOffset createdAt)
    {
        var template = ModelArtifactTests.MakeArtifact();
        return ModelArtifact.Create(template.Weights, template.Manifest with { ModelId = id, CreatedAt = createdAt });
    }

    /// <summary>Two workers' registries on one store, each with its own pipeline (and fault), and the store's container.</summary>
    private (BlobModelRegistry First, BlobModelRegistry Second, BlobContainerClient Container) TwoWorkers(
        Azure.Core.Pipeline.HttpPipelinePolicy first, Azure.Core.Pipeline.HttpPipelinePolicy? second = null)
    {
        string container = "models-" + Guid.NewGuid().ToString("N")[..12], table = "models" + Guid.NewGuid().ToString("N")[..12];
        BlobModelRegistry Worker(Azure.Core.Pipeline.HttpPipelinePolicy? policy)
        {
            var options = new BlobClientOptions();
            options.Retry.Delay = TimeSpan.FromMilliseconds(10);
            if (policy is not null)
            {
                options.AddPolicy(policy, Azure.Core.HttpPipelinePosition.PerRetry);
            }

            return new(new BlobServiceClient(azurite.ConnectionString, options).GetBlobContainerClient(container),
                new TableModelIndex(new TableServiceClient(azurite.ConnectionString), table));
        }

        return (Worker(first), Worker(second), new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(container));
    }

    private static async Task<bool> MarkedAsync(BlobContainerClient container, string modelId) =>
        (await container.GetBlobClient($"{modelId}/manifest.json").GetPropertiesAsync()).Value.Metadata.ContainsKey("deleting");

    private static bool Is(Azure.Core.HttpMessage message, Azure.Core.RequestMethod method, string blob) =>
        message.Request.Method == method && message.Request.Uri.Path.EndsWith("/" + blob, StringComparison.Ordinal);

    [Fact]
    public async Task A_promotion_racing_a_delete_that_has_begun_is_reverted_and_the_pointer_never_names_a_deleted_model()
    {
        int pointerReads = 0;
        var gate = new GatePolicy(m => Is(m, Azure.Core.RequestMethod.Get, StorageNames.CurrentModelBlob) && Interlocked.Increment(ref pointerReads) == 2);
        var (deleter, promoter, container) = TwoWorkers(gate);
        await promoter.SaveAsync(Artifact("fmnist-current", DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        await promoter.PromoteAsync("fmnist-current");
        await promoter.SaveAsync(Artifact("fmnist-doomed", DateTimeOffset.Parse("2026-02-01T00:00:00Z")));

        var deleting = deleter.DeleteAsync("fmnist-doomed"); // marks the manifest, then is held before reading the pointer again
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => promoter.PromoteAsync("fmnist-doomed"));
        Assert.Equal("fmnist-current", (await promoter.GetCurrentAsync())!.Pointer.ModelId);
        gate.Release();
        await deleting;

        Assert.Equal("fmnist-current", (await promoter.GetCurrentAsync())!.Pointer.ModelId);
        await Assert.ThrowsAsync<ModelNotFoundException>(() => promoter.LoadAsync("fmnist-doomed"));
        Assert.Equal(["fmnist-current"], (await promoter.ListAsync(10)).Items.Select(m => m.ModelId));
        Assert.False(await promoter.PromoteIfNewerAsync("fmnist-doomed"));
    }

    [Fact]
    public async Task A_delete_racing_a_promotion_that_wrote_first_backs_off_and_leaves_the_model_whole()
    {
        var gate = new GatePolicy(m => Is(m, Azure.Core.RequestMethod.Head, "fmnist-wanted/manifest.json"));
        var (deleter, promoter, container) = TwoWorkers(gate);
        await promoter.SaveAsync(Artifact("fmnist-current", DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        await promoter.PromoteAsync("fmnist-current");
        await promoter.SaveAsync(Artifact("fmnist-wanted", DateTimeOffset.Parse("2026-02-01T00:00:00Z")));

        var deleting = deleter.DeleteAsync("fmnist-wanted"); // read the pointer (another model), held before marking
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await promoter.PromoteAsync("fmnist-wanted");
        gate.Release();

        await Assert.ThrowsAsync<ModelIsCurrentException>(() => deleting);
        Assert.Equal("fmnist-wanted", (await promoter.GetCurrentAsync())!.Pointer.ModelId);
        Assert.Equal("fmnist-wanted", (await promoter.LoadAsync("fmnist-wanted")).ModelId);
        Assert.False(await MarkedAsync(container, "fmnist-wanted")); // the delete that backed off took its mark off
        Assert.Equal(["fmnist-wanted", "fmnist-current"], (await promoter.ListAsync(10)).Items.Select(m => m.ModelId));
    }

    [Fact]
    public async Task A_delete_that_fails_after_marking_takes_its_mark_off_and_the_model_can_still_be_promoted()
    {
        int pointerReads = 0;
        var failing = new FailingPolicy(m => Is(m, Azure.Core.RequestMethod.Get, StorageNames.CurrentModelBlob) && Interlocked.Increment(ref pointerReads) >= 2);
        var (deleter, promoter, container) = TwoWorkers(failing);
        await promoter.SaveAsync(Artifact("fmnist-current", DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        await promoter.PromoteAsync("fmnist-current");
        await promoter.SaveAsync(Artifact("fmnist-kept", DateTimeOffset.Parse("2026-02-01T00:00:00Z")));

        await Assert.ThrowsAnyAsync<Azure.RequestFailedException>(() => deleter.DeleteAsync("fmnist-kept")); // storage failed after the mark

        Assert.False(await MarkedAsync(container, "fmnist-kept"));
        Assert.True(await promoter.PromoteIfNewerAsync("fmnist-kept"));
        Assert.Equal("fmnist-kept", (await promoter.GetCurrentAsync())!.Pointer.ModelId);
    }

    [Fact]
    public async Task A_promotion_whose_answer_was_lost_still_checks_for_a_delete_that_has_begun()
    {
        int pointerReads = 0;
        bool armed = false; // the faults apply once the store is set up
        var gate = new GatePolicy(m => armed && Is(m, Azure.Core.RequestMethod.Get, StorageNames.CurrentModelBlob) && Interlocked.Increment(ref pointerReads) == 2);
        var lose = new LoseAnswerPolicy(m => armed && Is(m, Azure.Core.RequestMethod.Put, StorageNames.CurrentModelBlob));
        var (deleter, promoter, _) = TwoWorkers(gate, lose);
        await deleter.SaveAsync(Artifact("fmnist-current", DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        await deleter.PromoteAsync("fmnist-current");
        await deleter.SaveAsync(Artifact("fmnist-doomed", DateTimeOffset.Parse("2026-02-01T00:00:00Z")));
        armed = true;

        var deleting = deleter.DeleteAsync("fmnist-doomed");
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => promoter.PromoteAsync("fmnist-doomed")); // written, answer lost, retried: 412
        Assert.Equal(1, lose.Lost);
        gate.Release();
        await deleting;

        Assert.Equal("fmnist-current", (await promoter.GetCurrentAsync())!.Pointer.ModelId);
    }

    [Fact]
    public async Task Saves_loads_and_lists_models_newest_first()
    {
        var registry = NewRegistry();
        await registry.SaveAsync(Artifact("fmnist-old", DateTimeOffset.Parse("2026-01-01T00:00:00Z")));
        await registry.SaveAsync(Artifact("fmnist-new", DateTimeOffset.Parse("2026-02-01T00:00:00Z")));

        var loaded = await registry.LoadAsync("fmnist-new");
        Assert.Equal("fmnist-new", loaded.ModelId);
        Assert.Equal(["fmnist-new", "fmnist-old"], (await registry.ListAsync(10)).Items.Select(m => m.ModelId));
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
}

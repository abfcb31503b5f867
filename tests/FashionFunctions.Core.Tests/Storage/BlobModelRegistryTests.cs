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

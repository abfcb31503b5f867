using System.Text.Json;
using Azure.Storage.Blobs.Models;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests;

[Trait("Category", "Azurite")]
public class ModelsApiTests(TrainedApp app) : IClassFixture<TrainedApp>
{
    private Task<HttpAnswer> ClassifyAsync() =>
        app.SendAsync("POST", "api/classify", TestData.Test.Image(0).ToArray(), "application/octet-stream");

    private Task<HttpAnswer> PromoteAsync(string id) => app.SendAsync("POST", $"api/models/{id}/promote");

    private Task<HttpAnswer> DeleteAsync(string id) => app.SendAsync("DELETE", $"api/models/{id}");

    /// <summary>A copy of the fixture's model under another id, made <paramref name="minutesAgo"/> before the clock.</summary>
    private async Task<string> SaveCopyAsync(string id, int minutesAgo = 0)
    {
        var template = await Jobs.ModelAsync(app, app.Job.ModelId!);
        await app.Get<BlobModelRegistry>().SaveAsync(ModelArtifact.Create(template.Weights,
            template.Manifest with { ModelId = id, CreatedAt = app.Time.GetUtcNow().AddMinutes(-minutesAgo) }));
        return id;
    }

    private static List<JsonElement> Items(HttpAnswer answer) => answer.Json.GetProperty("items").EnumerateArray().ToList();

    [Fact]
    public async Task A_promoted_model_is_served_after_the_cache_revalidates()
    {
        string first = app.Job.ModelId!;
        await app.Get<BlobModelRegistry>().PromoteAsync(first);
        Assert.Equal(first, (await ClassifyAsync()).Json.GetProperty("modelId").GetString());

        var second = await Jobs.TrainAsync(app, """{"epochs": 1, "trainLimit": 3000, "seed": 9, "promote": false}""");
        Assert.False(second.Promoted);
        Assert.Equal(first, (await ClassifyAsync()).Json.GetProperty("modelId").GetString());

        var promoted = await PromoteAsync(second.ModelId!);
        Assert.Equal(200, promoted.Status);
        Assert.Equal(second.ModelId, promoted.Json.GetProperty("modelId").GetString());

        // Within the revalidation interval the worker keeps serving what it has...
        app.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(first, (await ClassifyAsync()).Json.GetProperty("modelId").GetString());

        // ...and after it, notices the new pointer and swaps.
        app.Time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(second.ModelId, (await ClassifyAsync()).Json.GetProperty("modelId").GetString());
    }

    [Fact]
    public async Task Models_are_listed_newest_first_with_the_current_one_marked()
    {
        app.Time.Advance(TimeSpan.FromMinutes(1)); // the clock moves: the next model is strictly newer than the fixture's
        var newer = await Jobs.TrainAsync(app, """{"epochs": 1, "trainLimit": 3000, "seed": 5, "promote": false}""");

        var answer = await app.SendAsync("GET", "api/models?limit=100");
        Assert.Equal(200, answer.Status);
        var models = Items(answer);
        Assert.Contains(models, m => m.GetProperty("modelId").GetString() == app.Job.ModelId);
        Assert.Equal(newer.ModelId, models[0].GetProperty("modelId").GetString());
        Assert.Equal(newer.Id, models[0].GetProperty("jobId").GetString());
        Assert.Equal(128, models[0].GetProperty("hiddenUnits").GetInt32());
        Assert.Single(models, m => m.GetProperty("current").GetBoolean());
        var created = models.Select(m => m.GetProperty("createdAt").GetDateTimeOffset()).ToList();
        Assert.Equal(created.Count, created.Distinct().Count());
        Assert.Equal(created.OrderByDescending(c => c), created);
    }

    [Fact]
    public async Task A_models_manifest_has_its_metrics()
    {
        string id = app.Job.ModelId!;
        var answer = await app.SendAsync("GET", $"api/models/{id}");
        Assert.Equal(200, answer.Status);
        Assert.Equal(id, answer.Json.GetProperty("modelId").GetString());
        Assert.Equal(2, answer.Json.GetProperty("epochs").GetArrayLength());
        Assert.Equal(101_770, answer.Json.GetProperty("parameterCount").GetInt32());
        Assert.Equal(64, answer.Json.GetProperty("weightsSha256").GetString()!.Length);
    }

    [Fact]
    public async Task The_list_pages_with_limit_and_next_and_refuses_a_token_it_did_not_issue()
    {
        for (int i = 0; i < 3; i++)
        {
            await SaveCopyAsync($"fmnist-paged-{i}", minutesAgo: -100 - i); // newer than anything else: the first page
        }

        var first = await app.SendAsync("GET", "api/models?limit=2");
        Assert.Equal(["fmnist-paged-2", "fmnist-paged-1"], Items(first).Select(m => m.GetProperty("modelId").GetString()));
        string next = first.Json.GetProperty("next").GetString()!;
        var second = await app.SendAsync("GET", $"api/models?limit=2&next={Uri.EscapeDataString(next)}");
        Assert.Equal("fmnist-paged-0", Items(second)[0].GetProperty("modelId").GetString());

        var forged = await app.SendAsync("GET", $"api/models?limit=2&next={Uri.EscapeDataString(next[..^3] + "AAA")}");
        forged.AssertProblem(400);
        Assert.Equal("next", forged.Json.GetProperty("field").GetString());
        (await app.SendAsync("GET", "api/models?limit=0")).AssertProblem(400);
        (await app.SendAsync("GET", "api/models?limit=101")).AssertProblem(400);

        foreach (string id in new[] { "fmnist-paged-0", "fmnist-paged-1", "fmnist-paged-2" })
        {
            Assert.Equal(204, (await DeleteAsync(id)).Status);
        }
    }

    [Fact]
    public async Task Deleting_a_model_removes_its_files_and_row_and_the_serving_cache_drops_it()
    {
        string id = await SaveCopyAsync("fmnist-to-delete");
        var served = await app.SendAsync("POST", $"api/classify?model={id}", TestData.Test.Image(0).ToArray(), "application/octet-stream");
        Assert.Equal(200, served.Status);
        Assert.Contains(id, app.Get<ModelCache>().LoadedModelIds);

        var deleted = await DeleteAsync(id);

        Assert.Equal(204, deleted.Status);
        Assert.DoesNotContain(id, app.Get<ModelCache>().LoadedModelIds);
        Assert.Empty(await app.Container(StorageNames.ModelContainer).GetBlobsAsync(BlobTraits.None, BlobStates.None, id + "/", CancellationToken.None).ToListAsync());
        Assert.DoesNotContain(id, Items(await app.SendAsync("GET", "api/models?limit=100")).Select(m => m.GetProperty("modelId").GetString()));
        (await app.SendAsync("GET", $"api/models/{id}")).AssertProblem(404);
        (await app.SendAsync("POST", $"api/classify?model={id}", TestData.Test.Image(0).ToArray(), "application/octet-stream")).AssertProblem(404);
        (await DeleteAsync(id)).AssertProblem(404);
    }

    [Fact]
    public async Task The_current_model_cannot_be_deleted()
    {
        string current = (await app.Get<BlobModelRegistry>().GetCurrentAsync())!.Pointer.ModelId;

        var refused = await DeleteAsync(current);

        refused.AssertProblem(409);
        Assert.Contains("promote another", refused.Json.GetProperty("detail").GetString());
        Assert.Equal(200, (await app.SendAsync("GET", $"api/models/{current}")).Status);
        Assert.Equal(current, (await ClassifyAsync()).Json.GetProperty("modelId").GetString());
    }

    [Theory]
    [InlineData("fmnist-nope-000")]
    [InlineData("..%2F..%2Fsecrets")]
    [InlineData("current.json")]
    public async Task Unknown_models_are_404(string id)
    {
        (await app.SendAsync("GET", $"api/models/{id}")).AssertProblem(404);
        (await PromoteAsync(id)).AssertProblem(404);
        (await DeleteAsync(id)).AssertProblem(404);
    }
}

using System.Text.Json;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests;

[Trait("Category", "Azurite")]
public class ModelsApiTests(TrainedApp app) : IClassFixture<TrainedApp>
{
    private Task<HttpAnswer> ClassifyAsync() =>
        app.SendAsync("POST", "api/classify", TestData.Test.Image(0).ToArray(), "application/octet-stream");

    private Task<HttpAnswer> PromoteAsync(string id) => app.SendAsync("POST", $"api/models/{id}/promote");

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

        var answer = await app.SendAsync("GET", "api/models");
        Assert.Equal(200, answer.Status);
        var models = answer.Json.EnumerateArray().ToList();
        Assert.Contains(models, m => m.GetProperty("modelId").GetString() == app.Job.ModelId);
        Assert.Equal(newer.ModelId, models[0].GetProperty("modelId").GetString());
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

    [Theory]
    [InlineData("fmnist-nope-000")]
    [InlineData("..%2F..%2Fsecrets")]
    [InlineData("current.json")]
    public async Task Unknown_models_are_404(string id)
    {
        (await app.SendAsync("GET", $"api/models/{id}")).AssertProblem(404);
        (await PromoteAsync(id)).AssertProblem(404);
    }
}

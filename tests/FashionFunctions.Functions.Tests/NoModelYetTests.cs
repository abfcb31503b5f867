namespace FashionFunctions.Functions.Tests;

/// <summary>Every models/classify/health read path on a fresh, empty Azurite (no container yet): empty lists,
/// 404s, 503 with Retry-After where a model is needed. Each test asserts the container is still absent first.</summary>
[Trait("Category", "Azurite")]
public class NoModelYetTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    private async Task AssertStorageIsEmptyAsync() =>
        Assert.False((await app.Container(Core.Storage.StorageNames.ModelContainer).ExistsAsync()).Value, "the models container exists");

    [Fact]
    public async Task Classify_before_any_model_is_503_with_retry_after_and_how_to_train()
    {
        await AssertStorageIsEmptyAsync();
        var answer = await app.SendAsync("POST", "api/classify", new byte[784], "application/octet-stream");

        answer.AssertProblem(503);
        Assert.Equal("30", answer.Headers.RetryAfter.ToString());
        Assert.Contains("POST /api/training-jobs", answer.Json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Classify_with_a_named_model_on_empty_storage_is_404()
    {
        await AssertStorageIsEmptyAsync();
        (await app.SendAsync("POST", "api/classify?model=fmnist-20260101-000000-abc", new byte[784], "application/octet-stream")).AssertProblem(404);
    }

    [Fact]
    public async Task Health_reports_reachable_storage_and_no_model()
    {
        await AssertStorageIsEmptyAsync();
        var answer = await app.SendAsync("GET", "api/health");
        Assert.Equal(200, answer.Status);
        Assert.Equal("reachable", answer.Json.GetProperty("storage").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, answer.Json.GetProperty("currentModelId").ValueKind);
        Assert.Equal("No model has been trained and promoted yet.", answer.Json.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Ready_on_empty_storage_is_503_with_retry_after()
    {
        await AssertStorageIsEmptyAsync();
        var answer = await app.SendAsync("GET", "api/health/ready");
        answer.AssertProblem(503);
        Assert.False(string.IsNullOrEmpty(answer.Headers.RetryAfter.ToString()));
    }

    [Fact]
    public async Task Listing_models_of_an_empty_account_gives_an_empty_list()
    {
        await AssertStorageIsEmptyAsync();
        var answer = await app.SendAsync("GET", "api/models");
        Assert.Equal(200, answer.Status);
        Assert.Equal(0, answer.Json.GetProperty("items").GetArrayLength());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, answer.Json.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task Getting_or_promoting_a_model_on_empty_storage_is_404()
    {
        await AssertStorageIsEmptyAsync();
        (await app.SendAsync("GET", "api/models/fmnist-20260101-000000-abc")).AssertProblem(404);
        (await app.SendAsync("POST", "api/models/fmnist-20260101-000000-abc/promote")).AssertProblem(404);
    }
}

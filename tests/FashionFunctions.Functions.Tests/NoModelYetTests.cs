namespace FashionFunctions.Functions.Tests;

public class NoModelYetTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    [Fact]
    public async Task Classify_before_any_model_is_503_with_retry_after_and_how_to_train()
    {
        var answer = await app.SendAsync("POST", "api/classify", new byte[784], "application/octet-stream");

        answer.AssertProblem(503);
        Assert.Equal("30", answer.Headers.RetryAfter.ToString());
        Assert.Contains("POST /api/training-jobs", answer.Json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Health_reports_reachable_storage_and_no_model()
    {
        var answer = await app.SendAsync("GET", "api/health");
        Assert.Equal(200, answer.Status);
        Assert.Equal("reachable", answer.Json.GetProperty("storage").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, answer.Json.GetProperty("currentModelId").ValueKind);
        Assert.Equal("No model has been trained and promoted yet.", answer.Json.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Listing_models_of_an_empty_account_gives_an_empty_list()
    {
        Assert.Equal("[]", (await app.SendAsync("GET", "api/models")).Body);
    }
}

using FashionFunctions.Functions.Functions;

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
    }

    [Fact]
    public async Task Listing_models_of_an_empty_account_gives_an_empty_list()
    {
        Assert.Equal("[]", (await app.SendAsync("GET", "api/models")).Body);
    }
}

public class UnreachableStorageTests
{
    [Fact]
    public async Task Health_is_503_when_storage_cannot_be_reached()
    {
        var app = new FunctionsApp();
        await app.InitializeAsync();
        await app.DisposeAsync(); // Azurite is gone; its ports no longer answer
        await using var services = FunctionsApp.BuildServices(app.ConnectionString, new Dictionary<string, string?>(), TimeProvider.System);
        var health = Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance<HealthFunction>(services);

        var request = HttpCall.Request(services, "GET", "/api/health");
        var answer = await HttpCall.AnswerAsync(request, health.CheckAsync(request, CancellationToken.None));

        Assert.Equal(503, answer.Status);
        Assert.Equal("unreachable", answer.Json.GetProperty("storage").GetString());
    }
}

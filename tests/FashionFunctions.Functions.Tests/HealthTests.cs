using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Hosting;

namespace FashionFunctions.Functions.Tests;

[Trait("Category", "Azurite")]
public class HealthTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    [Fact]
    public async Task Live_answers_without_touching_storage()
    {
        app.StorageRequests.Clear();
        var answer = await app.SendAsync("GET", "api/health/live");
        Assert.Equal(200, answer.Status);
        Assert.Equal("live", answer.Json.GetProperty("status").GetString());
        Assert.Equal(0, app.StorageRequests.Count);
    }

    [Fact]
    public async Task Ready_without_a_model_is_503_with_the_reason_and_retry_after()
    {
        app.Time.Advance(ReadinessProbe.CacheFor);
        var answer = await app.SendAsync("GET", "api/health/ready");
        answer.AssertProblem(503);
        Assert.Equal("No model has been trained and promoted yet.", answer.Json.GetProperty("detail").GetString());
        Assert.Equal("reachable", answer.Json.GetProperty("storage").GetString());
        Assert.False(string.IsNullOrEmpty(answer.Headers.RetryAfter.ToString()));
    }

    [Fact]
    public async Task A_storm_of_probes_costs_one_storage_call()
    {
        app.Time.Advance(ReadinessProbe.CacheFor); // whatever an earlier test left cached has expired
        app.StorageRequests.Clear();

        var storm = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => app.SendAsync("GET", i % 2 == 0 ? "api/health/ready" : "api/health")));

        Assert.All(storm, a => Assert.Contains(a.Status, new[] { 200, 503 }));
        Assert.Equal(1, app.StorageRequests.Count);
        Assert.EndsWith($"/{StorageNames.ModelContainer}/{StorageNames.CurrentModelBlob}", app.StorageRequests.Requests.Single());

        // And once the cached answer is older than CacheFor, the next probe checks again.
        app.Time.Advance(ReadinessProbe.CacheFor);
        await app.SendAsync("GET", "api/health/ready");
        Assert.Equal(2, app.StorageRequests.Count);
    }

    [Fact]
    public async Task A_corrupt_pointer_makes_ready_503_without_internal_text()
    {
        await using var corrupt = new FunctionsApp();
        await corrupt.InitializeAsync();
        var models = corrupt.Container(StorageNames.ModelContainer);
        await models.CreateIfNotExistsAsync();
        await models.GetBlobClient(StorageNames.CurrentModelBlob).UploadAsync(new BinaryData("{\"modelId\": 42, secret"));

        var answer = await corrupt.SendAsync("GET", "api/health/ready");
        answer.AssertProblem(503);
        Assert.Equal("The current-model pointer cannot be read.", answer.Json.GetProperty("detail").GetString());
        Assert.DoesNotContain("secret", answer.Body);
        Assert.DoesNotContain("Exception", answer.Body);
    }
}

[Trait("Category", "Azurite")]
public class UnreachableStorageTests
{
    [Fact]
    public async Task Health_and_ready_are_503_naming_storage_without_exception_text_and_live_is_200()
    {
        await using var app = new FunctionsApp();
        await app.InitializeAsync();
        await app.StopStorageAsync(); // Azurite is gone; its ports no longer answer

        var health = await app.SendAsync("GET", "api/health");
        Assert.Equal(503, health.Status);
        Assert.Equal("unreachable", health.Json.GetProperty("storage").GetString());
        Assert.Equal("Storage cannot be reached.", health.Json.GetProperty("reason").GetString());

        var ready = await app.SendAsync("GET", "api/health/ready");
        ready.AssertProblem(503);
        Assert.Equal("Storage cannot be reached.", ready.Json.GetProperty("detail").GetString());
        Assert.DoesNotContain("Exception", health.Body + ready.Body);
        Assert.DoesNotContain("127.0.0.1", health.Body + ready.Body);

        Assert.Equal(200, (await app.SendAsync("GET", "api/health/live")).Status);
    }
}

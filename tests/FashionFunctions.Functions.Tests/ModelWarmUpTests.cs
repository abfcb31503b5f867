using FashionFunctions.Core.Inference;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Functions.Tests.Support;
using FashionFunctions.Testing;
using Microsoft.Extensions.Configuration;

namespace FashionFunctions.Functions.Tests;

/// <summary>A starting worker loads the current model in the background, and never fails to start because of it.</summary>
[Trait("Category", "Azurite")]
public class ModelWarmUpTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    private static readonly Dictionary<string, string?> WarmUpOn = new() { ["FashionFunctions:WarmUpOnStart"] = "true" };

    [Fact]
    public async Task A_starting_worker_loads_the_current_model_before_any_request()
    {
        var job = await Jobs.TrainAsync(app);
        await using var second = await AppServer.StartAsync(app.ConnectionString, WarmUpOn);

        await second.Get<ModelWarmUp>().Completion.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((job.ModelId, true), second.Get<ModelCache>().Status);
        Assert.Contains(job.ModelId!, second.Get<ModelCache>().LoadedModelIds);
    }

    [Fact]
    public async Task A_starting_worker_answers_its_first_request_with_the_model_it_began_downloading_on_its_first_line()
    {
        var job = await Jobs.TrainAsync(app);
        var appStorage = new StorageRequestCounter();
        await using var second = await AppServer.StartAsync(app.ConnectionString, WarmUpOn, services => services.AddStoragePolicy(appStorage));

        using var body = new ByteArrayContent(TestImages.Encode28(new byte[28 * 28]));
        body.Headers.ContentType = new("image/png");
        using var answer = await second.Client.PostAsync("api/classify", body); // sent the moment it listens

        Assert.Equal(200, (int)answer.StatusCode);
        Assert.Equal(job.ModelId, Jobs.Parse(await answer.Content.ReadAsStringAsync()).GetProperty("modelId").GetString());
        // The app's own storage clients did not fetch it: the download begun before the host was built did.
        Assert.Equal(0, appStorage.CountWhere(r => r.Contains("/models/", StringComparison.Ordinal)));
    }

    [Fact]
    public void With_warm_up_off_nothing_is_fetched_at_start_up()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(AppServer.AppSettings(app.ConnectionString)).Build();

        Assert.Null(StartupModelFetch.Begin(configuration).Take());
    }

    [Fact]
    public async Task A_start_up_fetch_from_a_malformed_storage_setting_fails_in_the_background_not_in_Main()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(AppServer.AppSettings("this is not a connection string", WarmUpOn)).Build();

        var fetch = StartupModelFetch.Begin(configuration).Take();

        Assert.NotNull(fetch);
        await Assert.ThrowsAnyAsync<Exception>(() => fetch);
    }

    [Fact]
    public async Task A_worker_whose_storage_is_out_of_reach_still_starts_and_answers_liveness()
    {
        int closedPort = FreePort.Next();
        string unreachable = $"DefaultEndpointsProtocol=http;AccountName={AzuriteProcess.AccountName};AccountKey={AzuriteProcess.AccountKey};"
            + $"BlobEndpoint=http://127.0.0.1:{closedPort}/{AzuriteProcess.AccountName};QueueEndpoint=http://127.0.0.1:{closedPort}/{AzuriteProcess.AccountName};"
            + $"TableEndpoint=http://127.0.0.1:{closedPort}/{AzuriteProcess.AccountName};";
        await using var server = await AppServer.StartAsync(unreachable, WarmUpOn);

        await server.Get<ModelWarmUp>().Completion.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal((null, false), server.Get<ModelCache>().Status);
        using var live = await server.Client.GetAsync("api/health/live");
        Assert.Equal(200, (int)live.StatusCode);
    }

    [Fact]
    public async Task A_malformed_storage_setting_fails_the_warm_up_not_the_start()
    {
        // The storage clients cannot even be built from this; start-up must not depend on them.
        await using var server = await AppServer.StartAsync("this is not a connection string", WarmUpOn);

        await server.Get<ModelWarmUp>().Completion.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(server.BaseAddress);
    }
}

using FashionFunctions.Core.Inference;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Functions.Tests.Support;
using FashionFunctions.Testing;

namespace FashionFunctions.Functions.Tests;

/// <summary>A starting worker loads the current model in the background, and never fails to start because of it.</summary>
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

using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Tests.Support;
using FashionFunctions.Testing;

namespace FashionFunctions.Functions.Tests;

/// <summary>An app that keeps its checkpoints and writes one after every epoch (the tests' default interval, 0).</summary>
public sealed class EveryEpochCheckpointsApp : FunctionsApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["FashionFunctions:KeepCheckpoints"] = "true" };
}

/// <summary>An app that keeps its checkpoints and writes them at most once an hour.</summary>
public sealed class HourlyCheckpointsApp : FunctionsApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["FashionFunctions:KeepCheckpoints"] = "true",
        ["FashionFunctions:CheckpointIntervalSeconds"] = "3600",
    };
}

/// <summary>Checkpoints are written at most once per interval of training, and always after the last epoch.</summary>
[Trait("Category", "Azurite")]
public class CheckpointIntervalTests(EveryEpochCheckpointsApp everyEpoch, HourlyCheckpointsApp hourly)
    : IClassFixture<EveryEpochCheckpointsApp>, IClassFixture<HourlyCheckpointsApp>
{
    private const string ThreeEpochs = """{"epochs": 3, "trainLimit": 3000, "seed": 4}""";

    [Fact]
    public async Task With_no_interval_every_epoch_writes_a_checkpoint()
    {
        var job = await Jobs.TrainAsync(everyEpoch, ThreeEpochs);

        var names = await everyEpoch.Get<CheckpointStore>().ListAsync(job.Id);

        Assert.Equal(["epoch-0001", "epoch-0002", "epoch-0003"], names.Select(Epoch).Order());
    }

    [Fact]
    public async Task Epochs_shorter_than_the_interval_write_only_the_last_epochs_checkpoint_but_record_every_epoch()
    {
        var job = await Jobs.TrainAsync(hourly, ThreeEpochs);

        var names = await hourly.Get<CheckpointStore>().ListAsync(job.Id);

        Assert.Equal(["epoch-0003"], names.Select(Epoch));
        Assert.Equal(3, job.Metrics.Count);
    }

    private static string Epoch(string blobName) => blobName.Split('/')[^1][..10];
}

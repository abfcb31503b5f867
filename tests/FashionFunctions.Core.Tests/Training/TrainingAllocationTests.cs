using FashionFunctions.Core.Tests.Support;
using FashionFunctions.Core.Training;
using Xunit.Abstractions;

namespace FashionFunctions.Core.Tests.Training;

/// <summary>
/// Steps allocate nothing, on either of the trainer's threads. Allocation is counted for the whole process, so
/// this runs in the collection that runs alone.
/// </summary>
[Collection(LibtorchThreadsCollection.Name)]
public class TrainingAllocationTests(FashionMnistFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Training_with_checkpoints_allocates_per_epoch_not_per_step()
    {
        var options = new TrainingOptions { Epochs = 3, BatchSize = 1, TrainLimit = 4000, TestLimit = 100, Seed = 3 };
        var allocatedAt = new List<long>();
        long checkpointBytes = 0;
        Trainer.Train(fixture.Dataset, options, onEpochCompleted: c =>
        {
            allocatedAt.Add(GC.GetTotalAllocatedBytes(precise: true));
            checkpointBytes = 3L * c.Parameters.Length * sizeof(float);
        });

        // Two epochs of 4,000 steps each, and the two checkpoints built after them: even one small object per
        // step (24 bytes and more) would add 192 KB; the margin covers the test runner's own threads.
        long allocated = allocatedAt[2] - allocatedAt[0];
        output.WriteLine($"{allocated - 2 * checkpointBytes:N0} bytes allocated besides the checkpoints' arrays");
        Assert.True(allocated < 2 * checkpointBytes + 64 * 1024, $"{allocated:N0} bytes allocated over 8,000 steps and 2 checkpoints of {checkpointBytes:N0} bytes");
    }
}

using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Tests.Support;
using FashionFunctions.Core.Training;
using TorchSharp;
using Xunit.Abstractions;

namespace FashionFunctions.Core.Tests.Training;

/// <summary>Steps allocate nothing, on either of the trainer's threads; only the per-epoch checkpoint does.
/// Allocation is counted per thread, so other tests running meanwhile do not count.</summary>
[Collection(FashionMnistCollection.Name)]
public class TrainingAllocationTests(FashionMnistFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Training_with_checkpoints_allocates_per_epoch_not_per_step_on_the_callers_thread()
    {
        var options = new TrainingOptions { Epochs = 3, BatchSize = 1, TrainLimit = 4000, TestLimit = 100, Seed = 3 };
        var allocatedAt = new List<long>();
        long checkpointBytes = 0;
        Trainer.Train(fixture.Dataset, options, onEpochCompleted: c =>
        {
            allocatedAt.Add(GC.GetAllocatedBytesForCurrentThread());
            checkpointBytes = 3L * c.Parameters.Length * sizeof(float);
        });

        // Two epochs of 4,000 steps each, and the two checkpoints built after them: even one small object per
        // step (24 bytes and more) would add 192 KB.
        long allocated = allocatedAt[2] - allocatedAt[0];
        output.WriteLine($"{allocated - 2 * checkpointBytes:N0} bytes allocated besides the checkpoints' arrays");
        Assert.True(allocated < 2 * checkpointBytes + 32 * 1024, $"{allocated:N0} bytes allocated over 8,000 steps and 2 checkpoints of {checkpointBytes:N0} bytes");
    }

    [Fact]
    public void Gathered_steps_allocate_nothing_on_the_helper_thread_either()
    {
        var train = fixture.Dataset.Train;
        var order = new int[train.Count];
        EpochOrder.Fill(3, 1, order);
        using var generator = new torch.Generator(3);
        using var initial = new FashionMlp(generator: generator);
        using var trainer = new FusedAdamTrainer(initial, new TrainingOptions(), [32], threads: 2);
        void Steps(int from, int count)
        {
            for (int s = from; s < from + count; s++)
            {
                trainer.Step(train, order.AsMemory(s * 32, 32));
            }
        }

        Steps(0, 200); // first calls: buffers touched, code compiled
        long helperBefore = trainer.HelperThreadAllocatedBytes;
        long callerBefore = GC.GetAllocatedBytesForCurrentThread();
        Steps(200, 1500);
        long helper = trainer.HelperThreadAllocatedBytes - helperBefore;
        long caller = GC.GetAllocatedBytesForCurrentThread() - callerBefore;

        // One small object per step on either thread would be 36 KB and more.
        output.WriteLine($"1,500 steps: {caller:N0} bytes on the caller's thread, {helper:N0} on the helper's");
        Assert.Equal(1700, trainer.HelperWorkDone); // the helper did run every step
        Assert.True(helper < 8 * 1024, $"the helper thread allocated {helper:N0} bytes over 1,500 steps");
        Assert.True(caller < 8 * 1024, $"the caller's thread allocated {caller:N0} bytes over 1,500 steps");
    }
}

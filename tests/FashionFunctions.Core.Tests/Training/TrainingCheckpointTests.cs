using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Tests.Support;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Tests.Training;

[Collection(FashionMnistCollection.Name)]
public class TrainingCheckpointTests(FashionMnistFixture fixture)
{
    private static readonly TrainingOptions Options = new() { Epochs = 3, TrainLimit = 1500, TestLimit = 500, ValidationSize = 500, Seed = 9 };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_run_resumed_after_epoch_k_ends_with_the_bytes_of_an_uninterrupted_run(int k)
    {
        var checkpoints = new List<byte[]>();
        var uninterrupted = Trainer.Train(fixture.Dataset, Options, onEpochCompleted: c => checkpoints.Add(c.ToBytes()));
        Assert.Equal(3, checkpoints.Count);

        var saved = TrainingCheckpoint.FromBytes(checkpoints[k - 1]);
        Assert.Equal(k, saved.EpochsCompleted);
        var resumedEpochs = new List<int>();
        var resumed = Trainer.Train(fixture.Dataset, Options, resumeFrom: saved, onEpochCompleted: c => resumedEpochs.Add(c.EpochsCompleted));

        Assert.Equal(Enumerable.Range(k + 1, 3 - k), resumedEpochs);
        Assert.Equal(WeightBytes(uninterrupted), WeightBytes(resumed));
        Assert.Equal(uninterrupted.Epochs.Select(e => (e.Loss, e.TestAccuracy, e.ValidationAccuracy)), resumed.Epochs.Select(e => (e.Loss, e.TestAccuracy, e.ValidationAccuracy)));
    }

    [Fact]
    public void A_checkpoint_round_trips_through_its_bytes()
    {
        TrainingCheckpoint? last = null;
        Trainer.Train(fixture.Dataset, Options with { Epochs = 1 }, onEpochCompleted: c => last = c);
        var copy = TrainingCheckpoint.FromBytes(last!.ToBytes());

        Assert.Equal(last.Options, copy.Options);
        Assert.Equal(1, copy.EpochsCompleted);
        Assert.Equal(last.AdamStep, copy.AdamStep);
        Assert.Equal(47, copy.AdamStep); // 1,500 images in batches of 32
        Assert.Equal(last.Parameters, copy.Parameters);
        Assert.Equal(last.FirstMoment, copy.FirstMoment);
        Assert.Equal(last.SecondMoment, copy.SecondMoment);
        Assert.Equal(last.Epochs, copy.Epochs);
    }

    [Fact]
    public void Corrupt_or_truncated_bytes_are_refused()
    {
        TrainingCheckpoint? last = null;
        Trainer.Train(fixture.Dataset, Options with { Epochs = 1, TrainLimit = 300 }, onEpochCompleted: c => last = c);
        byte[] bytes = last!.ToBytes();

        foreach (int position in new[] { 3, 40, bytes.Length / 2, bytes.Length - 1 })
        {
            byte[] corrupt = (byte[])bytes.Clone();
            corrupt[position] ^= 0x10;
            Assert.Throws<InvalidCheckpointException>(() => TrainingCheckpoint.FromBytes(corrupt));
        }

        foreach (int length in new[] { 0, 7, 100, bytes.Length - 4 })
        {
            Assert.Throws<InvalidCheckpointException>(() => TrainingCheckpoint.FromBytes(bytes[..length]));
        }

        Assert.Throws<InvalidCheckpointException>(() => TrainingCheckpoint.FromBytes(new byte[1000]));
        Assert.Throws<InvalidCheckpointException>(() => TrainingCheckpoint.FromBytes([.. bytes, 0]));
    }

    [Fact]
    public void A_checkpoint_from_other_options_is_refused()
    {
        TrainingCheckpoint? last = null;
        Trainer.Train(fixture.Dataset, Options with { Epochs = 1, TrainLimit = 300 }, onEpochCompleted: c => last = c);

        Assert.Throws<InvalidCheckpointException>(() => Trainer.Train(fixture.Dataset, Options with { TrainLimit = 300, Seed = 10 }, resumeFrom: last));
        var forged = new TrainingCheckpoint
        {
            Options = last!.Options,
            EpochsCompleted = 1,
            AdamStep = last.AdamStep,
            Parameters = last.Parameters[1..],
            FirstMoment = last.FirstMoment,
            SecondMoment = last.SecondMoment,
            Epochs = last.Epochs,
        };
        Assert.Throws<InvalidCheckpointException>(() => TrainingCheckpoint.FromBytes(forged.ToBytes()));
    }

    [Fact]
    public void An_exception_from_the_callback_stops_training()
    {
        int epochs = 0;
        var e = Assert.Throws<IOException>(() => Trainer.Train(fixture.Dataset, Options with { TrainLimit = 300 }, onEpochCompleted: _ =>
        {
            epochs++;
            throw new IOException("storage down");
        }));
        Assert.Equal("storage down", e.Message);
        Assert.Equal(1, epochs);
    }

    private static byte[] WeightBytes(TrainingResult result) =>
        SafeTensorsFile.Write(result.Weights.Tensors);
}

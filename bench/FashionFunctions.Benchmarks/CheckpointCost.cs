using System.Diagnostics;
using Azure.Storage.Blobs;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Benchmarks;

/// <summary>What a job's per-epoch checkpoint costs the training thread: building it, serialising it, and writing
/// the blob (to Azurite here), against the epoch it follows.</summary>
internal sealed record CheckpointCostResult(int Bytes, double BuildMilliseconds, double SerialiseMilliseconds, double WriteMilliseconds, double EpochSeconds)
{
    /// <summary>The share of training time if every epoch wrote its checkpoint.</summary>
    public double ShareOfEpoch => (BuildMilliseconds + SerialiseMilliseconds + WriteMilliseconds) / 1000 / EpochSeconds;

    /// <summary>The share with checkpoints written at most once per <paramref name="interval"/>: every epoch still
    /// builds one (the trainer hands it over), serialising and writing it happen once an interval.</summary>
    public double ShareAtInterval(TimeSpan interval) =>
        (BuildMilliseconds + (SerialiseMilliseconds + WriteMilliseconds) * Math.Min(1, EpochSeconds / Math.Max(interval.TotalSeconds, 1e-9))) / 1000 / EpochSeconds;
}

internal static class CheckpointCost
{
    /// <summary>Trains <paramref name="epochs"/> epochs writing a checkpoint after each, as a job does; medians.</summary>
    public static CheckpointCostResult Run(FashionMnistDataset dataset, TrainingOptions options, string storageConnection, int epochs = 4)
    {
        var store = new CheckpointStore(new BlobServiceClient(storageConnection).GetBlobContainerClient(StorageNames.CheckpointContainer));
        var build = new List<double>();
        var serialise = new List<double>();
        var write = new List<double>();
        int bytes = 0;
        long epochEnded = 0;
        var result = Trainer.Train(dataset, options with { Epochs = epochs }, onEpochCompleted: checkpoint =>
        {
            // The trainer built the checkpoint just before calling here; its time is the gap since the epoch ended.
            build.Add(Stopwatch.GetElapsedTime(epochEnded).TotalMilliseconds);
            long start = Stopwatch.GetTimestamp();
            byte[] data = checkpoint.ToBytes();
            serialise.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            start = Stopwatch.GetTimestamp();
            store.WriteAsync(CheckpointStore.BlobName("bench", checkpoint.EpochsCompleted, "run"), data).GetAwaiter().GetResult();
            write.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            bytes = data.Length;
        }, progress: new EpochEndClock(() => epochEnded = Stopwatch.GetTimestamp()));
        return new CheckpointCostResult(bytes, Statistics.Median(build.Skip(1)), Statistics.Median(serialise.Skip(1)), Statistics.Median(write.Skip(1)),
            Statistics.Median(result.Epochs.Skip(1).Select(e => e.DurationSeconds)));
    }

    /// <summary>Notes when an epoch's last progress report (the completed epoch, with its metrics) arrives.</summary>
    private sealed class EpochEndClock(Action onEpochEnd) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.CompletedEpoch is not null)
            {
                onEpochEnd();
            }
        }
    }
}

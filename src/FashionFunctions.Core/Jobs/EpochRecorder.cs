using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Jobs;

/// <summary>Writes each finished epoch's metrics to the job record, in order, off the training thread.</summary>
internal sealed class EpochRecorder(JobRecordWriter tracker, TimeProvider time) : IProgress<TrainingProgress>
{
    private readonly List<EpochMetrics> epochs = [];
    private Task pending = Task.CompletedTask;

    public void Report(TrainingProgress value)
    {
        if (value.CompletedEpoch is not { } metrics)
        {
            return;
        }

        epochs.Add(metrics);
        var snapshot = epochs.ToList();
        var previous = pending;
        pending = Task.Run(async () =>
        {
            await previous.ConfigureAwait(false);
            await tracker.UpdateAsync(j => j with { Epoch = metrics.Epoch, Metrics = snapshot, UpdatedAt = time.GetUtcNow() }, CancellationToken.None).ConfigureAwait(false);
        });
    }

    public Task FlushAsync() => pending;
}

using System.Diagnostics;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// After every epoch, on the training thread: records the epoch's metrics under the run's claim (a heartbeat
/// too). Training waits for the write, so a run that lost its claim stops before its next epoch.
/// </summary>
internal sealed class EpochWriter(JobClaim claim, CheckpointStore checkpoints, Activity? run, CancellationToken cancellationToken) : IProgress<TrainingProgress>
{
    private readonly List<EpochMetrics> epochs = [.. claim.Job.Metrics];

    public CheckpointStore Checkpoints { get; } = checkpoints;

    public void Report(TrainingProgress value)
    {
        if (value.CompletedEpoch is not { } metrics)
        {
            return;
        }

        epochs.RemoveAll(e => e.Epoch >= metrics.Epoch);
        epochs.Add(metrics);
        var snapshot = epochs.ToList();
        claim.UpdateAsync(j => j with { Epoch = metrics.Epoch, Metrics = snapshot }, cancellationToken).GetAwaiter().GetResult();
        JobTelemetry.RecordEpoch(run, claim.Job.Id, metrics);
    }
}

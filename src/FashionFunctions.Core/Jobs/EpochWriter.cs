using System.Diagnostics;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Training;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// After every epoch, on the training thread: records the epoch's metrics under the run's claim (a heartbeat too),
/// and when a checkpoint is due — the checkpoint interval of training since the last one, or the
/// last epoch — first writes the run's checkpoint blob and names it in that same record update. Training waits for
/// both, so a run that lost its claim stops before its next epoch, and the record never names a checkpoint its run
/// did not finish writing. The checkpoint it supersedes is then deleted.
/// </summary>
internal sealed class EpochWriter(JobClaim claim, CheckpointStore checkpoints, JobLifecycleOptions lifecycle, Activity? run, ILogger logger, CancellationToken cancellationToken)
{
    private long lastCheckpoint = Stopwatch.GetTimestamp();

    /// <summary>Total time spent after epochs: record updates, and the checkpoints written with some of them.</summary>
    public TimeSpan CheckpointTime { get; private set; }

    public void OnEpochCompleted(TrainingCheckpoint checkpoint)
    {
        var clock = Stopwatch.StartNew();
        var metrics = checkpoint.Epochs[^1];
        bool due = checkpoint.EpochsCompleted == checkpoint.Options.Epochs || Stopwatch.GetElapsedTime(lastCheckpoint) >= lifecycle.CheckpointInterval;
        string? blob = null;
        int size = 0;
        if (due)
        {
            blob = CheckpointStore.BlobName(claim.Job.Id, checkpoint.EpochsCompleted, claim.Token);
            byte[] bytes = checkpoint.ToBytes();
            size = bytes.Length;
            checkpoints.WriteAsync(blob, bytes, cancellationToken).GetAwaiter().GetResult();
            lastCheckpoint = Stopwatch.GetTimestamp();
        }

        var epochs = checkpoint.Epochs.ToList();
        string? superseded = claim.Job.Checkpoint;
        claim.UpdateAsync(j => j with { Epoch = checkpoint.EpochsCompleted, Metrics = epochs, Checkpoint = blob ?? j.Checkpoint }, cancellationToken).GetAwaiter().GetResult();
        if (blob is not null && superseded is not null && !lifecycle.KeepCheckpoints)
        {
            DeleteSuperseded(superseded);
        }

        CheckpointTime += clock.Elapsed;
        logger.LogInformation("Job {JobId}: epoch {Epoch} took {EpochSeconds:F3} s; its record update and checkpoint ({Bytes} bytes, 0 when not due) took {WriteSeconds:F3} s",
            claim.Job.Id, metrics.Epoch, metrics.DurationSeconds, size, clock.Elapsed.TotalSeconds);
        JobTelemetry.RecordEpoch(run, claim.Job.Id, metrics);
    }

    /// <summary>The record no longer names it, so no run resumes from it: best-effort, a blob left behind costs
    /// only storage (the run's clean-up and the container's lifecycle rule catch it).</summary>
    private void DeleteSuperseded(string blob)
    {
        try
        {
            checkpoints.DeleteAsync(blob, cancellationToken).GetAwaiter().GetResult();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested) // a storage timeout is a cancellation too
        {
            logger.LogWarning(e, "Job {JobId}: superseded checkpoint {Checkpoint} not deleted", claim.Job.Id, blob);
        }
    }
}

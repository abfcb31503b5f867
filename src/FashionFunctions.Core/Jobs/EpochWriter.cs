using System.Diagnostics;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Training;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// After every epoch, on the training thread: writes the run's checkpoint blob, then records the epoch and names
/// the checkpoint under the run's claim (a heartbeat too). Training waits for both, so a run that lost its claim
/// stops before its next epoch, and the record never names a checkpoint its run did not finish writing.
/// </summary>
internal sealed class EpochWriter(JobClaim claim, CheckpointStore checkpoints, Activity? run, ILogger logger, CancellationToken cancellationToken)
{
    /// <summary>Total time spent writing checkpoints and their record updates, for the cost log line.</summary>
    public TimeSpan CheckpointTime { get; private set; }

    public void OnEpochCompleted(TrainingCheckpoint checkpoint)
    {
        var clock = Stopwatch.StartNew();
        var metrics = checkpoint.Epochs[^1];
        string blob = CheckpointStore.BlobName(claim.Job.Id, checkpoint.EpochsCompleted, claim.Token);
        byte[] bytes = checkpoint.ToBytes();
        checkpoints.WriteAsync(blob, bytes, cancellationToken).GetAwaiter().GetResult();
        var epochs = checkpoint.Epochs.ToList();
        claim.UpdateAsync(j => j with { Epoch = checkpoint.EpochsCompleted, Metrics = epochs, Checkpoint = blob }, cancellationToken).GetAwaiter().GetResult();
        CheckpointTime += clock.Elapsed;
        logger.LogInformation("Job {JobId}: epoch {Epoch} took {EpochSeconds:F3} s; its checkpoint ({Bytes} bytes) and record took {CheckpointSeconds:F3} s",
            claim.Job.Id, metrics.Epoch, metrics.DurationSeconds, bytes.Length, clock.Elapsed.TotalSeconds);
        JobTelemetry.RecordEpoch(run, claim.Job.Id, metrics);
    }
}

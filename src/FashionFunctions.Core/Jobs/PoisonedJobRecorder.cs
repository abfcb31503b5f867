using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Ends a job whose message the host gave up on (moved to the poison queue after its last delivery, typically
/// because every run was killed or timed out before it could record anything): the job is recorded failed with
/// the attempts and the last error, and folded into its sweep. A job that still has attempts left (its last
/// delivery was cut short by its host shutting down, which does not use one up) is queued again instead. A job
/// that finished, or that a live run still holds, is left alone.
/// </summary>
public sealed class PoisonedJobRecorder(
    TableJobStore jobs, TrainingJobQueue queue, JobLifecycleOptions lifecycle, TimeProvider time, ILogger<PoisonedJobRecorder> logger, SweepRecorder? sweeps = null)
{
    /// <summary>Returns the record as this left it, or null when there was nothing to do.</summary>
    public async Task<TrainingJob?> RecordAsync(string messageText, long dequeueCount, CancellationToken cancellationToken = default)
    {
        TrainingJobMessage message;
        try
        {
            message = TrainingJobMessage.Parse(messageText);
        }
        catch (FormatException)
        {
            logger.LogWarning("Poison queue: unusable message ignored (its delivery recorded it)");
            return null;
        }

        bool requeue = false, failed = false;
        var stored = await jobs.UpdateAsync(message.JobId, stored =>
        {
            var job = stored.Record;
            (requeue, failed) = (false, false);
            if (job.IsFinished || lifecycle.ClaimIsLive(stored))
            {
                return null;
            }

            if (job.Attempts < lifecycle.MaxAttempts && job.Status == TrainingJobStatus.Queued)
            {
                requeue = true;
                return null;
            }

            failed = true;
            var now = time.GetUtcNow();
            return job with
            {
                Status = TrainingJobStatus.Failed,
                FinishedAt = now,
                UpdatedAt = now,
                RunToken = null,
                Error = $"Gave up: the job's message was delivered {dequeueCount} times and moved to the poison queue after {job.Attempts} attempts. " +
                        $"Last error: {job.Error ?? "none recorded (the run was killed or timed out)"}",
            };
        }, cancellationToken).ConfigureAwait(false);

        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = message.JobId });
        if (stored is null)
        {
            return null;
        }

        if (requeue)
        {
            await queue.EnqueueAsync(message, cancellationToken: cancellationToken).ConfigureAwait(false);
            logger.LogWarning("Job {JobId}: its message reached the poison queue with {Attempts} of {MaxAttempts} attempts used; queued again", message.JobId, stored.Record.Attempts, lifecycle.MaxAttempts);
            return stored.Record;
        }

        if (!failed)
        {
            return null; // left alone: finished or held by a live run
        }

        logger.LogError("Job {JobId} failed: {Error}", message.JobId, stored.Record.Error);
        if (sweeps is not null)
        {
            await sweeps.JobEndedAsync(message.JobId, cancellationToken).ConfigureAwait(false);
        }

        return stored.Record;
    }
}

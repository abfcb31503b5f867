using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Ends a job whose message the host gave up on (moved to the poison queue after its last delivery, typically
/// because every run was killed or timed out before it could record anything): the job is recorded failed
/// with the attempts and the last error. A job that finished, or that a live run still holds, is left alone.
/// </summary>
public sealed class PoisonedJobRecorder(TableJobStore jobs, JobLifecycleOptions lifecycle, TimeProvider time, ILogger<PoisonedJobRecorder> logger)
{
    /// <summary>Returns the failed record, or null when there was nothing to fail.</summary>
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

        while (true)
        {
            var stored = await jobs.GetAsync(message.JobId, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            if (stored is null || stored.Job.IsFinished || TrainingJobRunner.ClaimIsLive(stored.Job, now, lifecycle))
            {
                return null;
            }

            var job = stored.Job;
            var failed = job with
            {
                Status = TrainingJobStatus.Failed,
                FinishedAt = now,
                UpdatedAt = now,
                RunToken = null,
                Error = $"Gave up: the job's message was delivered {dequeueCount} times and moved to the poison queue after {job.Attempts} attempts. " +
                        $"Last error: {job.Error ?? "none recorded (the run was killed or timed out)"}",
            };
            if (await jobs.TryReplaceAsync(failed, stored.ETag, cancellationToken).ConfigureAwait(false) is { } written)
            {
                using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = job.Id });
                logger.LogError("Job {JobId} failed: {Error}", job.Id, failed.Error);
                return written.Job;
            }
        }
    }
}

using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Finds runs whose claim lapsed (their worker crashed, was killed or recycled) and puts their job back on the
/// queue, so that it resumes from its last checkpoint within minutes instead of when the queue's 10-minute
/// visibility timeout lets the original message reappear (that message then finds the job claimed or finished
/// and does nothing). Lapse is judged on the storage service's clock (<see cref="JobLifecycleOptions.ClaimIsLive"/>).
/// The watchdog marks the run it found lapsed (<see cref="TrainingJob.RecoveryQueuedFor"/>), so that the delivery
/// it queues takes the job over at once, and re-enqueues a job once per claim expiry while nobody takes it over.
/// </summary>
public sealed class JobWatchdog(TableJobStore jobs, TrainingJobQueue queue, JobLifecycleOptions lifecycle, ILogger<JobWatchdog> logger)
{
    /// <summary>Returns the ids of the jobs re-enqueued.</summary>
    public async Task<IReadOnlyList<string>> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var requeued = new List<string>();
        await foreach (var running in jobs.RunningAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!Lapsed(running))
            {
                continue;
            }

            bool lapsed = false;
            var marked = await jobs.UpdateAsync(running.Record.Id, stored =>
            {
                lapsed = Lapsed(stored);
                return lapsed ? stored.Record with { RecoveryQueuedFor = stored.Record.RunToken } : null;
            }, cancellationToken, running).ConfigureAwait(false);
            if (marked is null || !lapsed)
            {
                continue; // it changed meanwhile: the run came back, another took over, or it finished
            }

            var job = marked.Record;
            await queue.EnqueueAsync(new TrainingJobMessage(job.Id, job.TraceParent), cancellationToken: cancellationToken).ConfigureAwait(false);
            logger.LogWarning("Job {JobId}: the claim of run {RunToken} lapsed (last write {Unwritten} before); re-enqueued to resume from its checkpoint", job.Id, job.RunToken, running.Unwritten);
            requeued.Add(job.Id);
        }

        return requeued;
    }

    /// <summary>Running, unwritten for a claim expiry, and not re-enqueued since (the mark is itself a write, so a
    /// job still lapsed a claim expiry after its mark is re-enqueued again).</summary>
    private bool Lapsed(Stored<TrainingJob> stored) =>
        stored.Record is { Status: TrainingJobStatus.Running, RunToken: not null } && stored.Unwritten >= lifecycle.ClaimExpiry;
}

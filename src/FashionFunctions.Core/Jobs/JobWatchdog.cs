using Azure.Data.Tables;
using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Finds runs whose heartbeat lapsed (their worker crashed, was killed or recycled) and puts their job back on
/// the queue, so that it resumes from its last checkpoint within minutes instead of when the queue's 10-minute
/// visibility timeout lets the original message reappear (that message then finds the job claimed or finished
/// and does nothing). Each lapse is re-enqueued once per claim expiry.
/// </summary>
public sealed class JobWatchdog(TableJobStore jobs, TrainingJobQueue queue, JobLifecycleOptions lifecycle, TimeProvider time, ILogger<JobWatchdog> logger)
{
    /// <summary>Returns the ids of the jobs re-enqueued.</summary>
    public async Task<IReadOnlyList<string>> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var cutoff = now - lifecycle.ClaimExpiry;
        string filter = TableClient.CreateQueryFilter($"Status eq {nameof(TrainingJobStatus.Running)} and HeartbeatAt lt {cutoff}");
        var requeued = new List<string>();
        await foreach (var stored in jobs.QueryAsync(filter, cancellationToken).ConfigureAwait(false))
        {
            var job = stored.Job;
            if (TrainingJobRunner.ClaimIsLive(job, now, lifecycle) || job.RecoveryQueuedAt > cutoff)
            {
                continue;
            }

            if (await jobs.TryReplaceAsync(job with { RecoveryQueuedAt = now }, stored.ETag, cancellationToken).ConfigureAwait(false) is null)
            {
                continue; // it changed meanwhile: a run came back or took over
            }

            await queue.EnqueueAsync(new TrainingJobMessage(job.Id, job.TraceParent), cancellationToken: cancellationToken).ConfigureAwait(false);
            logger.LogWarning("Job {JobId}: heartbeat lapsed at {HeartbeatAt}; re-enqueued to resume from its checkpoint", job.Id, job.HeartbeatAt);
            requeued.Add(job.Id);
        }

        return requeued;
    }
}

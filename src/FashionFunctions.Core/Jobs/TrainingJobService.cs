using System.Diagnostics;
using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Creates, enqueues and cancels training jobs. One idempotency key makes one job: the job's row and the key's row
/// are stored in one transaction, and the key is bound to the request's hash. A submit is atomic from the
/// caller's view: a replay of a job whose message was never sent (the first submit died or its enqueue failed)
/// sends it.
/// </summary>
public sealed class TrainingJobService(TableJobStore jobs, TrainingJobQueue queue, JobLifecycleOptions lifecycle, TimeProvider time)
{
    private static readonly TimeSpan ReplayPoll = TimeSpan.FromMilliseconds(200);

    public async Task<(TrainingJob Job, bool Created)> SubmitAsync(TrainingJobRequest request, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        var options = request.ToOptions();
        string hash = request.Hash();
        if (idempotencyKey is not null && await jobs.GetKeyAsync(idempotencyKey, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return (await ReplayAsync(existing, hash, cancellationToken).ConfigureAwait(false), false);
        }

        var now = time.GetUtcNow();
        var job = new TrainingJob
        {
            Id = TrainingJob.NewId(now),
            Status = TrainingJobStatus.Queued,
            CreatedAt = now,
            UpdatedAt = now,
            Options = options,
            Promote = request.Promote ?? true,
            TraceParent = Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null,
        };
        if (await jobs.CreateAsync(job, idempotencyKey, hash, cancellationToken).ConfigureAwait(false) is { } winner)
        {
            return (await ReplayAsync(winner, hash, cancellationToken).ConfigureAwait(false), false);
        }

        return (await EnqueueAsync(job.Id, cancellationToken).ConfigureAwait(false), true);
    }

    /// <summary>Cancels an unfinished job: a queued one will not run, a running one stops at its next step
    /// boundary after its next heartbeat. Throws for an unknown or finished job.</summary>
    public async Task<TrainingJob> CancelAsync(string jobId, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var stored = await jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) ?? throw new TrainingJobNotFoundException(jobId);
            if (stored.Job.IsFinished)
            {
                throw new TrainingJobFinishedException(jobId, stored.Job.Status);
            }

            var now = time.GetUtcNow();
            var cancelled = stored.Job with { Status = TrainingJobStatus.Cancelled, FinishedAt = now, UpdatedAt = now, Error = "Cancelled on request." };
            if (await jobs.TryReplaceAsync(cancelled, stored.ETag, cancellationToken).ConfigureAwait(false) is { } written)
            {
                return written.Job;
            }
        }
    }

    /// <summary>The job an earlier submit with this key made; sent to the queue if that submit never did.</summary>
    private async Task<TrainingJob> ReplayAsync(IdempotencyKeyRow key, string requestHash, CancellationToken cancellationToken)
    {
        if (key.RequestHash != requestHash)
        {
            throw new IdempotencyKeyReusedException(key.JobId);
        }

        while (true)
        {
            var stored = await jobs.GetAsync(key.JobId, cancellationToken).ConfigureAwait(false)
                ?? throw new CorruptStoredDataException($"{StorageNames.JobTable}/{key.JobId}", "an idempotency key names a job that has no row.");
            var job = stored.Job;
            if (!AwaitsItsFirstEnqueue(job))
            {
                return job;
            }

            // The first submit may still be on its way to the queue: give it a moment before sending it ourselves.
            if (time.GetUtcNow() - job.CreatedAt >= lifecycle.EnqueueGrace)
            {
                return await EnqueueAsync(job.Id, cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(ReplayPoll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the job was created but has not been sent to the queue yet (nor run: a run means it was).</summary>
    public static bool AwaitsItsFirstEnqueue(TrainingJob job) => !job.Enqueued && job.Status == TrainingJobStatus.Queued && job.Attempts == 0;

    /// <summary>Sends the job to the queue and marks it sent (<see cref="TrainingJob.Enqueued"/>), unless its record
    /// says it was sent, or has run or been cancelled already.</summary>
    public async Task<TrainingJob> EnqueueAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var stored = await jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) ?? throw new TrainingJobNotFoundException(jobId);
        if (!AwaitsItsFirstEnqueue(stored.Job))
        {
            return stored.Job;
        }

        await queue.EnqueueAsync(new TrainingJobMessage(jobId, stored.Job.TraceParent), cancellationToken: cancellationToken).ConfigureAwait(false);
        while (!stored.Job.Enqueued)
        {
            if (await jobs.TryReplaceAsync(stored.Job with { Enqueued = true }, stored.ETag, cancellationToken).ConfigureAwait(false) is { } written)
            {
                return written.Job;
            }

            stored = await jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) ?? throw new TrainingJobNotFoundException(jobId);
        }

        return stored.Job;
    }
}

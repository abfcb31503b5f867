using System.Diagnostics;
using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Creates, reads, lists, cancels and enqueues training jobs. One idempotency key makes one job: the job's row and
/// the key's row are stored in one transaction, and the key is bound to the request's hash. A submit is atomic
/// from the caller's view: a replay of a job whose message was never sent (the first submit died or its enqueue
/// failed) sends it — once, however many replays race (the sender reserves the send first).
/// </summary>
public sealed class TrainingJobService(TableJobStore jobs, TrainingJobQueue queue, JobLifecycleOptions lifecycle, TimeProvider time)
{
    private static readonly TimeSpan ReplayPoll = TimeSpan.FromMilliseconds(200);

    public async Task<(TrainingJob Job, bool Created)> CreateAsync(TrainingJobRequest request, string? idempotencyKey, CancellationToken cancellationToken = default)
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

    public async Task<TrainingJob> GetAsync(string jobId, CancellationToken cancellationToken = default) =>
        (await jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false))?.Record ?? throw new TrainingJobNotFoundException(jobId);

    /// <summary>Newest first; <paramref name="next"/> continues a listing (<see cref="InvalidPageTokenException"/> for a token
    /// this listing did not issue).</summary>
    public Task<Page<TrainingJob>> ListAsync(int limit, string? next, CancellationToken cancellationToken = default) =>
        jobs.ListAsync(limit, next, cancellationToken);

    /// <summary>Cancels an unfinished job: a queued one will not run, a running one stops at its next step
    /// boundary after its next heartbeat. Throws for an unknown or finished job, and for one whose run is
    /// already publishing its model (it can only succeed now).</summary>
    public async Task<TrainingJob> CancelAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var written = await jobs.UpdateAsync(jobId, stored =>
        {
            var job = stored.Record;
            if (job.IsFinished)
            {
                throw new TrainingJobFinishedException(jobId, job.Status);
            }

            if (job.Publishing)
            {
                throw new TrainingJobPublishingException(jobId);
            }

            var now = time.GetUtcNow();
            return job with { Status = TrainingJobStatus.Cancelled, FinishedAt = now, UpdatedAt = now, Error = "Cancelled on request." };
        }, cancellationToken).ConfigureAwait(false);
        return written?.Record ?? throw new TrainingJobNotFoundException(jobId);
    }

    /// <summary>The job an earlier submit with this key made; sent to the queue if that submit never did.</summary>
    private async Task<TrainingJob> ReplayAsync(IdempotencyKeyRow key, string requestHash, CancellationToken cancellationToken)
    {
        if (key.RequestHash != requestHash)
        {
            throw new IdempotencyKeyReusedException(key.RecordId);
        }

        while (true)
        {
            var job = (await jobs.GetAsync(key.RecordId, cancellationToken).ConfigureAwait(false))?.Record
                ?? throw new CorruptStoredDataException($"{StorageNames.JobTable}/{key.RecordId}", "an idempotency key names a job that has no row.");
            if (!AwaitsItsFirstEnqueue(job))
            {
                return job;
            }

            // The first submit may still be on its way to the queue: give it a moment before sending it ourselves.
            if (time.GetUtcNow() - job.CreatedAt >= lifecycle.EnqueueGrace && !SendIsReserved(job))
            {
                return await EnqueueAsync(job.Id, cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(ReplayPoll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the job was created but has not been sent to the queue yet (nor run: a run means it was).</summary>
    public static bool AwaitsItsFirstEnqueue(TrainingJob job) => !job.Enqueued && job.Status == TrainingJobStatus.Queued && job.Attempts == 0;

    /// <summary>
    /// Sends the job to the queue and marks it sent (<see cref="TrainingJob.Enqueued"/>), unless its record says it
    /// was sent, has run or been cancelled already, or another request reserved the send within the grace. The
    /// reservation is a conditional write, so of two racing senders one sends. (Enqueue timings compare this
    /// instance's clock with the submitter's: a skew can cost one duplicate message, which the claim ignores.)
    /// </summary>
    public async Task<TrainingJob> EnqueueAsync(string jobId, CancellationToken cancellationToken = default)
    {
        bool reserved = false;
        var stored = await jobs.UpdateAsync(jobId, s =>
        {
            reserved = AwaitsItsFirstEnqueue(s.Record) && !SendIsReserved(s.Record);
            return reserved ? s.Record with { EnqueueReservedAt = time.GetUtcNow() } : null;
        }, cancellationToken).ConfigureAwait(false) ?? throw new TrainingJobNotFoundException(jobId);
        if (!reserved)
        {
            return stored.Record;
        }

        await queue.EnqueueAsync(new TrainingJobMessage(jobId, stored.Record.TraceParent), cancellationToken: cancellationToken).ConfigureAwait(false);
        var marked = await jobs.UpdateAsync(jobId, s => s.Record.Enqueued || s.Record.IsFinished ? null : s.Record with { Enqueued = true }, cancellationToken, stored).ConfigureAwait(false);
        return (marked ?? stored).Record;
    }

    private bool SendIsReserved(TrainingJob job) =>
        job.EnqueueReservedAt is { } reservedAt && time.GetUtcNow() - reservedAt < lifecycle.EnqueueGrace;
}

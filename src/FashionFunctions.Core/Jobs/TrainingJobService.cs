using System.Diagnostics;
using FashionFunctions.Core.Access;
using FashionFunctions.Core.Budgets;
using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Creates, reads, lists, cancels and enqueues training jobs. One idempotency key makes one job: the job's row and
/// the key's row are stored in one transaction, and the key is bound to the request's hash. A submit is atomic
/// from the caller's view: a replay of a job whose message was never sent (the first submit died or its enqueue
/// failed) sends it — once, however many replays race (the sender reserves the send first). Keys are the caller's
/// own and expire (<see cref="BudgetOptions.IdempotencyKeyLifetime"/>). A job is its creator's: other callers
/// who are not admins are told it does not exist.
/// </summary>
public sealed class TrainingJobService(TableJobStore jobs, TrainingJobQueue queue, JobLifecycleOptions lifecycle, TrainingBudget budget, TimeProvider time)
{
    private static readonly TimeSpan ReplayPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>Creates a job for <paramref name="caller"/>; only an admin may have it promote its model (the default
    /// for an admin, off for anyone else). Throws for invalid options, a job over budget, or too many active jobs.</summary>
    public async Task<(TrainingJob Job, bool Created)> CreateAsync(TrainingJobRequest request, Caller caller, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        var options = request.ToOptions();
        if (request.Promote == true)
        {
            caller.Require(Role.Admin, "Promoting a job's model");
        }

        budget.CheckJob(options);
        string hash = request.Hash();
        string? key = idempotencyKey is null ? null : caller.ScopeKey(idempotencyKey);
        if (key is not null && await LiveKeyAsync(key, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return (await ReplayAsync(existing, hash, cancellationToken).ConfigureAwait(false), false);
        }

        await budget.CheckActiveJobsAsync(caller, cancellationToken).ConfigureAwait(false);

        var now = time.GetUtcNow();
        var job = new TrainingJob
        {
            Id = TrainingJob.NewId(now),
            Status = TrainingJobStatus.Queued,
            CreatedAt = now,
            UpdatedAt = now,
            Options = options,
            Promote = request.Promote ?? caller.IsAdmin,
            Owner = caller.Id,
            TraceParent = Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null,
        };
        if (await jobs.CreateAsync(job, key, hash, cancellationToken).ConfigureAwait(false) is { } winner)
        {
            return (await ReplayAsync(winner, hash, cancellationToken).ConfigureAwait(false), false);
        }

        return (await EnqueueAsync(job.Id, cancellationToken).ConfigureAwait(false), true);
    }

    /// <summary>The job, if <paramref name="caller"/> may see it (its owner, or an admin).</summary>
    public async Task<TrainingJob> GetAsync(string jobId, Caller caller, CancellationToken cancellationToken = default) =>
        (await jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false))?.Record is { } job && caller.Owns(job.Owner)
            ? job
            : throw new TrainingJobNotFoundException(jobId);

    /// <summary>Newest first: every job for an admin, the caller's own for anyone else; <paramref name="next"/> continues
    /// a listing (<see cref="InvalidPageTokenException"/> for a token this listing did not issue).</summary>
    public Task<Page<TrainingJob>> ListAsync(int limit, string? next, Caller caller, CancellationToken cancellationToken = default) =>
        jobs.ListAsync(limit, next, cancellationToken, caller.IsAdmin ? null : caller.Id);

    /// <summary>Cancels an unfinished job: a queued one will not run, a running one stops at its next step
    /// boundary after its next heartbeat. Throws for an unknown or finished job, and for one whose run is
    /// already publishing its model (it can only succeed now).</summary>
    public async Task<TrainingJob> CancelAsync(string jobId, Caller caller, CancellationToken cancellationToken = default)
    {
        var written = await jobs.UpdateAsync(jobId, stored =>
        {
            var job = stored.Record;
            if (!caller.Owns(job.Owner))
            {
                throw new TrainingJobNotFoundException(jobId);
            }

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

    /// <summary>The key's row, unless it has expired (then it is forgotten, and the key names a new request).</summary>
    private async Task<IdempotencyKeyRow?> LiveKeyAsync(string key, CancellationToken cancellationToken)
    {
        var row = await jobs.GetKeyAsync(key, cancellationToken).ConfigureAwait(false);
        if (row is not null && row.Age > budget.Options.IdempotencyKeyLifetime)
        {
            await jobs.ForgetKeyAsync(key, row, cancellationToken).ConfigureAwait(false);
            return null;
        }

        return row;
    }

    /// <summary>Deletes a finished job and its idempotency key. Throws for an unknown job, and for one that is not
    /// finished or is a sweep's point (it goes with its sweep).</summary>
    public async Task DeleteAsync(string jobId, CancellationToken cancellationToken = default)
    {
        bool found = false;
        await jobs.RemoveAsync(jobId, stored =>
        {
            found = true;
            return stored.Record switch
            {
                { IsFinished: false } job => throw new TrainingJobNotDeletableException(jobId, job.Status, "only a finished job can be deleted; cancel it first."),
                { SweepId: { } sweepId } job => throw new TrainingJobNotDeletableException(jobId, job.Status, $"it is a point of {sweepId}, and goes with its sweep."),
                _ => true,
            };
        }, cancellationToken).ConfigureAwait(false);
        if (!found)
        {
            throw new TrainingJobNotFoundException(jobId);
        }
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

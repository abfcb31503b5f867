using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>Creates and enqueues training jobs; the same idempotency key always yields the same job.</summary>
public sealed class TrainingJobService(BlobJobStore jobs, TrainingJobQueue queue, TimeProvider time)
{
    /// <summary>How long a repeat waits for the first request with its key to store the job record.</summary>
    private static readonly TimeSpan ClaimGrace = TimeSpan.FromSeconds(5);

    public async Task<(TrainingJob Job, bool Created)> SubmitAsync(TrainingJobRequest request, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        var options = request.ToOptions();
        var now = time.GetUtcNow();
        string id = TrainingJob.NewId(now);
        await jobs.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);

        if (idempotencyKey is not null && await ExistingJobForKeyAsync(idempotencyKey, id, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return (existing, false);
        }

        var job = new TrainingJob
        {
            Id = id,
            Status = TrainingJobStatus.Queued,
            CreatedAt = now,
            UpdatedAt = now,
            Options = options,
            Promote = request.Promote ?? true,
        };
        await jobs.TryCreateAsync(job, cancellationToken).ConfigureAwait(false);
        await queue.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await queue.EnqueueAsync(new TrainingJobMessage(id), cancellationToken).ConfigureAwait(false);
        return (job, true);
    }

    /// <summary>The job an earlier request with this key created, or null when this request now owns the key.
    /// A key whose first request died before storing its job is taken over after a grace period.</summary>
    private async Task<TrainingJob?> ExistingJobForKeyAsync(string idempotencyKey, string newJobId, CancellationToken cancellationToken)
    {
        var (owner, claimETag) = await jobs.ClaimIdempotencyKeyAsync(idempotencyKey, newJobId, cancellationToken).ConfigureAwait(false);
        if (owner == newJobId)
        {
            return null;
        }

        long waitingSince = time.GetTimestamp();
        while (true)
        {
            if (await jobs.GetAsync(owner, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                return existing.Job;
            }

            if (time.GetElapsedTime(waitingSince) >= ClaimGrace)
            {
                return await jobs.TryTakeOverIdempotencyKeyAsync(idempotencyKey, claimETag, newJobId, cancellationToken).ConfigureAwait(false)
                    ? null
                    : await ExistingJobForKeyAsync(idempotencyKey, newJobId, cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }
}

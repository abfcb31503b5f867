using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>Creates and enqueues training jobs; the same idempotency key always yields the same job.</summary>
public sealed class TrainingJobService(BlobJobStore jobs, TrainingJobQueue queue, TimeProvider time)
{
    public async Task<(TrainingJob Job, bool Created)> SubmitAsync(TrainingJobRequest request, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        var options = request.ToOptions();
        var now = time.GetUtcNow();
        string id = TrainingJob.NewId(now);
        await jobs.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);

        if (idempotencyKey is not null)
        {
            string owner = await jobs.ClaimIdempotencyKeyAsync(idempotencyKey, id, cancellationToken).ConfigureAwait(false);
            if (owner != id)
            {
                // The first request with this key may still be between claiming it and storing its record.
                for (int wait = 0; wait < 50; wait++)
                {
                    if (await jobs.GetAsync(owner, cancellationToken).ConfigureAwait(false) is { } existing)
                    {
                        return (existing.Job, false);
                    }

                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }

                throw new InvalidOperationException($"Idempotency key is held by job {owner}, whose record does not exist.");
            }
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
}

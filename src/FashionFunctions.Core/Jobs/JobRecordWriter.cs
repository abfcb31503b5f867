using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>Applies changes to one job record with optimistic concurrency, re-reading when it lost a race.</summary>
internal sealed class JobRecordWriter(BlobJobStore jobs, TrainingJob job, string etag)
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public async Task UpdateAsync(Func<TrainingJob, TrainingJob> change, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (int attempt = 0; attempt < 5; attempt++)
            {
                var updated = change(job);
                if (await jobs.TryUpdateAsync(updated, etag, cancellationToken).ConfigureAwait(false) is { } newETag)
                {
                    (job, etag) = (updated, newETag);
                    return;
                }

                var reread = await jobs.GetAsync(job.Id, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Job {job.Id}'s record disappeared.");
                (job, etag) = reread;
            }

            throw new InvalidOperationException($"Job {job.Id}'s record keeps changing under us.");
        }
        finally
        {
            gate.Release();
        }
    }
}

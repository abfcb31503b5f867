using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// A run's hold on its job. Every write goes through here and is conditional on the record's ETag; when another
/// writer got in between, the record is re-read and the write retried only if this run still holds the claim
/// (same run token, still running). Otherwise <see cref="ClaimLostException"/>. Each write is a heartbeat.
/// </summary>
internal sealed class JobClaim(TableJobStore jobs, StoredJob claimed, TimeProvider time)
{
    private const int MaxConflicts = 20;
    private readonly SemaphoreSlim gate = new(1, 1);
    private StoredJob current = claimed;

    public string Token { get; } = claimed.Job.RunToken ?? throw new ArgumentException("Not a claimed record.", nameof(claimed));

    public TrainingJob Job => current.Job;

    public async Task<TrainingJob> UpdateAsync(Func<TrainingJob, TrainingJob> change, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (int conflict = 0; conflict < MaxConflicts; conflict++)
            {
                var now = time.GetUtcNow();
                var updated = change(current.Job) with { UpdatedAt = now, HeartbeatAt = now };
                if (await jobs.TryReplaceAsync(updated, current.ETag, cancellationToken).ConfigureAwait(false) is { } written)
                {
                    current = written;
                    return written.Job;
                }

                var reread = await jobs.GetAsync(current.Job.Id, cancellationToken).ConfigureAwait(false);
                if (reread is null || reread.Job.RunToken != Token || reread.Job.Status != TrainingJobStatus.Running)
                {
                    throw new ClaimLostException(reread?.Job);
                }

                current = reread;
            }

            throw new InvalidOperationException($"Job {current.Job.Id}'s record keeps changing under its run.");
        }
        finally
        {
            gate.Release();
        }
    }

    public Task HeartbeatAsync(CancellationToken cancellationToken) => UpdateAsync(j => j, cancellationToken);
}

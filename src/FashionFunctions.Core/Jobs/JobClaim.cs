using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// A run's hold on its job. Every write of the run goes through here, through the store's one updater: it is
/// conditional on the record's ETag, and when another writer got in between, the change is re-applied only if this
/// run still holds the claim (same run token, still running); otherwise <see cref="ClaimLostException"/>. Each
/// write is a heartbeat: it stamps the time and clears a watchdog's recovery mark (the run is alive).
/// </summary>
internal sealed class JobClaim(TableJobStore jobs, Stored<TrainingJob> claimed, TimeProvider time)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private Stored<TrainingJob> current = claimed;

    public string Token { get; } = claimed.Record.RunToken ?? throw new ArgumentException("Not a claimed record.", nameof(claimed));

    public TrainingJob Job => current.Record;

    public async Task<TrainingJob> UpdateAsync(Func<TrainingJob, TrainingJob> change, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var written = await jobs.UpdateAsync(Job.Id, stored =>
            {
                var job = stored.Record;
                if (job.RunToken != Token || job.Status != TrainingJobStatus.Running)
                {
                    throw new ClaimLostException(job);
                }

                var now = time.GetUtcNow();
                return change(job) with { UpdatedAt = now, HeartbeatAt = now, RecoveryQueuedFor = null };
            }, cancellationToken, current).ConfigureAwait(false);
            current = written ?? throw new ClaimLostException(null);
            return current.Record;
        }
        finally
        {
            gate.Release();
        }
    }

    public Task HeartbeatAsync(CancellationToken cancellationToken) => UpdateAsync(j => j, cancellationToken);
}

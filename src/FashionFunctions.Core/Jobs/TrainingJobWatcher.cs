using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>A job's record at every change (state, epoch, heartbeat), found by re-reading it, until it is finished.</summary>
public sealed class TrainingJobWatcher(TableJobStore jobs, JobLifecycleOptions lifecycle, TimeProvider time)
{
    public async IAsyncEnumerable<TrainingJob> WatchAsync(string jobId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Azure.ETag? seen = null;
        while (await jobs.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            if (stored.ETag != seen)
            {
                seen = stored.ETag;
                yield return stored.Record;
            }

            if (stored.Record.IsFinished)
            {
                yield break;
            }

            await Task.Delay(lifecycle.EventPollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }
}

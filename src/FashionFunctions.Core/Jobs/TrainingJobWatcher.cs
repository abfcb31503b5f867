using FashionFunctions.Core.Access;
using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Live progress of jobs for this instance's event streams. At most <see cref="JobEventStreamOptions.MaxStreams"/>
/// streams are open at once (<see cref="EventStreamLimitException"/> beyond), each ends after
/// <see cref="JobEventStreamOptions.Lifetime"/>, and every stream of one job shares one poller (<see cref="JobFeed"/>):
/// a hundred watchers of a job cost one table read per poll interval, not a hundred.
/// </summary>
public sealed class TrainingJobWatcher(TableJobStore jobs, JobLifecycleOptions lifecycle, JobEventStreamOptions options, TimeProvider time, ILogger<TrainingJobWatcher> logger)
{
    private readonly Dictionary<string, JobFeed> feeds = new(StringComparer.Ordinal);
    private int streams;

    /// <summary>Streams open on this instance now.</summary>
    public int OpenStreams => Volatile.Read(ref streams);

    /// <summary>Jobs polled on this instance now (one poller each, however many streams follow them).</summary>
    public int PolledJobs
    {
        get
        {
            lock (feeds)
            {
                return feeds.Count;
            }
        }
    }

    /// <summary>
    /// Opens a stream of the job's changes after <paramref name="lastEventId"/> (the id of the last event the client
    /// received; null for a first connection). Throws <see cref="EventStreamLimitException"/> at this instance's
    /// cap, and <see cref="TrainingJobNotFoundException"/> for a job that is unknown or that <paramref name="caller"/>
    /// may not see (as <see cref="TrainingJobService.GetAsync"/> does), before anything is sent.
    /// </summary>
    public async Task<JobEventStream> OpenAsync(string jobId, Caller caller, string? lastEventId, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Increment(ref streams) > options.MaxStreams)
        {
            Interlocked.Decrement(ref streams);
            throw new EventStreamLimitException(options.MaxStreams);
        }

        var feed = Join(jobId);
        try
        {
            await feed.FirstRead.WaitAsync(cancellationToken).ConfigureAwait(false);
            var state = feed.Current;
            state.Fault?.Throw();
            var first = state.Latest is { } latest && caller.Owns(latest.Job.Owner) ? latest : throw new TrainingJobNotFoundException(jobId);
            return new JobEventStream(feed, first.Job, lastEventId, options.Lifetime, time, () => Leave(feed));
        }
        catch
        {
            Leave(feed);
            throw;
        }
    }

    private JobFeed Join(string jobId)
    {
        lock (feeds)
        {
            if (!feeds.TryGetValue(jobId, out var feed))
            {
                feed = new JobFeed(jobId, jobs, lifecycle.EventPollInterval, time, logger);
                feeds[jobId] = feed;
                feed.Start(Forget);
            }

            feed.Listeners++;
            return feed;
        }
    }

    private void Leave(JobFeed feed)
    {
        lock (feeds)
        {
            if (--feed.Listeners == 0)
            {
                Forget(feed);
                feed.Stop();
            }
        }

        Interlocked.Decrement(ref streams);
    }

    /// <summary>A feed nobody follows, or whose poller stopped, is not joined again: the next stream starts a fresh one.</summary>
    private void Forget(JobFeed feed)
    {
        lock (feeds)
        {
            if (feeds.TryGetValue(feed.JobId, out var mapped) && mapped == feed)
            {
                feeds.Remove(feed.JobId);
            }
        }
    }
}

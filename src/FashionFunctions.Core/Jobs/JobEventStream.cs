using System.Runtime.CompilerServices;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// One client's stream of a job's changes, from <see cref="TrainingJobWatcher.OpenAsync"/>: every change after the
/// client's last event id, until the job is finished or the stream's lifetime ends (the client then reconnects with
/// the last id it received and misses nothing: an event carries the whole record). Dispose it to free its place.
/// </summary>
public sealed class JobEventStream : IDisposable
{
    private readonly JobFeed feed;
    private readonly string? lastEventId;
    private readonly CancellationTokenSource lifetime;
    private Action? leave;

    internal JobEventStream(JobFeed feed, TrainingJob job, string? lastEventId, TimeSpan lifetime, TimeProvider time, Action leave)
    {
        (this.feed, Job, this.lastEventId, this.leave) = (feed, job, lastEventId, leave);
        this.lifetime = new CancellationTokenSource(lifetime, time);
    }

    /// <summary>The job's record when the stream opened.</summary>
    public TrainingJob Job { get; }

    /// <summary>The job is finished and the client already has its last record: there is nothing to send, ever.</summary>
    public bool UpToDate => feed.Current.Latest is { Job.IsFinished: true } latest && latest.Id == lastEventId;

    public async IAsyncEnumerable<JobEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.Token);
        string? seen = lastEventId;
        while (true)
        {
            var changed = feed.Changed;
            var state = feed.Current;
            if (state.Latest is { } latest && latest.Id != seen)
            {
                seen = latest.Id;
                yield return latest;
            }

            if (state.Over || state.Latest?.Job.IsFinished == true || !await NextChangeAsync(changed, linked.Token, cancellationToken).ConfigureAwait(false))
            {
                yield break;
            }
        }
    }

    /// <summary>False when the stream's lifetime ended first.</summary>
    private async Task<bool> NextChangeAsync(Task changed, CancellationToken linked, CancellationToken caller)
    {
        try
        {
            await changed.WaitAsync(linked).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested && !caller.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref leave, null)?.Invoke();
        lifetime.Dispose();
    }
}

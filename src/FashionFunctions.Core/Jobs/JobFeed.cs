using System.Runtime.ExceptionServices;
using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// One job's record, polled by one loop for every stream of this instance that follows the job. The loop reads the
/// row every poll interval while anyone listens, publishes a change when the ETag moves, and stops when the job is
/// finished, unknown, or the read fails (the streams then end, and their clients reconnect).
/// </summary>
internal sealed class JobFeed
{
    private readonly TableJobStore jobs;
    private readonly TimeSpan interval;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stop = new();
    private readonly TaskCompletionSource first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile State state = new(null, Over: false, Fault: null);

    /// <summary>The latest record, and whether the loop has stopped (the job finished or unknown, nobody listening, or a
    /// failed read: <see cref="Fault"/>).</summary>
    internal sealed record State(JobEvent? Latest, bool Over, ExceptionDispatchInfo? Fault);

    public JobFeed(string jobId, TableJobStore jobs, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        (JobId, this.jobs, this.interval, this.time, this.logger) = (jobId, jobs, interval, time, logger);
    }

    public string JobId { get; }

    /// <summary>Streams following this job (guarded by the watcher's lock).</summary>
    public int Listeners { get; set; }

    public State Current => state;

    /// <summary>Completes at the next change of <see cref="Current"/>: read it before <see cref="Current"/>, so that
    /// a change in between is not missed.</summary>
    public Task Changed => Volatile.Read(ref changed).Task;

    /// <summary>Completes once the first read has answered (or failed).</summary>
    public Task FirstRead => first.Task;

    public void Start(Action<JobFeed> stopped) => _ = Task.Run(async () =>
    {
        await PollAsync().ConfigureAwait(false);
        stopped(this);
    });

    public void Stop() => stop.Cancel();

    private async Task PollAsync()
    {
        try
        {
            while (true)
            {
                var stored = await jobs.GetAsync(JobId, stop.Token).ConfigureAwait(false);
                if (stored is null)
                {
                    Publish(state with { Over = true });
                    return;
                }

                string version = stored.ETag.ToString();
                if (state.Latest?.Id != version || stored.Record.IsFinished)
                {
                    Publish(new State(new JobEvent(version, stored.Record), stored.Record.IsFinished, null));
                }

                if (stored.Record.IsFinished)
                {
                    return;
                }

                await Task.Delay(interval, time, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Publish(state with { Over = true }); // nobody listens any more
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Job {JobId}: following its record failed; its event streams end", JobId);
            Publish(state with { Over = true, Fault = ExceptionDispatchInfo.Capture(e) });
        }
    }

    private void Publish(State next)
    {
        state = next;
        var previous = Interlocked.Exchange(ref changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
        first.TrySetResult();
    }
}

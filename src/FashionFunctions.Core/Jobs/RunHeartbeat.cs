using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// Renews a run's claim every interval while it trains. When the claim is gone (cancelled, taken over) it
/// cancels the run, which stops at its next step boundary. A failed renewal is retried at the next beat: the
/// claim only lapses after the (longer) claim expiry.
/// </summary>
internal sealed class RunHeartbeat
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public RunHeartbeat(JobClaim claim, TimeSpan interval, TimeProvider time, ILogger logger, CancellationTokenSource run)
    {
        loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(interval, time, stop.Token).ConfigureAwait(false);
                    await claim.HeartbeatAsync(stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (ClaimLostException e)
                {
                    Lost = e;
                    await run.CancelAsync().ConfigureAwait(false);
                    return;
                }
                catch (Exception e)
                {
                    logger.LogWarning(e, "Job {JobId}: heartbeat failed; retrying at the next beat", claim.Job.Id);
                }
            }
        });
    }

    /// <summary>Set when the run no longer holds its job.</summary>
    public ClaimLostException? Lost { get; private set; }

    public async Task StopAsync()
    {
        if (!stop.IsCancellationRequested)
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }

        await loop.ConfigureAwait(false);
    }
}

using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Sweeps;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>Every minute: re-enqueues jobs whose run stopped heartbeating (FashionFunctions__JobClaimExpirySeconds),
/// and heals running sweeps (points finished but not folded in, create requests that died part-way).</summary>
public sealed class TrainingJobWatchdogFunction(JobWatchdog watchdog, SweepService sweeps)
{
    public const string Schedule = "0 * * * * *";

    /// <summary>Runs both; a failure of the first does not keep the second from running (it fails the run after).</summary>
    [Function("TrainingJobWatchdog")]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        var lapsedRuns = watchdog.RunOnceAsync(cancellationToken);
        try
        {
            await lapsedRuns;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
        }

        await sweeps.HealRunningSweepsAsync(cancellationToken);
        await lapsedRuns;
    }
}

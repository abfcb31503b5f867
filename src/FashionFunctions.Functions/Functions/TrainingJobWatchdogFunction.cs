using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Sweeps;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>Every minute: re-enqueues jobs whose run stopped heartbeating (FashionFunctions__JobClaimExpirySeconds),
/// and queues the points of sweeps whose create request died part-way.</summary>
public sealed class TrainingJobWatchdogFunction(JobWatchdog watchdog, SweepService sweeps)
{
    public const string Schedule = "0 * * * * *";

    [Function("TrainingJobWatchdog")]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        await watchdog.RunOnceAsync(cancellationToken);
        await sweeps.CompleteInterruptedCreationsAsync(cancellationToken);
    }
}

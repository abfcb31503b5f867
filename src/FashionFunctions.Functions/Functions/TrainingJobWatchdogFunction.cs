using FashionFunctions.Core.Jobs;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>Every minute: re-enqueues jobs whose run stopped heartbeating (FashionFunctions__JobClaimExpirySeconds).</summary>
public sealed class TrainingJobWatchdogFunction(JobWatchdog watchdog)
{
    public const string Schedule = "0 * * * * *";

    [Function("TrainingJobWatchdog")]
    public Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        watchdog.RunOnceAsync(cancellationToken);
}

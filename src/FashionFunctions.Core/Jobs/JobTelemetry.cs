using System.Diagnostics;

namespace FashionFunctions.Core.Jobs;

/// <summary>The job lifecycle's spans: one per run, continuing the submitting request's trace, and one per epoch.</summary>
public static class JobTelemetry
{
    public const string SourceName = "FashionFunctions.Jobs";

    public static ActivitySource Source { get; } = new(SourceName);

    public static Activity? StartRun(TrainingJob job, string? traceParent)
    {
        ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent);
        var activity = Source.StartActivity("training-job run", ActivityKind.Consumer, parent);
        activity?.SetTag("job.id", job.Id);
        return activity;
    }

    /// <summary>Records a finished epoch as a child span of the run, timed as the trainer measured it.</summary>
    public static void RecordEpoch(Activity? run, string jobId, Training.EpochMetrics epoch)
    {
        if (run is null)
        {
            return;
        }

        var end = DateTimeOffset.UtcNow;
        using var span = Source.StartActivity("training-job epoch", ActivityKind.Internal, run.Context, startTime: end - TimeSpan.FromSeconds(epoch.DurationSeconds));
        if (span is null)
        {
            return;
        }

        span.SetTag("job.id", jobId);
        span.SetTag("epoch", epoch.Epoch);
        span.SetTag("loss", epoch.Loss);
        span.SetTag("test_accuracy", epoch.TestAccuracy);
        span.SetEndTime(end.UtcDateTime);
    }
}

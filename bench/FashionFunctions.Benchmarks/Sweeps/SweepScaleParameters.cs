namespace FashionFunctions.Benchmarks.Sweeps;

/// <summary>
/// What the sweep scale model assumes. The defaults are this app's configuration (host.json, the Bicep) and
/// Flex Consumption's published list prices; <see cref="TrainingSecondsPerJob"/> and <see cref="ColdStartSeconds"/>
/// are estimates to replace with measurements.
/// </summary>
public sealed record SweepScaleParameters
{
    public int Jobs { get; init; } = 64;

    /// <summary>The Bicep's <c>maximumInstanceCount</c>.</summary>
    public int MaxInstances { get; init; } = 40;

    /// <summary>Training time of one job on one instance (a 10-epoch job, about a minute on a 2-core instance).</summary>
    public double TrainingSecondsPerJob { get; init; } = 60;

    public int EpochsPerJob { get; init; } = 10;

    /// <summary>Per execution, outside training: reading the dataset blobs, writing the model and the records.</summary>
    public double OverheadSecondsPerJob { get; init; } = 3;

    /// <summary>A new instance's start: the host, the 121 MiB package, libtorch's first load.</summary>
    public double ColdStartSeconds { get; init; } = 20;

    /// <summary>host.json <c>maxPollingInterval</c>: how long an idle instance waits before looking at the queue again.</summary>
    public double PollingIntervalSeconds { get; init; } = 2;

    /// <summary>How often the scale controller compares the queue length with the instances (batchSize 1: one job per instance).</summary>
    public double ScaleDecisionSeconds { get; init; } = 5;

    /// <summary>Instances added per scale decision, at most (target-based scaling adds up to four at a time).</summary>
    public int InstancesPerScaleDecision { get; init; } = 4;

    /// <summary>Chance that an execution dies part-way (process killed, instance reclaimed).</summary>
    public double CrashProbability { get; init; }

    /// <summary>After a crash, until the job's message is visible again (the watchdog's or the visibility timeout's bound).</summary>
    public double CrashRecoverySeconds { get; init; } = 180;

    /// <summary>The host.json <c>functionTimeout</c>.</summary>
    public double FunctionTimeoutSeconds { get; init; } = 1800;

    public int InstanceMemoryMb { get; init; } = 4096;

    /// <summary>Flex Consumption on-demand execution time, per GB-s (list price; the monthly free grant is ignored).</summary>
    public double PricePerGbSecond { get; init; } = 0.000026;

    public double PricePerMillionExecutions { get; init; } = 0.40;

    public int RandomSeed { get; init; } = 1;

    public double EpochSeconds => TrainingSecondsPerJob / EpochsPerJob;
}

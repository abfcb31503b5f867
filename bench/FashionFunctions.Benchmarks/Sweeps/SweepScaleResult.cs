namespace FashionFunctions.Benchmarks.Sweeps;

/// <summary>One simulated sweep: how long, how much, and the load it put on storage (peaks over one-second windows).</summary>
public sealed record SweepScaleResult(
    double MakespanSeconds,
    double BilledGbSeconds,
    int Executions,
    int Crashes,
    int PeakInstances,
    double LongestExecutionSeconds,
    int PeakStorageRequestsPerSecond,
    int PeakQueueMessagesPerSecond,
    int PeakPartitionWritesPerSecond,
    double Cost)
{
    public bool ExceedsFunctionTimeout(SweepScaleParameters parameters) => LongestExecutionSeconds > parameters.FunctionTimeoutSeconds;
}

namespace FashionFunctions.Core.Jobs;

/// <summary>A job that cannot be deleted: it is not finished, or it is a sweep's point (removed with its sweep). 409.</summary>
public sealed class TrainingJobNotDeletableException(string jobId, TrainingJobStatus status, string reason)
    : Exception($"Training job '{jobId}' cannot be deleted: {reason}")
{
    public string JobId { get; } = jobId;
    public TrainingJobStatus Status { get; } = status;
}

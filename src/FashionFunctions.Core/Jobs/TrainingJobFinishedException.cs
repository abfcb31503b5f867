namespace FashionFunctions.Core.Jobs;

/// <summary>A change that only an unfinished job accepts, asked of a finished one (409).</summary>
public sealed class TrainingJobFinishedException(string jobId, TrainingJobStatus status)
    : Exception($"Training job '{jobId}' is already {status.ToString().ToLowerInvariant()}.")
{
    public string JobId { get; } = jobId;
    public TrainingJobStatus Status { get; } = status;
}

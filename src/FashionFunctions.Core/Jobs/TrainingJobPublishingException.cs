namespace FashionFunctions.Core.Jobs;

/// <summary>The job's run has finished training and is publishing its model: too late to cancel (409).</summary>
public sealed class TrainingJobPublishingException(string jobId)
    : Exception($"Job {jobId} has finished training and is publishing its model; it can no longer be cancelled.")
{
    public string JobId { get; } = jobId;
}

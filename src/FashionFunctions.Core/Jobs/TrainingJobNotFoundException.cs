namespace FashionFunctions.Core.Jobs;

/// <summary>No job has this id (404).</summary>
public sealed class TrainingJobNotFoundException(string jobId) : Exception($"Training job '{jobId}' does not exist.")
{
    public string JobId { get; } = jobId;
}

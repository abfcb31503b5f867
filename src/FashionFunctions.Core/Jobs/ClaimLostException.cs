namespace FashionFunctions.Core.Jobs;

/// <summary>The run no longer holds its job: it was cancelled, or another run took it over after this one's
/// heartbeat lapsed. The run stops without writing anything more.</summary>
public sealed class ClaimLostException(TrainingJob? now)
    : Exception(now is null ? "The job's record disappeared." : $"Job {now.Id} is now {now.Status.ToString().ToLowerInvariant()} under another claim.")
{
    /// <summary>The record as the run last found it (null: gone).</summary>
    public TrainingJob? Now { get; } = now;

    public bool Cancelled => Now?.Status == TrainingJobStatus.Cancelled;
}

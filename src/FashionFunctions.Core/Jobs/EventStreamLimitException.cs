namespace FashionFunctions.Core.Jobs;

/// <summary>This instance already serves as many event streams as it may; the caller retries later or polls.</summary>
public sealed class EventStreamLimitException(int maxStreams)
    : Exception($"This instance already serves its limit of {maxStreams} event streams (setting MaxEventStreams); retry shortly, or poll GET /api/training-jobs/{{id}}.")
{
    public int MaxStreams { get; } = maxStreams;
}

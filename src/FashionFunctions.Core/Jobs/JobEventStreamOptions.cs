namespace FashionFunctions.Core.Jobs;

/// <summary>What one instance spends on live-progress streams (<see cref="TrainingJobWatcher"/>).</summary>
public sealed record JobEventStreamOptions
{
    /// <summary>Streams one instance serves at once; one more is refused (<see cref="EventStreamLimitException"/>).</summary>
    public int MaxStreams { get; init; } = 100;

    /// <summary>How long one stream lasts before the server ends it; the client reconnects with Last-Event-ID.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(3);
}

namespace FashionFunctions.Core.Retention;

/// <summary>
/// What the registry keeps (docs/models.md#retention): the <see cref="KeepNewestModels"/> newest models, the current
/// one, every sweep's winner and every model of a running sweep or an unfinished job; finished jobs and sweeps for
/// <see cref="FinishedJobRetention"/> after they finished. Zero turns either off (keep everything).
/// </summary>
public sealed record RetentionPolicy
{
    public int KeepNewestModels { get; init; } = 100;

    public TimeSpan FinishedJobRetention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Records that finished before this instant expire; null when they never do.</summary>
    public DateTimeOffset? Cutoff(DateTimeOffset now) => FinishedJobRetention > TimeSpan.Zero ? now - FinishedJobRetention : null;
}

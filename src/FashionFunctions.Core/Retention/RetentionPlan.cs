using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Retention;

/// <summary>What a retention run removes (or, for a dry run, would remove): models, finished jobs outside sweeps,
/// and finished sweeps with their points' jobs.</summary>
public sealed record RetentionPlan(
    DateTimeOffset At,
    int KeepNewestModels,
    DateTimeOffset? FinishedBefore,
    IReadOnlyList<ModelSummary> Models,
    IReadOnlyList<string> Jobs,
    IReadOnlyList<string> Sweeps);

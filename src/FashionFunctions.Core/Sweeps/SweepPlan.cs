namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// A validated sweep: its points in expansion order, and what every point shares — the held-out validation
/// images selection is judged on, an optional training-image limit, and whether the winner is promoted.
/// </summary>
public sealed record SweepPlan(IReadOnlyList<SweepPoint> Points, int Budget, bool Promote, int ValidationSize, int? TrainLimit);

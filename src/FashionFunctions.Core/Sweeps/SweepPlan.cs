using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// A validated sweep: its points in expansion order, and what every point shares — the held-out validation
/// images selection is judged on, an optional training-image limit, and whether the winner is promoted.
/// </summary>
public sealed record SweepPlan(IReadOnlyList<SweepPoint> Points, int Budget, bool Promote, int ValidationSize, int? TrainLimit)
{
    /// <summary>The training options of one point: what both the API's jobs and <c>fashion sweep</c> train with.</summary>
    public TrainingOptions OptionsFor(SweepPoint point) => new()
    {
        LearningRate = point.LearningRate,
        BatchSize = point.BatchSize,
        Epochs = point.Epochs,
        HiddenUnits = point.HiddenUnits,
        Seed = point.Seed,
        ValidationSize = ValidationSize,
        TrainLimit = TrainLimit,
    };
}

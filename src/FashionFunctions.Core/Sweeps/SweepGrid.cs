namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// The values to try on each axis; the sweep takes every combination. An absent axis takes the training default.
/// Expanded with <see cref="LearningRate"/> outermost and <see cref="Seed"/> varying fastest.
/// </summary>
public sealed record SweepGrid
{
    public IReadOnlyList<double>? LearningRate { get; init; }
    public IReadOnlyList<int>? BatchSize { get; init; }
    public IReadOnlyList<int>? Epochs { get; init; }
    public IReadOnlyList<int>? HiddenUnits { get; init; }
    public IReadOnlyList<long>? Seed { get; init; }
}

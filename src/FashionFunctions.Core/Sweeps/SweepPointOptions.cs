namespace FashionFunctions.Core.Sweeps;

/// <summary>One explicitly listed option set; absent fields take the training defaults.</summary>
public sealed record SweepPointOptions
{
    public double? LearningRate { get; init; }
    public int? BatchSize { get; init; }
    public int? Epochs { get; init; }
    public int? HiddenUnits { get; init; }
    public long? Seed { get; init; }
}

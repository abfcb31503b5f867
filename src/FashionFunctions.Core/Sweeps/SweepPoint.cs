using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Sweeps;

/// <summary>One training run of a sweep, fully specified. <see cref="Index"/> is its place in the expansion (0-based).</summary>
public sealed record SweepPoint(int Index, double LearningRate, int BatchSize, int Epochs, int HiddenUnits, long Seed)
{
    /// <summary>Weights and biases of both layers at this width: the selection rule's tie-breaker.</summary>
    public long ParameterCount => ParametersAt(HiddenUnits);

    public static long ParametersAt(int hiddenUnits) => FashionMlp.ParameterCountFor(hiddenUnits);

    /// <summary>Same hyperparameters (the index aside): running both would only repeat work.</summary>
    internal bool SameSettingsAs(SweepPoint other) =>
        LearningRate.Equals(other.LearningRate) && BatchSize == other.BatchSize && Epochs == other.Epochs
        && HiddenUnits == other.HiddenUnits && Seed == other.Seed;
}

namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// A sweep request the caller must change: a value out of range, a repeated grid value, no points, or more points
/// than its budget. <see cref="Field"/> is the JSON path of the offending input, e.g. <c>grid.learningRate[1]</c>.
/// </summary>
public sealed class InvalidSweepException(string field, string message) : Exception($"{field}: {message}")
{
    public string Field { get; } = field;
}

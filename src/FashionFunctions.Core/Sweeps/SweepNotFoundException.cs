namespace FashionFunctions.Core.Sweeps;

public sealed class SweepNotFoundException(string sweepId) : Exception($"There is no sweep {sweepId}.")
{
    public string SweepId { get; } = sweepId;
}

namespace FashionFunctions.Core.Sweeps;

/// <summary>A change asked of a sweep that has already finished (cancelling it, for instance).</summary>
public sealed class SweepFinishedException(string sweepId, SweepStatus status)
    : Exception($"Sweep {sweepId} has already finished ({status.ToString().ToLowerInvariant()}).")
{
    public SweepStatus Status { get; } = status;
}

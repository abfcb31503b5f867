namespace FashionFunctions.Core.Sweeps;

/// <summary>The best finished point so far by <see cref="SweepSelection"/> (the winner, once every point has finished).</summary>
public sealed record SweepLeader(int PointIndex, string JobId, string? ModelId, double ValidationAccuracy, double TestAccuracy, long ParameterCount)
{
    public SweepCandidate Candidate => new(PointIndex, ParameterCount, ValidationAccuracy);
}

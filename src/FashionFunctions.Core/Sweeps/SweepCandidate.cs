namespace FashionFunctions.Core.Sweeps;

/// <summary>A finished point as the selection rule sees it: nothing but what the rule may look at.</summary>
public sealed record SweepCandidate(int PointIndex, long ParameterCount, double ValidationAccuracy);

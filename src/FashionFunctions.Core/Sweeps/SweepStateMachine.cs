using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// The sweep lifecycle: running → succeeded | failed | cancelled. A finished sweep's record changes once more at
/// most: a succeeded sweep records whether its winner was promoted.
/// </summary>
public sealed class SweepStateMachine : IStateMachine<Sweep>
{
    public static readonly SweepStateMachine Instance = new();

    public bool Allows(Sweep before, Sweep after) =>
        before.Id == after.Id && (before.Status == SweepStatus.Running
            || (before.Promoted is null && after.Promoted is not null && after == before with { Promoted = after.Promoted, UpdatedAt = after.UpdatedAt }));

    /// <summary>Only a finished sweep may be deleted.</summary>
    public bool AllowsRemoval(Sweep sweep) => sweep.Status != SweepStatus.Running;

    public static string Describe(Sweep sweep) => sweep.Status.ToString();
}

namespace FashionFunctions.Core.Sweeps;

public enum SweepStatus
{
    /// <summary>Some points have not finished.</summary>
    Running,

    /// <summary>Every point finished and at least one succeeded: there is a winner.</summary>
    Succeeded,

    /// <summary>Every point finished and none succeeded.</summary>
    Failed,

    /// <summary>Cancelled on request: unfinished points were cancelled; finished ones keep their results.</summary>
    Cancelled,
}

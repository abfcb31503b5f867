namespace FashionFunctions.Core.Budgets;

/// <summary>What any one caller, and everyone together, may cost. Costs are in Keras epochs (<see cref="TrainingCost"/>).</summary>
public sealed record BudgetOptions
{
    /// <summary>The most one job may cost (a sweep's every point too). The tutorial's job costs 10.</summary>
    public double MaxJobCost { get; init; } = 200;

    /// <summary>The most a sweep's points may cost together.</summary>
    public double MaxSweepCost { get; init; } = 1000;

    /// <summary>Jobs (outside sweeps) one owner may have queued or running at once.</summary>
    public int MaxActiveJobsPerOwner { get; init; } = 10;

    /// <summary>Jobs (outside sweeps) everyone together may have queued or running at once.</summary>
    public int MaxActiveJobs { get; init; } = 50;

    /// <summary>Sweeps one owner may have running at once.</summary>
    public int MaxRunningSweepsPerOwner { get; init; } = 2;

    /// <summary>Sweeps everyone together may have running at once.</summary>
    public int MaxRunningSweeps { get; init; } = 5;

    /// <summary>How long an idempotency key names its first request; after that the key may be used again.</summary>
    public TimeSpan IdempotencyKeyLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>What a 429 tells the caller to wait before trying again.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(60);
}

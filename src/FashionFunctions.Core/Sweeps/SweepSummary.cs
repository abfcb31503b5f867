namespace FashionFunctions.Core.Sweeps;

/// <summary>A sweep as the API lists it: its state, progress and leader, without its points.</summary>
public record SweepSummary
{
    public required string Id { get; init; }
    public required SweepStatus Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public int PointCount { get; init; }
    public int FinishedCount { get; init; }
    public int Budget { get; init; }
    public int ValidationSize { get; init; }
    public int? TrainLimit { get; init; }
    public bool Promote { get; init; }
    public bool? Promoted { get; init; }
    public bool CancelRequested { get; init; }
    public SweepLeader? Leader { get; init; }
    public SweepLeader? Winner { get; init; }
    public string? Owner { get; init; }

    public static SweepSummary SummaryOf(Sweep sweep) => SummaryOf(sweep, sweep.Request.Plan());

    protected static SweepSummary SummaryOf(Sweep sweep, SweepPlan plan) => new()
    {
        Id = sweep.Id,
        Status = sweep.Status,
        CreatedAt = sweep.CreatedAt,
        UpdatedAt = sweep.UpdatedAt,
        FinishedAt = sweep.FinishedAt,
        PointCount = sweep.PointCount,
        FinishedCount = sweep.FinishedCount,
        Budget = plan.Budget,
        ValidationSize = plan.ValidationSize,
        TrainLimit = plan.TrainLimit,
        Promote = plan.Promote,
        Promoted = sweep.Promoted,
        CancelRequested = sweep.CancelRequested,
        Leader = sweep.Leader,
        Winner = sweep.Winner,
        Owner = sweep.Owner,
    };
}

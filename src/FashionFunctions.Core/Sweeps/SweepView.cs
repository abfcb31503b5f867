using FashionFunctions.Core.Jobs;

namespace FashionFunctions.Core.Sweeps;

/// <summary>One point as the API shows it: its settings, and its job's status and latest metrics.</summary>
public sealed record SweepPointView(
    int Index,
    string JobId,
    TrainingJobStatus? Status,
    double LearningRate,
    int BatchSize,
    int Epochs,
    int HiddenUnits,
    long Seed,
    int Epoch,
    double? ValidationAccuracy,
    double? TestAccuracy,
    string? ModelId,
    string? Error);

/// <summary>A sweep as the API shows it: its record and every point's job.</summary>
public sealed record SweepView
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
    public SweepLeader? Leader { get; init; }
    public SweepLeader? Winner { get; init; }
    public required IReadOnlyList<SweepPointView> Points { get; init; }

    public static SweepView From(Sweep sweep, IReadOnlyDictionary<string, TrainingJob> jobsById)
    {
        var plan = sweep.Request.Plan();
        return new SweepView
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
            Leader = sweep.Leader,
            Winner = sweep.Winner,
            Points = plan.Points.Select(p =>
            {
                string jobId = Sweep.JobIdFor(sweep.Id, p.Index);
                var job = jobsById.GetValueOrDefault(jobId);
                var last = job?.Metrics is [.., var m] ? m : null;
                return new SweepPointView(p.Index, jobId, job?.Status, p.LearningRate, p.BatchSize, p.Epochs, p.HiddenUnits, p.Seed,
                    job?.Epoch ?? 0, last?.ValidationAccuracy, last?.TestAccuracy, job?.ModelId, job?.Error);
            }).ToList(),
        };
    }
}

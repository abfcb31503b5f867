using System.Diagnostics.CodeAnalysis;
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

/// <summary>A sweep as the API shows it: its summary and every point with its job.</summary>
public sealed record SweepView : SweepSummary
{
    [SetsRequiredMembers]
    private SweepView(SweepSummary summary, IReadOnlyList<SweepPointView> points) : base(summary) => Points = points;

    public required IReadOnlyList<SweepPointView> Points { get; init; }

    public static SweepView From(Sweep sweep, IReadOnlyDictionary<string, TrainingJob> jobsById)
    {
        var plan = sweep.Request.Plan();
        var points = plan.Points.Select(p =>
        {
            string jobId = Sweep.JobIdFor(sweep.Id, p.Index);
            var job = jobsById.GetValueOrDefault(jobId);
            var last = job?.Metrics is [.., var m] ? m : null;
            return new SweepPointView(p.Index, jobId, job?.Status, p.LearningRate, p.BatchSize, p.Epochs, p.HiddenUnits, p.Seed,
                job?.Epoch ?? 0, last?.ValidationAccuracy, last?.TestAccuracy, job?.ModelId, job?.Error);
        }).ToList();
        return new SweepView(SummaryOf(sweep, plan), points);
    }
}

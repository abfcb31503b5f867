using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Jobs;

/// <summary>A training job's record: what was asked, where it is, and how it ended.</summary>
public sealed record TrainingJob
{
    public required string Id { get; init; }
    public required TrainingJobStatus Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public required TrainingOptions Options { get; init; }
    public bool Promote { get; init; } = true;

    /// <summary>How many times a worker has started this job (redeliveries and retries included).</summary>
    public int Attempts { get; init; }
    public int Epoch { get; init; }
    public IReadOnlyList<EpochMetrics> Metrics { get; init; } = [];
    public string? ModelId { get; init; }
    public bool? Promoted { get; init; }
    public string? Error { get; init; }

    public bool IsFinished => Status is TrainingJobStatus.Succeeded or TrainingJobStatus.Failed;

    /// <summary>Sortable by creation time, safe in URLs and blob names.</summary>
    public static string NewId(DateTimeOffset now) => $"job-{now.UtcDateTime:yyyyMMdd-HHmmss-fff}-{Guid.NewGuid().ToString("N")[..8]}";

    public static bool IsValidId(string? id) =>
        id is { Length: > 4 and <= 64 } && id.StartsWith("job-", StringComparison.Ordinal) && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}

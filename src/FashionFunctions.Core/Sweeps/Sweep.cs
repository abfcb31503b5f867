using System.Text.Json.Serialization;

namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// A sweep's record: the request it was made from (its points are re-derived from it, deterministically), which
/// points have finished, the leader so far and, once every point has finished, the winner. Updated with ETags by
/// the runs that finish its points; each point's own status and metrics live in its job's record.
/// </summary>
public sealed record Sweep
{
    public required string Id { get; init; }
    public required SweepStatus Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public required SweepRequest Request { get; init; }

    /// <summary>Who created the sweep (<see cref="Access.Caller.Id"/>); null for sweeps made before owners were recorded.</summary>
    public string? Owner { get; init; }
    public required int PointCount { get; init; }

    /// <summary>One character per point: <c>.</c> unfinished, <c>s</c> succeeded, <c>f</c> failed, <c>c</c> cancelled.</summary>
    public required string Finished { get; init; }

    public SweepLeader? Leader { get; init; }
    public SweepLeader? Winner { get; init; }

    /// <summary>Whether the winner was made the current model (null: not asked, or not yet decided).</summary>
    public bool? Promoted { get; init; }

    public bool CancelRequested { get; init; }

    /// <summary>Every point's job has been created and queued (by the create request, or by the watchdog after that
    /// request died part-way): the watchdog has nothing to complete. Never set on a sweep being cancelled, which the
    /// watchdog looks at until it ends.</summary>
    public bool AllPointsQueued { get; init; }

    [JsonIgnore]
    public int FinishedCount => Finished.Count(c => c != Unfinished);

    [JsonIgnore]
    public bool AllFinished => FinishedCount == PointCount;

    public const char Unfinished = '.';

    public static string NewId(DateTimeOffset now) => $"sweep-{now.UtcDateTime:yyyyMMdd-HHmmss-fff}-{Guid.NewGuid().ToString("N")[..8]}";

    public static bool IsValidId(string? id) =>
        id is { Length: > 6 and <= 48 } && id.StartsWith("sweep-", StringComparison.Ordinal) && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>The job of point <paramref name="index"/>: fixed by the sweep's id, so creating it twice is harmless.</summary>
    public static string JobIdFor(string sweepId, int index) => $"{JobIdPrefix(sweepId)}{index:D3}";

    /// <summary>What every job id of the sweep begins with (so its jobs are one row-key range).</summary>
    public static string JobIdPrefix(string sweepId) => $"job-{sweepId["sweep-".Length..]}-p";

    /// <summary>The point a sweep job trains, from its id; null for a job id no sweep made.</summary>
    public static int? PointIndexOf(string jobId) =>
        jobId.LastIndexOf("-p", StringComparison.Ordinal) is int at and > 0 && int.TryParse(jobId.AsSpan(at + 2), out int index) ? index : null;
}

using System.Text.Json.Serialization;
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

    /// <summary>When the run holding the job last proved it was alive; old while <see cref="Status"/> is
    /// running means the run died and the job waits for a takeover.</summary>
    public DateTimeOffset? HeartbeatAt { get; init; }
    public required TrainingOptions Options { get; init; }
    public bool Promote { get; init; } = true;

    /// <summary>Who created the job (<see cref="Access.Caller.Id"/>); null for jobs made before owners were recorded.</summary>
    public string? Owner { get; init; }

    /// <summary>The sweep this job belongs to, if any.</summary>
    public string? SweepId { get; init; }

    /// <summary>How many runs have claimed this job (redeliveries and takeovers included).</summary>
    public int Attempts { get; init; }
    public int Epoch { get; init; }
    public IReadOnlyList<EpochMetrics> Metrics { get; init; } = [];
    public string? ModelId { get; init; }
    public bool? Promoted { get; init; }
    public string? Error { get; init; }

    /// <summary>The run has finished training and is writing the model: from here on the job can no longer be
    /// cancelled (409), so a model is never published for a job whose record says cancelled.</summary>
    public bool Publishing { get; init; }

    /// <summary>The token of the run that holds the job (null: nobody). Stored beside the record, not in it.</summary>
    [JsonIgnore]
    public string? RunToken { get; init; }

    /// <summary>Whether the submit that created the job has put its message on the queue.</summary>
    [JsonIgnore]
    public bool Enqueued { get; init; }

    /// <summary>The run's latest checkpoint blob (null: none), written by the claim holder. With a checkpoint
    /// interval it may be older than <see cref="Epoch"/>: a run that takes over resumes from it, and the record's
    /// epoch and metrics go back to it.</summary>
    [JsonIgnore]
    public string? Checkpoint { get; init; }

    /// <summary>When a submit set out to send the job's first message; another submit (a replay) does not send it
    /// too while this is recent.</summary>
    [JsonIgnore]
    public DateTimeOffset? EnqueueReservedAt { get; init; }

    /// <summary>The run token whose lapse the watchdog found and re-enqueued the job for; cleared by any write of
    /// that run (which proves it alive).</summary>
    [JsonIgnore]
    public string? RecoveryQueuedFor { get; init; }

    /// <summary>W3C traceparent of the request that submitted the job.</summary>
    [JsonIgnore]
    public string? TraceParent { get; init; }

    [JsonIgnore]
    public bool IsFinished => Status is TrainingJobStatus.Succeeded or TrainingJobStatus.Failed or TrainingJobStatus.Cancelled;

    /// <summary>Sortable by creation time, safe in URLs and blob names.</summary>
    public static string NewId(DateTimeOffset now) => $"job-{now.UtcDateTime:yyyyMMdd-HHmmss-fff}-{Guid.NewGuid().ToString("N")[..8]}";

    public static bool IsValidId(string? id) =>
        id is { Length: > 4 and <= 64 } && id.StartsWith("job-", StringComparison.Ordinal) && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}

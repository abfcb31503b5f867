using FashionFunctions.Core.Storage;

namespace FashionFunctions.Core.Jobs;

/// <summary>The timings and limits of the job lifecycle (docs/jobs.md); tests compress the times.</summary>
public sealed record JobLifecycleOptions
{
    /// <summary>How often a run proves it is alive (it also does after every epoch).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long after its last heartbeat a run's claim lapses and another delivery may take the job over.</summary>
    public TimeSpan ClaimExpiry { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How many runs may claim a job before it is failed for good.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>At least this much training between two checkpoints; the last epoch always writes one. A crash
    /// then costs at most this much training and one epoch, and epochs shorter than a checkpoint write do not each
    /// pay for one. Zero: a checkpoint after every epoch.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Keep a job's checkpoints after its model is published (default: delete them).</summary>
    public bool KeepCheckpoints { get; init; }

    /// <summary>How long a repeated submit waits for the first one to enqueue its job before enqueuing it itself.</summary>
    public TimeSpan EnqueueGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a live-progress stream re-reads the job's record for changes.</summary>
    public TimeSpan EventPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether a run holds the job and proved it was alive within the claim expiry: the row was written less than
    /// <see cref="ClaimExpiry"/> before it was read, both instants on the storage service's clock (so no two
    /// instances' clocks are ever compared), and the watchdog has not found this run lapsed since its last write.
    /// </summary>
    public bool ClaimIsLive(Stored<TrainingJob> stored) =>
        stored.Record is { Status: TrainingJobStatus.Running, RunToken: { } token } job
        && job.RecoveryQueuedFor != token
        && stored.Unwritten < ClaimExpiry;

    /// <summary>Why these settings cannot work together, or null when they can.</summary>
    public string? Inconsistency() =>
        HeartbeatInterval * 2 > ClaimExpiry
            ? $"The claim expiry ({ClaimExpiry.TotalSeconds} s) must be at least twice the heartbeat interval ({HeartbeatInterval.TotalSeconds} s): otherwise a live run whose heartbeat is a moment late looks dead and is taken over."
            : MaxAttempts < 1 ? "At least one attempt must be allowed." : null;
}

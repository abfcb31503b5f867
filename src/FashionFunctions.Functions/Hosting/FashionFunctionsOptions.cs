using System.ComponentModel.DataAnnotations;

namespace FashionFunctions.Functions.Hosting;

/// <summary>The app's own settings: section "FashionFunctions" (app settings FashionFunctions__Name).</summary>
public sealed class FashionFunctionsOptions : IValidatableObject
{
    public const string Section = "FashionFunctions";

    /// <summary>How often, at most, a worker checks whether the current model changed.</summary>
    [Range(0, 3600)]
    public int ModelCacheRevalidateSeconds { get; set; } = 30;

    /// <summary>How many models a worker keeps loaded.</summary>
    [Range(1, 64)]
    public int ModelCacheCapacity { get; set; } = 4;

    /// <summary>The largest classify request body accepted (413 beyond it).</summary>
    [Range(1024, 100 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>The largest decoded image accepted, in pixels (413 beyond it).</summary>
    [Range(784, 400_000_000)]
    public long MaxImagePixels { get; set; } = 16_000_000;

    /// <summary>The most images in one classify request (413 beyond it).</summary>
    [Range(1, 10_000)]
    public int MaxBatchImages { get; set; } = 256;

    /// <summary>What decoding one classify request's images may cost, in pixels of a full decode, summed over its
    /// images (413 beyond it): every pixel of a PNG, GIF, BMP or WebP, and for a large JPEG the pixels of the
    /// reduced scale it is decoded at plus a sixteenth of its declared ones. This is what bounds a request's CPU
    /// time (a lossless image over it is refused even under <see cref="MaxImagePixels"/>); the benchmark sends the
    /// costliest request these limits let through.</summary>
    [Range(784, 400_000_000)]
    public long MaxRequestPixels { get; set; } = 12_000_000;

    /// <summary>Whether a starting worker loads the current model and runs the classify path once in the
    /// background (<see cref="ModelWarmUp"/>), so that its first request does not pay for it.</summary>
    public bool WarmUpOnStart { get; set; } = true;

    /// <summary>How many images a worker decodes at once; more wait their turn.</summary>
    [Range(1, 256)]
    public int MaxConcurrentDecodes { get; set; } = 4;

    /// <summary>How long an image waits for a decode slot before the request is answered 503 with Retry-After.</summary>
    [Range(0, 120)]
    public int DecodeQueueSeconds { get; set; } = 10;

    /// <summary>Must equal host.json's extensions.queues.maxDequeueCount: on that attempt a failing job is recorded as failed.</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 3;

    /// <summary>How often a training run renews its claim on its job (it also does after every epoch).</summary>
    [Range(1, 300)]
    public int JobHeartbeatSeconds { get; set; } = 20;

    /// <summary>How long after its last heartbeat a run's claim lapses: the watchdog then re-enqueues the job and
    /// the next delivery takes it over from its last checkpoint.</summary>
    [Range(2, 3600)]
    public int JobClaimExpirySeconds { get; set; } = 90;

    /// <summary>How many runs may claim one job before it is failed for good.</summary>
    [Range(1, 100)]
    public int MaxJobAttempts { get; set; } = 5;

    /// <summary>At least this many seconds of training between two checkpoints of a job (the last epoch always
    /// writes one); 0 writes one after every epoch.</summary>
    [Range(0, 3600)]
    public int CheckpointIntervalSeconds { get; set; } = 10;

    /// <summary>Keep a job's per-epoch checkpoints after its model is published (default: deleted).</summary>
    public bool KeepCheckpoints { get; set; }

    /// <summary>Where the dataset blobs are seeded from when missing: a directory, or an http(s) mirror
    /// (verified by SHA-256). Empty: the Debian package directory if present, else the canonical mirror.</summary>
    public string? DatasetSeedSource { get; set; }

    /// <summary>Settings that are each in range but cannot work together refuse to start the app.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ToJobLifecycle().Inconsistency() is { } problem)
        {
            yield return new ValidationResult(problem, [nameof(JobHeartbeatSeconds), nameof(JobClaimExpirySeconds)]);
        }
    }

    public Core.Jobs.JobLifecycleOptions ToJobLifecycle() => new()
    {
        HeartbeatInterval = TimeSpan.FromSeconds(JobHeartbeatSeconds),
        ClaimExpiry = TimeSpan.FromSeconds(JobClaimExpirySeconds),
        MaxAttempts = MaxJobAttempts,
        KeepCheckpoints = KeepCheckpoints,
        CheckpointInterval = TimeSpan.FromSeconds(CheckpointIntervalSeconds),
    };
}

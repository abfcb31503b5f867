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

    /// <summary>How many models a worker downloads and loads at once; more wait for a slot.</summary>
    [Range(1, 64)]
    public int MaxConcurrentModelLoads { get; set; } = 2;

    /// <summary>How long a model load waits for a slot before the request is answered 503 with Retry-After.</summary>
    [Range(0, 120)]
    public int ModelLoadQueueSeconds { get; set; } = 10;

    /// <summary>Event streams (GET /api/training-jobs/{id}/events) one instance serves at once (503 beyond).</summary>
    [Range(1, 100_000)]
    public int MaxEventStreams { get; set; } = 100;

    /// <summary>How long one event stream lasts before the server ends it; the client reconnects with Last-Event-ID.</summary>
    [Range(1, 3600)]
    public int EventStreamSeconds { get; set; } = 180;

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

    /// <summary>How many of the newest models retention keeps (besides the current model, every sweep's winner, and
    /// the models of running sweeps and unfinished jobs); 0 keeps every model.</summary>
    [Range(0, 1_000_000)]
    public int KeepNewestModels { get; set; } = 100;

    /// <summary>How many days after they finished jobs (with their idempotency keys) and sweeps (with their points'
    /// jobs) are deleted; 0 keeps them.</summary>
    [Range(0, 36_500)]
    public int FinishedJobRetentionDays { get; set; } = 30;

    /// <summary>Where the dataset blobs are seeded from when missing: a directory, or an http(s) mirror
    /// (verified by SHA-256). Empty: the Debian package directory if present, else the canonical mirror.</summary>
    public string? DatasetSeedSource { get; set; }

    /// <summary>Who may call what (<see cref="Http.Access.AuthOptions"/>): off unless turned on.</summary>
    public Http.Access.AuthOptions Auth { get; set; } = new();

    /// <summary>The most one job may cost, in Keras epochs (one epoch of the tutorial's model; its job costs 10).</summary>
    [Range(1, 1_000_000)]
    public double MaxJobCost { get; set; } = 200;

    /// <summary>The most a sweep's points may cost together, in Keras epochs.</summary>
    [Range(1, 10_000_000)]
    public double MaxSweepCost { get; set; } = 1000;

    /// <summary>Jobs outside sweeps one caller may have queued or running at once.</summary>
    [Range(1, 10_000)]
    public int MaxActiveJobsPerOwner { get; set; } = 10;

    /// <summary>Jobs outside sweeps all callers together may have queued or running at once.</summary>
    [Range(1, 100_000)]
    public int MaxActiveJobs { get; set; } = 50;

    /// <summary>Sweeps one caller may have running at once.</summary>
    [Range(1, 1000)]
    public int MaxRunningSweepsPerOwner { get; set; } = 2;

    /// <summary>Sweeps all callers together may have running at once.</summary>
    [Range(1, 10_000)]
    public int MaxRunningSweeps { get; set; } = 5;

    /// <summary>Hours an idempotency key names its first request; after that it names a new one. Fractions are
    /// allowed (the tests expire keys in seconds).</summary>
    [Range(0.001, 24 * 365)]
    public double IdempotencyKeyHours { get; set; } = 24;

    /// <summary>Settings that are each in range but cannot work together refuse to start the app.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ToJobLifecycle().Inconsistency() is { } problem)
        {
            yield return new ValidationResult(problem, [nameof(JobHeartbeatSeconds), nameof(JobClaimExpirySeconds)]);
        }

        string? keysProblem = null;
        try
        {
            Auth.ParseKeys();
        }
        catch (ValidationException e)
        {
            keysProblem = e.Message;
        }

        if (keysProblem is not null)
        {
            yield return new ValidationResult(keysProblem, [nameof(Auth)]);
        }

        if (Auth.Mode == Http.Access.AuthMode.Off && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WEBSITE_INSTANCE_ID")))
        {
            yield return new ValidationResult(
                "FashionFunctions:Auth:Mode is Off on Azure, which would let anyone train, promote and delete: set it to Keys or EntraId (the Bicep does).",
                [nameof(Auth)]);
        }

        if (MaxJobCost > MaxSweepCost)
        {
            yield return new ValidationResult($"MaxJobCost ({MaxJobCost}) is above MaxSweepCost ({MaxSweepCost}): a sweep of one such job would be refused.", [nameof(MaxJobCost), nameof(MaxSweepCost)]);
        }
    }

    public Core.Budgets.BudgetOptions ToBudgets() => new()
    {
        MaxJobCost = MaxJobCost,
        MaxSweepCost = MaxSweepCost,
        MaxActiveJobsPerOwner = MaxActiveJobsPerOwner,
        MaxActiveJobs = MaxActiveJobs,
        MaxRunningSweepsPerOwner = MaxRunningSweepsPerOwner,
        MaxRunningSweeps = MaxRunningSweeps,
        IdempotencyKeyLifetime = TimeSpan.FromHours(IdempotencyKeyHours),
    };

    public Core.Retention.RetentionPolicy ToRetentionPolicy() => new()
    {
        KeepNewestModels = KeepNewestModels,
        FinishedJobRetention = TimeSpan.FromDays(FinishedJobRetentionDays),
    };

    public Core.Jobs.JobEventStreamOptions ToEventStreams() => new()
    {
        MaxStreams = MaxEventStreams,
        Lifetime = TimeSpan.FromSeconds(EventStreamSeconds),
    };

    public Core.Jobs.JobLifecycleOptions ToJobLifecycle() => new()
    {
        HeartbeatInterval = TimeSpan.FromSeconds(JobHeartbeatSeconds),
        ClaimExpiry = TimeSpan.FromSeconds(JobClaimExpirySeconds),
        MaxAttempts = MaxJobAttempts,
        KeepCheckpoints = KeepCheckpoints,
        CheckpointInterval = TimeSpan.FromSeconds(CheckpointIntervalSeconds),
    };
}

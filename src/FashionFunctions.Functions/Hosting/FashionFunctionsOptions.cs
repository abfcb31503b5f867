using System.ComponentModel.DataAnnotations;

namespace FashionFunctions.Functions.Hosting;

/// <summary>The app's own settings: section "FashionFunctions" (app settings FashionFunctions__Name).</summary>
public sealed class FashionFunctionsOptions
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
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>The most images in one classify request (413 beyond it).</summary>
    [Range(1, 10_000)]
    public int MaxBatchImages { get; set; } = 256;

    /// <summary>Must equal host.json's extensions.queues.maxDequeueCount: on that attempt a failing job is recorded as failed.</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 3;

    /// <summary>Where the dataset blobs are seeded from when missing: a directory, or an http(s) mirror
    /// (verified by SHA-256). Empty: the Debian package directory if present, else the canonical mirror.</summary>
    public string? DatasetSeedSource { get; set; }
}

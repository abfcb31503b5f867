using System.ComponentModel.DataAnnotations;

namespace FashionFunctions.Core.Inference;

/// <summary>What an input image may be at most, checked before decoding (decompression bombs, oversized uploads).</summary>
public sealed record ImageLimits
{
    [Range(1, 256 * 1024 * 1024)]
    public int MaxEncodedBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>Width × height of the decoded image.</summary>
    [Range(1, 400_000_000)]
    public long MaxPixels { get; init; } = 40_000_000;
}

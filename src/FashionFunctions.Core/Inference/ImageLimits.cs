namespace FashionFunctions.Core.Inference;

/// <remarks>Plain values: the app validates them where they are configured (FashionFunctionsOptions).</remarks>
/// <summary>What an input image may be at most, checked before decoding (decompression bombs, oversized uploads).</summary>
public sealed record ImageLimits
{
    public int MaxEncodedBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>Width × height of the decoded image.</summary>
    public long MaxPixels { get; init; } = 16_000_000;
}

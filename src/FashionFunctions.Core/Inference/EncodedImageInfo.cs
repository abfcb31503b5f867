namespace FashionFunctions.Core.Inference;

/// <summary>What an encoded image's header says: its format and size, and how many pixels decoding it will
/// produce (fewer than Width × Height where the codec decodes at a reduced scale).</summary>
public sealed record EncodedImageInfo(string Format, int Width, int Height, long DecodedPixels)
{
    /// <summary>The share of its declared pixels a reduced-scale decode is charged on top of the pixels it
    /// produces: it still entropy-decodes the whole image (the benchmark's request-cost rows measure this).</summary>
    public const int ReducedDecodeShare = 16;

    /// <summary>What decoding costs, in pixels of a full decode: the pixels produced, plus for a reduced-scale
    /// decode a <see cref="ReducedDecodeShare"/>th of the pixels it reads through.</summary>
    public long DecodeCostPixels => DecodedPixels < (long)Width * Height
        ? DecodedPixels + (long)Width * Height / ReducedDecodeShare
        : DecodedPixels;
}

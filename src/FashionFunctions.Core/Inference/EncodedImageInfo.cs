namespace FashionFunctions.Core.Inference;

/// <summary>What an encoded image's header says: its format and size, and how many pixels decoding it will
/// produce (fewer than Width × Height where the codec decodes at a reduced scale).</summary>
public sealed record EncodedImageInfo(string Format, int Width, int Height, long DecodedPixels)
{
    /// <summary>A JPEG decoded at reduced scale is charged its declared pixels divided by this on top of the
    /// pixels it produces: its entropy decoding still reads the whole image (the benchmark's request-cost rows
    /// measure the ratio).</summary>
    public const int ReducedJpegDecodeDivisor = 16;

    /// <summary>What decoding costs, in pixels of a full decode. A JPEG decoded at reduced scale: the pixels
    /// produced plus its declared pixels / <see cref="ReducedJpegDecodeDivisor"/> (libjpeg scales inside its
    /// inverse DCT). Everything else is charged every declared pixel: WebP too, whose lossless form was not
    /// measured.</summary>
    public long DecodeCostPixels => Format == "Jpeg" && DecodedPixels < (long)Width * Height
        ? DecodedPixels + (long)Width * Height / ReducedJpegDecodeDivisor
        : (long)Width * Height;
}

namespace FashionFunctions.Core.Inference;

/// <summary>What an encoded image's header says: its format and size, and how many pixels decoding it will
/// produce (fewer than Width × Height where the codec decodes at a reduced scale).</summary>
public sealed record EncodedImageInfo(string Format, int Width, int Height, long DecodedPixels);

namespace FashionFunctions.Core.Data;

/// <summary>Images (784 bytes each, row-major, 0 = background) and their labels.</summary>
public sealed class FashionMnistSplit
{
    public FashionMnistSplit(byte[] pixels, byte[] labels)
    {
        if (pixels.Length != labels.Length * FashionMnistFile.PixelsPerImage)
        {
            throw new ArgumentException($"{pixels.Length} pixel bytes do not make {labels.Length} images of 784 pixels.", nameof(pixels));
        }

        Pixels = pixels;
        Labels = labels;
    }

    public byte[] Pixels { get; }
    public byte[] Labels { get; }
    public int Count => Labels.Length;

    public ReadOnlySpan<byte> Image(int index) =>
        Pixels.AsSpan(index * FashionMnistFile.PixelsPerImage, FashionMnistFile.PixelsPerImage);

    /// <summary>The first <paramref name="count"/> items (all of them when count is larger).</summary>
    public FashionMnistSplit Take(int count)
    {
        count = Math.Min(count, Count);
        return new FashionMnistSplit(
            Pixels.AsSpan(0, count * FashionMnistFile.PixelsPerImage).ToArray(),
            Labels.AsSpan(0, count).ToArray());
    }
}

using SkiaSharp;

namespace FashionFunctions.Testing;

public static class TestImages
{
    /// <summary>A 28×28 grayscale image encoded as PNG (or another format Skia encodes).</summary>
    public static byte[] Encode28(ReadOnlySpan<byte> pixels, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 100)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
        pixels.CopyTo(bitmap.GetPixelSpan());
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }
}

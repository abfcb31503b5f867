using SkiaSharp;

namespace FashionFunctions.Core.Inference;

/// <summary>The 28×28 grayscale image a model sees (after preprocessing), as PNG: what "explain" shows a person.</summary>
public static class ModelInputImage
{
    public static byte[] ToPng(ReadOnlySpan<byte> pixels)
    {
        if (pixels.Length != 28 * 28)
        {
            throw new ArgumentException($"A model input has 784 pixels, not {pixels.Length}.", nameof(pixels));
        }

        using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
        pixels.CopyTo(bitmap.GetPixelSpan());
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}

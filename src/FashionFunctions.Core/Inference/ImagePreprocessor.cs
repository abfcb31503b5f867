using FashionFunctions.Core.Data;
using SkiaSharp;

namespace FashionFunctions.Core.Inference;

/// <summary>
/// Turns an input into Fashion-MNIST's convention: 28×28 grayscale bytes, a light garment on a dark background.
/// Encoded images (PNG, JPEG, GIF, BMP, WebP) of any size and colour are decoded with SkiaSharp, composited over
/// white where transparent, converted to luminance, inverted when their border is light (product photos on
/// white), trimmed to the garment's bounding box and fitted into 28×28 keeping the aspect ratio, centred on the
/// background — the steps by which Fashion-MNIST itself was made from product photos. EXIF orientation is applied. A 28×28 image is taken to
/// be in that convention already and is only converted to gray (and inverted if its border is light).
/// </summary>
public sealed class ImagePreprocessor(ImageLimits limits)
{
    private const int Side = FashionMnistFile.ImageSide;

    /// <summary>Pixels darker than this (about 5% of full scale, after inversion) count as background when trimming.</summary>
    private const byte TrimThreshold = 13;
    private static readonly SKSamplingOptions Downscale = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    private static readonly HashSet<SKEncodedImageFormat> Accepted =
        [SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Gif, SKEncodedImageFormat.Bmp, SKEncodedImageFormat.Webp];

    public ImagePreprocessor() : this(new ImageLimits())
    {
    }

    public ImageLimits Limits { get; } = limits;

    /// <summary>JPEG and WebP are decoded at the smallest scale their codec offers whose shorter side is still at
    /// least this many pixels (4× the 28-pixel target): a garment filling a quarter of the picture keeps more source
    /// pixels than the fitted image has, while a 16-megapixel photo decodes at an eighth of its size.</summary>
    internal const int MinDecodedSide = 4 * Side;

    /// <summary>Reads an encoded image's header (format, size, how many pixels a decode will produce) without
    /// decoding it, applying the same checks as <see cref="FromEncodedImage"/>: a caller can budget decode work
    /// across a batch before spending it.</summary>
    public EncodedImageInfo Inspect(ReadOnlySpan<byte> encoded)
    {
        RejectOversized(encoded.Length);
        using var data = SKData.CreateCopy(encoded);
        using var codec = OpenCodec(data);
        var decoded = DecodedSize(codec);
        return new EncodedImageInfo(codec.EncodedFormat.ToString(), codec.Info.Width, codec.Info.Height, (long)decoded.Width * decoded.Height);
    }

    /// <summary>Decodes an encoded image into 784 pixel bytes.</summary>
    public byte[] FromEncodedImage(ReadOnlySpan<byte> encoded)
    {
        RejectOversized(encoded.Length);
        using var data = SKData.CreateCopy(encoded);
        using var codec = OpenCodec(data);
        var size = DecodedSize(codec);
        int width = size.Width, height = size.Height;
        byte[] gray = DecodeToGray(codec, width, height);
        (gray, width, height) = ApplyOrigin(gray, width, height, codec.EncodedOrigin);
        if (BorderIsLight(gray, width, height))
        {
            Invert(gray);
        }

        if (width == Side && height == Side)
        {
            return gray;
        }

        var box = ForegroundBox(gray, width, height);
        return FitInto28(gray, width, box);
    }

    private void RejectOversized(int encodedLength)
    {
        if (encodedLength > Limits.MaxEncodedBytes)
        {
            throw new ImageRejectedException(ImageRejection.TooManyBytes, $"The image is {encodedLength} bytes; the limit is {Limits.MaxEncodedBytes}.");
        }
    }

    private SKCodec OpenCodec(SKData data)
    {
        var codec = SKCodec.Create(data)
            ?? throw new ImageRejectedException(ImageRejection.Undecodable, "The data is not a decodable image (PNG, JPEG, GIF, BMP or WebP expected).");
        if (!Accepted.Contains(codec.EncodedFormat))
        {
            codec.Dispose();
            throw new ImageRejectedException(ImageRejection.UnsupportedFormat, $"{codec.EncodedFormat} images are not accepted; send PNG, JPEG, GIF, BMP or WebP.");
        }

        int width = codec.Info.Width;
        int height = codec.Info.Height;
        if (width <= 0 || height <= 0 || (long)width * height > Limits.MaxPixels)
        {
            codec.Dispose();
            throw new ImageRejectedException(ImageRejection.TooManyPixels, $"The image is {width}×{height} pixels; the limit is {Limits.MaxPixels} pixels.");
        }

        return codec;
    }

    /// <summary>The size to decode at: reduced where the codec can decode at a smaller scale (JPEG, WebP).</summary>
    private static SKSizeI DecodedSize(SKCodec codec)
    {
        var full = new SKSizeI(codec.Info.Width, codec.Info.Height);
        int shorter = Math.Min(full.Width, full.Height);
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp) || shorter <= MinDecodedSide)
        {
            return full;
        }

        var scaled = codec.GetScaledDimensions((float)MinDecodedSide / shorter);
        return Math.Min(scaled.Width, scaled.Height) >= MinDecodedSide && scaled.Width <= full.Width && scaled.Height <= full.Height ? scaled : full;
    }

    /// <summary>Takes 784 bytes as they are, already in the Fashion-MNIST convention.</summary>
    public static byte[] FromRawPixels(ReadOnlySpan<byte> pixels)
    {
        if (pixels.Length != FashionMnistFile.PixelsPerImage)
        {
            throw new ImageRejectedException(ImageRejection.WrongPixelCount, $"Raw pixels must be exactly 784 bytes (28×28); got {pixels.Length}.");
        }

        return pixels.ToArray();
    }

    /// <summary>Takes 784 numbers from 0 to 255 (the IDX convention; fractions are rounded).</summary>
    public static byte[] FromNumbers(IReadOnlyList<double> pixels)
    {
        if (pixels.Count != FashionMnistFile.PixelsPerImage)
        {
            throw new ImageRejectedException(ImageRejection.WrongPixelCount, $"An image must have exactly 784 pixel values (28×28); got {pixels.Count}.");
        }

        var bytes = new byte[pixels.Count];
        for (int i = 0; i < bytes.Length; i++)
        {
            double value = pixels[i];
            if (!double.IsFinite(value) || value < 0 || value > 255)
            {
                throw new ImageRejectedException(ImageRejection.InvalidPixelValue, $"Pixel {i} is {value}; pixel values are 0 to 255.");
            }

            bytes[i] = (byte)Math.Round(value);
        }

        return bytes;
    }

    private static byte[] DecodeToGray(SKCodec codec, int width, int height)
    {
        var gray = new byte[width * height];
        if (codec.Info.ColorType == SKColorType.Gray8)
        {
            var grayInfo = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
            Decode(codec, grayInfo, gray);
            return gray;
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[info.BytesSize];
        Decode(codec, info, rgba);
        for (int i = 0, p = 0; i < gray.Length; i++, p += 4)
        {
            double luminance = 0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2];
            double alpha = rgba[p + 3] / 255.0;
            gray[i] = (byte)Math.Round(luminance * alpha + 255 * (1 - alpha));
        }

        return gray;
    }

    private static unsafe void Decode(SKCodec codec, SKImageInfo info, byte[] destination)
    {
        SKCodecResult result;
        fixed (byte* pixels = destination)
        {
            result = codec.GetPixels(info, (IntPtr)pixels);
        }

        if (result != SKCodecResult.Success)
        {
            throw new ImageRejectedException(ImageRejection.Undecodable, $"The image could not be decoded ({result}); it may be truncated or corrupt.");
        }
    }

    /// <summary>Turns the stored pixels upright as the image's EXIF orientation says (phone photos are often
    /// stored sideways).</summary>
    private static (byte[] Gray, int Width, int Height) ApplyOrigin(byte[] gray, int width, int height, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or 0)
        {
            return (gray, width, height);
        }

        bool swaps = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int outWidth = swaps ? height : width;
        int outHeight = swaps ? width : height;
        var upright = new byte[gray.Length];
        for (int y = 0; y < outHeight; y++)
        {
            for (int x = 0; x < outWidth; x++)
            {
                (int sx, int sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (width - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (width - 1 - x, height - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, height - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (y, height - 1 - x),
                    SKEncodedOrigin.RightBottom => (width - 1 - y, height - 1 - x),
                    SKEncodedOrigin.LeftBottom => (width - 1 - y, x),
                    _ => (x, y),
                };
                upright[y * outWidth + x] = gray[sy * width + sx];
            }
        }

        return (upright, outWidth, outHeight);
    }

    private static bool BorderIsLight(byte[] gray, int width, int height)
    {
        long sum = 0;
        int count = 0;
        for (int x = 0; x < width; x++)
        {
            sum += gray[x] + gray[(height - 1) * width + x];
            count += 2;
        }

        for (int y = 1; y < height - 1; y++)
        {
            sum += gray[y * width] + gray[y * width + width - 1];
            count += 2;
        }

        return sum > 127.5 * count;
    }

    private static void Invert(byte[] gray)
    {
        for (int i = 0; i < gray.Length; i++)
        {
            gray[i] = (byte)(255 - gray[i]);
        }
    }

    /// <summary>The smallest rectangle holding every pixel brighter than the trim threshold; the whole image
    /// when there is none.</summary>
    private static SKRectI ForegroundBox(byte[] gray, int width, int height)
    {
        int left = width, top = height, right = -1, bottom = -1;
        for (int y = 0; y < height; y++)
        {
            int row = y * width;
            for (int x = 0; x < width; x++)
            {
                if (gray[row + x] > TrimThreshold)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }

        return right < 0 ? new SKRectI(0, 0, width, height) : new SKRectI(left, top, right + 1, bottom + 1);
    }

    private static byte[] FitInto28(byte[] gray, int width, SKRectI box)
    {
        double scale = (double)Side / Math.Max(box.Width, box.Height);
        float fittedWidth = (float)Math.Max(1, Math.Round(box.Width * scale));
        float fittedHeight = (float)Math.Max(1, Math.Round(box.Height * scale));
        var destination = SKRect.Create((Side - fittedWidth) / 2, (Side - fittedHeight) / 2, fittedWidth, fittedHeight);

        int height = gray.Length / width;
        using var source = SKImage.FromPixelCopy(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), gray);
        var canvasInfo = new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(canvasInfo);
        surface.Canvas.Clear(SKColors.Black);
        surface.Canvas.DrawImage(source, SKRect.Create(box.Left, box.Top, box.Width, box.Height), destination, Downscale, null);

        var rgba = new byte[canvasInfo.BytesSize];
        unsafe
        {
            fixed (byte* pixels = rgba)
            {
                surface.ReadPixels(canvasInfo, (IntPtr)pixels, canvasInfo.RowBytes, 0, 0);
            }
        }

        var fitted = new byte[Side * Side];
        for (int i = 0; i < fitted.Length; i++)
        {
            fitted[i] = rgba[i * 4];
        }

        return fitted;
    }
}

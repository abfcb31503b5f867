using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Tests.Support;
using SkiaSharp;

namespace FashionFunctions.Core.Tests.Inference;

[Collection(FashionMnistCollection.Name)]
public class ImagePreprocessorTests(FashionMnistFixture fixture)
{
    private readonly ImagePreprocessor preprocessor = new();

    [Fact]
    public void A_28_by_28_grayscale_png_comes_back_pixel_for_pixel()
    {
        var image = fixture.Dataset.Test.Image(0);
        using var bitmap = TestImages.FromPixels(image);
        byte[] pixels = preprocessor.FromEncodedImage(TestImages.Encode(bitmap, SKEncodedImageFormat.Png));
        Assert.Equal(image.ToArray(), pixels);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Webp)]
    public void A_dark_garment_on_white_is_inverted_and_fitted(SKEncodedImageFormat format)
    {
        // A 300×200 photo: white background, a dark 120×60 garment off-centre.
        using var bitmap = TestImages.Gray(300, 200, (x, y) => x is >= 40 and < 160 && y is >= 100 and < 160 ? (byte)20 : (byte)255);
        byte[] pixels = preprocessor.FromEncodedImage(TestImages.Encode(bitmap, format, quality: 95));

        Assert.Equal(784, pixels.Length);
        Assert.InRange(pixels[14 * 28 + 14], 200, 255);            // the garment, now light, trimmed and centred
        Assert.InRange(pixels[14 * 28 + 1], 200, 255);             // its 2:1 shape fills the width...
        Assert.InRange(pixels[2 * 28 + 14], 0, 30);                // ...and a 28×14 band: above it is padding
        Assert.InRange(pixels[25 * 28 + 14], 0, 30);               // and below it
        Assert.InRange(pixels[0], 0, 30);
    }

    [Fact]
    public void A_light_garment_on_black_is_not_inverted()
    {
        using var bitmap = TestImages.Gray(56, 56, (x, y) => x is >= 21 and < 35 && y is >= 14 and < 42 ? (byte)230 : (byte)0);
        byte[] pixels = preprocessor.FromEncodedImage(TestImages.Encode(bitmap, SKEncodedImageFormat.Png));
        Assert.InRange(pixels[14 * 28 + 14], 200, 255);
        Assert.InRange(pixels[14 * 28 + 1], 0, 10);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Exif_orientation_turns_the_image_as_displayed_before_fitting(ushort orientation)
    {
        // An L with arms of different lengths: each of the eight orientations shows it differently.
        static byte Stored(int x, int y) => (x is >= 10 and < 30 && y is >= 10 and < 110) || (x is >= 10 and < 70 && y is >= 90 and < 110) ? (byte)10 : (byte)255;
        const int w = 120, h = 120;
        using var bitmap = TestImages.Gray(w, h, Stored);
        byte[] jpeg = TestImages.WithExifOrientation(TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg, 95), orientation);

        byte[] pixels = preprocessor.FromEncodedImage(jpeg);

        // What each orientation displays, from the EXIF specification, preprocessed from a plain PNG.
        Func<int, int, byte>[] displayed =
        [
            (x, y) => Stored(x, y),
            (x, y) => Stored(w - 1 - x, y),
            (x, y) => Stored(w - 1 - x, h - 1 - y),
            (x, y) => Stored(x, h - 1 - y),
            (x, y) => Stored(y, x),
            (x, y) => Stored(y, h - 1 - x),
            (x, y) => Stored(w - 1 - y, h - 1 - x),
            (x, y) => Stored(w - 1 - y, x),
        ];
        var distances = displayed.Select(view =>
        {
            using var upright = TestImages.Gray(w, h, view);
            byte[] expected = preprocessor.FromEncodedImage(TestImages.Encode(upright, SKEncodedImageFormat.Png));
            return expected.Zip(pixels, (a, b) => Math.Abs(a - b)).Average();
        }).ToList();

        Assert.True(distances[orientation - 1] < 8, $"mean difference {distances[orientation - 1]:F1} from orientation {orientation}'s view");
        Assert.Equal(orientation - 1, distances.IndexOf(distances.Min()));
        Assert.All(distances.Where((_, i) => i != orientation - 1), d => Assert.True(d > 3 * distances[orientation - 1] + 10, $"distances {string.Join(", ", distances.Select(x => x.ToString("F1")))}"));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg, 500 * 375, 500 * 375 + 750_000)] // an eighth of each side; charged a sixteenth more
    [InlineData(SKEncodedImageFormat.Webp, 150 * 112, 12_000_000)] // any scale; charged in full (lossless WebP unmeasured)
    [InlineData(SKEncodedImageFormat.Png, 4000 * 3000, 12_000_000)] // PNG has no scaled decode
    public void A_large_photo_is_decoded_at_the_smallest_scale_that_keeps_the_result(SKEncodedImageFormat format, long decodedPixels, long decodeCost)
    {
        static SKBitmap Photo(int width, int height)
        {
            var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
            using var canvas = new SKCanvas(bitmap);
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = new SKColor(20, 20, 20) };
            canvas.DrawRect(SKRect.Create(width * 0.2f, height * 0.5f, width * 0.5f, height * 0.33f), paint);
            canvas.DrawRect(SKRect.Create(width * 0.2f, height * 0.2f, width * 0.1f, height * 0.3f), paint);
            return bitmap;
        }

        using var large = Photo(4000, 3000);
        byte[] encoded = TestImages.Encode(large, format, 90);
        using var small = Photo(400, 300); // a sub-pixel shift of the trimmed box is allowed: up to ~4% on average

        var info = preprocessor.Inspect(encoded);
        byte[] pixels = preprocessor.FromEncodedImage(encoded);
        byte[] expected = preprocessor.FromEncodedImage(TestImages.Encode(small, SKEncodedImageFormat.Png));

        Assert.Equal((format.ToString(), 4000, 3000), (info.Format, info.Width, info.Height));
        Assert.InRange(info.DecodedPixels, decodedPixels * 0.95, decodedPixels * 1.05);
        Assert.InRange(info.DecodeCostPixels, decodeCost * 0.99, decodeCost * 1.01);
        double difference = expected.Zip(pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(difference < 10, $"the reduced decode changed the fitted image by {difference:F1} on average");
    }

    [Fact]
    public void Colour_is_converted_to_luminance()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(SKColors.Black);
        bitmap.SetPixel(14, 14, new SKColor(0, 255, 0));
        byte[] pixels = preprocessor.FromEncodedImage(TestImages.Encode(bitmap, SKEncodedImageFormat.Png));
        Assert.InRange(pixels[14 * 28 + 14], 148, 151); // 0.587 × 255
    }

    [Fact]
    public void Decodes_bmp_and_gif()
    {
        using var bitmap = TestImages.Gray(28, 28, (x, y) => x < 14 ? (byte)0 : (byte)200);
        byte[] fromBmp = preprocessor.FromEncodedImage(TestImages.Bmp(bitmap));
        Assert.Equal(0, fromBmp[5]);
        Assert.Equal(200, fromBmp[20]);

        // White top row, black bottom row: the light row is the garment, trimmed and fitted into a 28×14 band.
        byte[] fromGif = preprocessor.FromEncodedImage(TestImages.TinyGif());
        Assert.Equal(784, fromGif.Length);
        Assert.InRange(fromGif[14 * 28 + 14], 200, 255);
        Assert.InRange(fromGif[14 * 28 + 1], 200, 255);
        Assert.InRange(fromGif[2 * 28 + 14], 0, 30);
        Assert.InRange(fromGif[26 * 28 + 14], 0, 30);
    }

    [Fact]
    public void Undecodable_bytes_are_refused()
    {
        var e = Assert.Throws<ImageRejectedException>(() => preprocessor.FromEncodedImage("definitely not an image"u8));
        Assert.Equal(ImageRejection.Undecodable, e.Reason);
    }

    [Fact]
    public void A_truncated_png_is_refused()
    {
        using var bitmap = TestImages.Gray(64, 64, (x, y) => (byte)(x * 4));
        byte[] png = TestImages.Encode(bitmap, SKEncodedImageFormat.Png);
        var e = Assert.Throws<ImageRejectedException>(() => preprocessor.FromEncodedImage(png.AsSpan(0, png.Length / 2)));
        Assert.Equal(ImageRejection.Undecodable, e.Reason);
    }

    [Fact]
    public void A_decompression_bomb_is_refused_before_decoding()
    {
        byte[] bomb = TestImages.PngHeaderOnly(100_000, 100_000);
        var e = Assert.Throws<ImageRejectedException>(() => preprocessor.FromEncodedImage(bomb));
        Assert.Equal(ImageRejection.TooManyPixels, e.Reason);
        Assert.Contains("100000×100000", e.Message);
    }

    [Fact]
    public void Too_many_bytes_are_refused()
    {
        var small = new ImagePreprocessor(new ImageLimits { MaxEncodedBytes = 100 });
        var e = Assert.Throws<ImageRejectedException>(() => small.FromEncodedImage(new byte[101]));
        Assert.Equal(ImageRejection.TooManyBytes, e.Reason);
    }

    [Theory]
    [InlineData(783)]
    [InlineData(785)]
    [InlineData(0)]
    public void Raw_payloads_must_be_784_bytes(int length)
    {
        Assert.Equal(ImageRejection.WrongPixelCount, Assert.Throws<ImageRejectedException>(() => ImagePreprocessor.FromRawPixels(new byte[length])).Reason);
    }

    [Fact]
    public void Number_arrays_are_checked_and_rounded()
    {
        var numbers = Enumerable.Repeat(0.0, 784).ToArray();
        numbers[3] = 254.6;
        Assert.Equal(255, ImagePreprocessor.FromNumbers(numbers)[3]);

        numbers[5] = 256;
        Assert.Equal(ImageRejection.InvalidPixelValue, Assert.Throws<ImageRejectedException>(() => ImagePreprocessor.FromNumbers(numbers)).Reason);
        numbers[5] = double.NaN;
        Assert.Equal(ImageRejection.InvalidPixelValue, Assert.Throws<ImageRejectedException>(() => ImagePreprocessor.FromNumbers(numbers)).Reason);
        Assert.Equal(ImageRejection.WrongPixelCount, Assert.Throws<ImageRejectedException>(() => ImagePreprocessor.FromNumbers(new double[10])).Reason);
    }
}

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
    [InlineData(1, false)]
    [InlineData(6, true)]
    [InlineData(8, true)]
    [InlineData(3, false)]
    public void Exif_orientation_is_applied_before_fitting(ushort orientation, bool turnsUpright)
    {
        // Stored as a wide dark bar on white; orientations 5–8 say it is displayed turned by 90°.
        using var bitmap = TestImages.Gray(120, 120, (x, y) => x is >= 10 and < 110 && y is >= 50 and < 70 ? (byte)10 : (byte)255);
        byte[] jpeg = TestImages.WithExifOrientation(TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg, 95), orientation);

        byte[] pixels = preprocessor.FromEncodedImage(jpeg);

        byte middleOfLeftEdge = pixels[14 * 28 + 1], middleOfTopEdge = pixels[1 * 28 + 14];
        Assert.Equal(turnsUpright, middleOfTopEdge > 128);
        Assert.Equal(!turnsUpright, middleOfLeftEdge > 128);
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

        byte[] fromGif = preprocessor.FromEncodedImage(TestImages.TinyGif());
        Assert.Equal(784, fromGif.Length);
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

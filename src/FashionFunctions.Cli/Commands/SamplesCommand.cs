using System.ComponentModel;
using System.Text.Json;
using FashionFunctions.Core.Data;
using SkiaSharp;
using Spectre.Console.Cli;

namespace FashionFunctions.Cli.Commands;

/// <summary>
/// Writes the sample images under samples/: test-set images as they are (28×28 PNG), and product-photo-style
/// versions of some (large, coloured, on a light background, off-centre) like a phone photo of a garment, plus
/// samples.json describing them. The page's "try a sample", the README's curl lines and the tests use them.
/// </summary>
internal sealed class SamplesCommand : AsyncCommand<SamplesCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-o|--output <DIR>")]
        [Description("Where to write the images and samples.json (default: samples).")]
        public string Output { get; init; } = "samples";

        [CommandOption("--data <DIR_OR_URL>")]
        public string? Data { get; init; }
    }

    private sealed record Sample(string File, int Label, string ClassName, string Description);

    // (file, label, photo style or null): the first test image of each label is used.
    private static readonly (string File, int Label, Photo? Photo)[] Plan =
    [
        ("shirt.png", 6, null),
        ("trouser.png", 1, null),
        ("dress.png", 3, null),
        ("sneaker.png", 7, null),
        ("bag.png", 8, null),
        ("ankle-boot.png", 9, null),
        ("photo.jpg", 9, new Photo(640, 800, new SKColor(0x6b, 0x3f, 0x22), new SKColor(0xf2, 0xef, 0xea), 0.18f, 0.30f, 0.62f, Transparent: false)),
        ("trouser-photo.jpg", 1, new Photo(900, 1200, new SKColor(0x1f, 0x2f, 0x5a), new SKColor(0xe9, 0xec, 0xef), 0.40f, 0.12f, 0.55f, Transparent: false)),
        ("sneaker-photo.png", 7, new Photo(800, 600, new SKColor(0xc8, 0x2a, 0x2a), SKColors.Transparent, 0.08f, 0.38f, 0.5f, Transparent: true)),
    ];

    /// <summary>Canvas size, garment colour, background, the garment's top-left corner as fractions of the
    /// canvas, and its size as a fraction of the canvas width.</summary>
    private sealed record Photo(int Width, int Height, SKColor Garment, SKColor Background, float Left, float Top, float Scale, bool Transparent);

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var dataset = await FashionMnistLoader.LoadAsync(
            DatasetSources.FromSetting(settings.Data ?? LocalDirectoryDatasetSource.DebianPackageDirectory, CacheDirectory.Dataset), cancellationToken);
        var test = dataset.Test;
        Directory.CreateDirectory(settings.Output);
        var samples = new List<Sample>();
        foreach (var (file, label, photo) in Plan)
        {
            int index = Array.IndexOf(test.Labels, (byte)label);
            byte[] pixels = test.Image(index).ToArray();
            byte[] encoded = photo is null ? Encode28(pixels) : EncodePhoto(pixels, photo, file.EndsWith(".jpg", StringComparison.Ordinal));
            await File.WriteAllBytesAsync(Path.Combine(settings.Output, file), encoded, cancellationToken);
            string className = FashionMnistClasses.NameOf(label);
            samples.Add(new Sample(file, label, className, photo is null
                ? $"Test image #{index} ({className}), 28×28"
                : $"Test image #{index} ({className}) as a {photo.Width}×{photo.Height} product photo"));
        }

        await File.WriteAllTextAsync(Path.Combine(settings.Output, "samples.json"),
            JsonSerializer.Serialize(samples, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n", cancellationToken);
        Console.Out.WriteLine(JsonSerializer.Serialize(new { output = settings.Output, files = samples.Select(s => s.File) }));
        return 0;
    }

    private static byte[] Encode28(byte[] pixels)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
        pixels.CopyTo(bitmap.GetPixelSpan());
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The garment's intensities as the alpha of a coloured layer, enlarged smoothly onto a light
    /// background with a soft shadow: what a product photo looks like once the dataset's inversion is undone.</summary>
    private static byte[] EncodePhoto(byte[] pixels, Photo photo, bool jpeg)
    {
        using var garment = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int i = 0; i < pixels.Length; i++)
        {
            garment.SetPixel(i % 28, i / 28, photo.Garment.WithAlpha(pixels[i]));
        }

        using var surface = SKSurface.Create(new SKImageInfo(photo.Width, photo.Height, SKColorType.Rgba8888, photo.Transparent ? SKAlphaType.Premul : SKAlphaType.Opaque));
        var canvas = surface.Canvas;
        canvas.Clear(photo.Background);
        if (!photo.Transparent)
        {
            using var light = new SKPaint
            {
                Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, photo.Height),
                    [photo.Background, Darker(photo.Background, 0.93f)], SKShaderTileMode.Clamp),
            };
            canvas.DrawRect(0, 0, photo.Width, photo.Height, light);
        }

        float size = photo.Width * photo.Scale;
        var target = SKRect.Create(photo.Width * photo.Left, photo.Height * photo.Top, size, size);
        using var image = SKImage.FromBitmap(garment);
        var sampling = new SKSamplingOptions(SKCubicResampler.Mitchell);
        using (var shadow = new SKPaint { ImageFilter = SKImageFilter.CreateDropShadowOnly(size / 60, size / 40, size / 50, size / 50, new SKColor(0, 0, 0, 70)) })
        {
            canvas.DrawImage(image, target, sampling, shadow);
        }

        canvas.DrawImage(image, target, sampling);
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, 85);
        return data.ToArray();
    }

    private static SKColor Darker(SKColor c, float f) => new((byte)(c.Red * f), (byte)(c.Green * f), (byte)(c.Blue * f));
}

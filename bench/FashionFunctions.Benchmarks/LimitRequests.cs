using System.Net.Http.Headers;
using System.Text.Json;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Inference;
using FashionFunctions.Functions.Hosting;
using SkiaSharp;

namespace FashionFunctions.Benchmarks;

/// <summary>A classify request body written to a file, with its content type.</summary>
internal sealed record LimitRequest(string Label, string Path, string ContentType);

/// <summary>
/// The most expensive classify requests the app's limits let through — each limit reached with the costliest
/// content for it — plus one just over the pixel budget, which must be refused before anything is decoded.
/// </summary>
internal static class LimitRequests
{
    public static IReadOnlyList<LimitRequest> Write(string directory, FashionFunctionsOptions limits, FashionMnistSplit test)
    {
        var requests = new List<LimitRequest>();
        void Add(string label, string file, byte[] body, string contentType)
        {
            string path = Path.Combine(directory, file);
            File.WriteAllBytes(path, body);
            requests.Add(new LimitRequest(label, path, contentType));
        }

        File.WriteAllBytes(Path.Combine(directory, "small.png"), SmallPng());
        var preprocessor = new ImagePreprocessor(new ImageLimits { MaxEncodedBytes = limits.MaxRequestBytes, MaxPixels = limits.MaxImagePixels });
        long Charge(byte[] image) => preprocessor.Inspect(image).DecodeCostPixels;

        // How many copies of an image one request can carry: within the batch, byte and pixel-budget limits.
        int Fitting(byte[] image) => (int)Math.Min(limits.MaxBatchImages, Math.Min(
            (limits.MaxRequestBytes - 64 * 1024) / image.Length,
            limits.MaxRequestPixels / Charge(image)));

        void AddBatch(string what, string file, byte[] image, string type, int count)
        {
            var (body, contentType) = Multipart(Enumerable.Repeat(image, count), type);
            Add($"{count} × {what}", file, body, contentType);
        }

        int side = (int)Math.Sqrt(Math.Min(limits.MaxImagePixels, limits.MaxRequestPixels));
        byte[] largestPng = Photo(side, side, SKEncodedImageFormat.Png, grain: true);
        byte[] bomb = Bomb(side, side);
        AddBatch($"largest PNG accepted ({side}×{side}, {Mebibytes(largestPng)})", "largest-png.multipart", largestPng, "image/png", Math.Max(1, Fitting(largestPng)));
        AddBatch($"pixel bomb (PNG of {side}×{side}, {bomb.Length / 1024} KiB)", "bombs.multipart", bomb, "image/png", Math.Max(1, Fitting(bomb)));
        byte[] largestWebp = Photo(side, side, SKEncodedImageFormat.Webp, grain: true);
        AddBatch($"largest WebP accepted ({side}×{side}, {Mebibytes(largestWebp)})", "largest-webp.multipart", largestWebp, "image/webp", Math.Max(1, Fitting(largestWebp)));

        int jpegSide = (int)Math.Sqrt(limits.MaxImagePixels);
        byte[] largestJpeg = Photo(jpegSide, jpegSide, SKEncodedImageFormat.Jpeg, grain: true);
        AddBatch($"largest JPEG ({jpegSide}×{jpegSide}, {Mebibytes(largestJpeg)})", "largest-jpegs.multipart", largestJpeg, "image/jpeg", Fitting(largestJpeg));

        int batchSide = (int)Math.Sqrt(limits.MaxRequestPixels / limits.MaxBatchImages);
        int perImageBytes = (limits.MaxRequestBytes - 64 * 1024) / limits.MaxBatchImages;
        byte[] batchJpeg = FittingPhoto(batchSide, SKEncodedImageFormat.Jpeg, perImageBytes);
        AddBatch($"JPEG of {batchSide}×{batchSide}", "batch-jpegs.multipart", batchJpeg, "image/jpeg", Fitting(batchJpeg));
        byte[] batchPng = FittingPhoto(batchSide, SKEncodedImageFormat.Png, perImageBytes);
        AddBatch($"PNG of {batchSide}×{batchSide}", "batch-pngs.multipart", batchPng, "image/png", Fitting(batchPng));

        var images = Enumerable.Range(0, limits.MaxBatchImages).Select(i => test.Image(i % test.Count).ToArray().Select(b => (int)b).ToArray());
        Add($"{limits.MaxBatchImages} images as JSON pixel arrays", "batch.json", JsonSerializer.SerializeToUtf8Bytes(new { images }), "application/json");

        var (over, overType) = Multipart(Enumerable.Repeat(largestPng, Fitting(largestPng) + 1), "image/png");
        Add($"{Fitting(largestPng) + 1} × largest PNG (over the pixel budget: refused)", "over-budget.multipart", over, overType);
        return requests;
    }

    /// <summary>A 28×28 garment-like PNG: the warm-up and cold-start request.</summary>
    public static byte[] SmallPng() => Photo(28, 28, SKEncodedImageFormat.Png, grain: false);

    private static (byte[] Body, string ContentType) Multipart(IEnumerable<byte[]> files, string fileType)
    {
        using var form = new MultipartFormDataContent();
        int i = 0;
        foreach (byte[] file in files)
        {
            var part = new ByteArrayContent(file);
            part.Headers.ContentType = MediaTypeHeaderValue.Parse(fileType);
            form.Add(part, "images", $"image{i++}");
        }

        return (form.ReadAsByteArrayAsync().GetAwaiter().GetResult(), form.Headers.ContentType!.ToString());
    }

    /// <summary>The costliest photo of side×side that fits in <paramref name="maxBytes"/>: with grain (which
    /// defeats compression) if it fits, else lower JPEG quality, else without grain.</summary>
    private static byte[] FittingPhoto(int side, SKEncodedImageFormat format, int maxBytes)
    {
        foreach (int quality in new[] { 90, 75, 50, 25 })
        {
            byte[] grainy = Photo(side, side, format, grain: true, quality);
            if (grainy.Length <= maxBytes)
            {
                return grainy;
            }
        }

        return Photo(side, side, format, grain: false);
    }

    /// <summary>A product photo: a dark garment on white, with grain so that the encoder cannot shrink it.</summary>
    private static byte[] Photo(int width, int height, SKEncodedImageFormat format, bool grain, int quality = 90)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = new SKColor(30, 40, 50) };
            canvas.DrawRect(SKRect.Create(width * 0.25f, height * 0.2f, width * 0.5f, height * 0.6f), paint);
            if (grain)
            {
                using var noise = SKShader.CreatePerlinNoiseFractalNoise(0.05f, 0.05f, 2, 1);
                using var overlay = new SKPaint { Shader = noise, BlendMode = SKBlendMode.Overlay };
                canvas.DrawRect(SKRect.Create(width, height), overlay);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>A PNG declaring width×height gray pixels, all zero: a few kilobytes that inflate to the whole image.</summary>
    private static byte[] Bomb(int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.Black);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static string Mebibytes(byte[] bytes) => $"{bytes.Length / 1048576.0:F1} MiB";
}

using System.Diagnostics;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using SkiaSharp;

namespace FashionFunctions.Benchmarks;

internal sealed record InferenceResults(
    double SingleFromPngP50Microseconds,
    double SingleFromPngP99Microseconds,
    double BatchFromPixelsImagesPerSecond,
    double BatchFromPngImagesPerSecond,
    double WeightsToFirstPredictionMilliseconds);

/// <summary>In-process inference: latency of one PNG, batch throughput, time from a weights file to a prediction.</summary>
internal static class InferenceBenchmarks
{
    public static InferenceResults Run(ModelArtifact artifact, FashionMnistSplit test)
    {
        const int count = 10_000;
        int n = Math.Min(count, test.Count);
        byte[][] pngs = Enumerable.Range(0, n).Select(i => EncodePng(test.Image(i))).ToArray();
        byte[] packed = test.Pixels.AsSpan(0, n * FashionMnistFile.PixelsPerImage).ToArray();
        var preprocessor = new ImagePreprocessor();
        var classifier = new Classifier(artifact);

        // One image at a time, from PNG bytes to a prediction.
        for (int i = 0; i < 1000; i++)
        {
            classifier.Predict(preprocessor.FromEncodedImage(pngs[i % n]));
        }

        var latencies = new double[5000];
        for (int i = 0; i < latencies.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            classifier.Predict(preprocessor.FromEncodedImage(pngs[i % n]));
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        // Batches from raw pixels: the best of five passes over 10,000 images.
        double bestPixels = Best(5, () => classifier.Probabilities(packed));

        // Batches from PNG bytes: decode on every core, then one batched forward pass.
        double bestPng = Best(5, () =>
        {
            var decoded = new byte[n * FashionMnistFile.PixelsPerImage];
            Parallel.For(0, n, i => preprocessor.FromEncodedImage(pngs[i]).CopyTo(decoded, i * FashionMnistFile.PixelsPerImage));
            classifier.Probabilities(decoded);
        });

        // From a weights file on disk to the first prediction (native library already loaded).
        string directory = Path.Combine(Path.GetTempPath(), "fashion-bench-" + Guid.NewGuid().ToString("N"));
        artifact.SaveToDirectoryAsync(directory).GetAwaiter().GetResult();
        var loads = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            long start = Stopwatch.GetTimestamp();
            var loaded = ModelArtifact.LoadFromDirectoryAsync(directory).GetAwaiter().GetResult();
            var fresh = new Classifier(loaded);
            fresh.Predict(test.Image(0).ToArray());
            loads.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        Directory.Delete(directory, recursive: true);
        return new InferenceResults(
            Statistics.Percentile(latencies, 0.5),
            Statistics.Percentile(latencies, 0.99),
            n / bestPixels,
            n / bestPng,
            Statistics.Median(loads));
    }

    private static double Best(int repeats, Action action)
    {
        action();
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return best;
    }

    private static byte[] EncodePng(ReadOnlySpan<byte> pixels)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
        pixels.CopyTo(bitmap.GetPixelSpan());
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}

using System.Diagnostics;
using System.Text.Json;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using SkiaSharp;

namespace FashionFunctions.Benchmarks;

/// <summary>What one piece of work cost in a fresh process of its own: CPU time, wall time, the process's peak
/// working set (runtime included), and whether libtorch was mapped into it.</summary>
internal sealed record ProcessCost(string Case, double CpuMilliseconds, double WallMilliseconds, double PeakWorkingSetMiB, bool LibtorchLoaded, string Outcome);

/// <summary>
/// The cost of one request at every input limit (the largest image at <see cref="ImageLimits.MaxPixels"/> as PNG
/// and JPEG, a pixel bomb, the biggest batch), and the working set of a process that serves classify. Each runs
/// in a child process of this benchmark (<c>--child</c>), so the training done here pollutes neither the memory
/// nor the libraries measured.
/// </summary>
internal static class RequestCostBenchmarks
{
    private const int BiggestBatch = 64;

    public static IReadOnlyList<ProcessCost> Run(ModelArtifact artifact, FashionMnistSplit test)
    {
        string directory = Path.Combine(Path.GetTempPath(), "fashion-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            artifact.SaveToDirectoryAsync(Path.Combine(directory, "model")).GetAwaiter().GetResult();
            var limits = new ImageLimits();
            int side = (int)Math.Sqrt(limits.MaxPixels);
            File.WriteAllBytes(Path.Combine(directory, "largest.png"), Photo(side, side, SKEncodedImageFormat.Png));
            File.WriteAllBytes(Path.Combine(directory, "largest.jpg"), Photo(side, side, SKEncodedImageFormat.Jpeg));
            File.WriteAllBytes(Path.Combine(directory, "bomb.png"), Bomb(side, side));
            File.WriteAllBytes(Path.Combine(directory, "pixels.bin"), test.Pixels.AsSpan(0, BiggestBatch * FashionMnistFile.PixelsPerImage).ToArray());
            return
            [
                Child("decode", Path.Combine(directory, "largest.png"), $"largest PNG ({side}×{side}, {limits.MaxPixels / 1e6:F0} MP)"),
                Child("decode", Path.Combine(directory, "largest.jpg"), $"largest JPEG ({side}×{side})"),
                Child("decode", Path.Combine(directory, "bomb.png"), $"pixel bomb (PNG declaring {side}×{side}, few bytes)"),
                Child("batch", Path.Combine(directory, "largest.jpg"), $"biggest batch ({BiggestBatch} × largest JPEG)"),
                Child("serve", directory, "serving classify: 20,000 single + batched requests"),
            ];
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The child's side: does one piece of work and prints its cost as one JSON line.</summary>
    public static int RunChild(string kind, string path, string label)
    {
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        string outcome;
        var preprocessor = new ImagePreprocessor();
        try
        {
            switch (kind)
            {
                case "decode":
                    outcome = "decoded " + preprocessor.FromEncodedImage(File.ReadAllBytes(path)).Length + " pixels";
                    break;
                case "batch":
                    byte[] encoded = File.ReadAllBytes(path);
                    for (int i = 0; i < BiggestBatch; i++)
                    {
                        preprocessor.FromEncodedImage(encoded);
                    }

                    outcome = $"decoded {BiggestBatch} images";
                    break;
                case "serve":
                    var artifact = ModelArtifact.LoadFromDirectoryAsync(Path.Combine(path, "model")).GetAwaiter().GetResult();
                    var classifier = new Classifier(artifact);
                    byte[] pixels = File.ReadAllBytes(Path.Combine(path, "pixels.bin"));
                    var images = Enumerable.Range(0, pixels.Length / FashionMnistFile.PixelsPerImage)
                        .Select(i => pixels.AsSpan(i * FashionMnistFile.PixelsPerImage, FashionMnistFile.PixelsPerImage).ToArray()).ToArray();
                    Parallel.For(0, 20_000, i =>
                    {
                        if (i % 100 == 0)
                        {
                            classifier.Predict(images);
                        }
                        else
                        {
                            classifier.Predict(images[i % images.Length]);
                        }
                    });
                    outcome = "served";
                    break;
                default:
                    throw new ArgumentException($"unknown child kind {kind}");
            }
        }
        catch (ImageRejectedException e)
        {
            outcome = $"rejected ({e.Reason})";
        }

        double wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        string maps = File.Exists("/proc/self/maps") ? File.ReadAllText("/proc/self/maps") : "";
        var cost = new ProcessCost(label, cpu, wall, PeakWorkingSetMiB(), maps.Contains("libtorch_cpu.so", StringComparison.Ordinal), outcome);
        Console.Out.WriteLine(JsonSerializer.Serialize(cost));
        return 0;
    }

    private static ProcessCost Child(string kind, string path, string label)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "fashion-bench.dll"), "--child", kind, path, label })
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string line = output.Trim().Split('\n')[^1];
        return child.ExitCode == 0
            ? JsonSerializer.Deserialize<ProcessCost>(line)!
            : throw new InvalidOperationException($"The {kind} child failed: {stderr.Result}");
    }

    private static double PeakWorkingSetMiB()
    {
        // VmHWM: the resident set's high-water mark, kept by the kernel.
        string? line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) : null;
        return line is null
            ? Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0
            : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    /// <summary>A product photo: a dark garment on white, with noise so the encoder cannot shrink it to nothing.</summary>
    private static byte[] Photo(int width, int height, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = new SKColor(30, 40, 50) };
            canvas.DrawRect(SKRect.Create(width * 0.25f, height * 0.2f, width * 0.5f, height * 0.6f), paint);
            using var noise = SKShader.CreatePerlinNoiseFractalNoise(0.05f, 0.05f, 2, 1);
            using var grain = new SKPaint { Shader = noise, BlendMode = SKBlendMode.Overlay };
            canvas.DrawRect(SKRect.Create(width, height), grain);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>A PNG declaring width×height gray pixels, all zero: a few hundred kilobytes that inflate to the
    /// whole image.</summary>
    private static byte[] Bomb(int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.Black);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}

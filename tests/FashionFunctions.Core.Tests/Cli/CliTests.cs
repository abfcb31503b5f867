using System.Text.Json;
using FashionFunctions.Core.Native;
using FashionFunctions.Core.Tests.Support;
using SkiaSharp;

namespace FashionFunctions.Core.Tests.Cli;

[Collection(FashionMnistCollection.Name)]
[Trait("Category", "ChildProcess")]
public class CliTests(FashionMnistFixture fixture)
{
    [Fact]
    public void Train_then_evaluate_then_classify_png_and_jpeg()
    {
        using var temp = new TempDirectory();
        string modelDir = temp.File("model");

        var train = CliRunner.Run("train", "--epochs", "1", "--train-limit", "6000", "--seed", "5", "-o", modelDir);
        Assert.True(train.ExitCode == 0, train.StandardError);
        string summaryLine = train.StandardOutput.Trim().Split('\n')[^1];
        using var summary = JsonDocument.Parse(summaryLine);
        double trainedAccuracy = summary.RootElement.GetProperty("testAccuracy").GetDouble();
        Assert.InRange(trainedAccuracy, 0.7, 1.0);
        Assert.StartsWith("fmnist-", summary.RootElement.GetProperty("modelId").GetString());
        Assert.True(File.Exists(summary.RootElement.GetProperty("weightsPath").GetString()));
        Assert.True(File.Exists(Path.Combine(modelDir, "manifest.json")));

        var evaluate = CliRunner.Run("evaluate", modelDir);
        Assert.True(evaluate.ExitCode == 0, evaluate.StandardError);
        using var evaluation = JsonDocument.Parse(evaluate.StandardOutput.Trim().Split('\n')[^1]);
        Assert.Equal(trainedAccuracy, evaluation.RootElement.GetProperty("testAccuracy").GetDouble(), 6);
        Assert.Contains("Trouser", evaluate.StandardError); // the confusion matrix table
        Assert.Contains("Test accuracy of", evaluate.StandardError);

        var test = fixture.Dataset.Test;
        using var first = TestImages.FromPixels(test.Image(0));
        using var second = TestImages.FromPixels(test.Image(1));
        File.WriteAllBytes(temp.File("a.png"), TestImages.Encode(first, SKEncodedImageFormat.Png));
        File.WriteAllBytes(temp.File("b.jpg"), TestImages.Encode(second, SKEncodedImageFormat.Jpeg, 95));
        var classify = CliRunner.Run("classify", "--model", modelDir, temp.File("a.png"), temp.File("b.jpg"));
        Assert.True(classify.ExitCode == 0, classify.StandardError);
        var lines = classify.StandardOutput.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal(temp.File("a.png"), lines[0].GetProperty("file").GetString());
        Assert.Equal(9, lines[0].GetProperty("label").GetInt32()); // test image 0 is an ankle boot
        Assert.Equal("Ankle boot", lines[0].GetProperty("className").GetString());
        Assert.Equal(2, lines[1].GetProperty("label").GetInt32()); // test image 1 is a pullover
    }

    [Fact]
    public void A_corrupt_data_file_gives_one_line_naming_it()
    {
        using var temp = new TempDirectory();
        IdxBuilder.WriteDataset(temp.Path);
        File.WriteAllBytes(temp.File("train-images-idx3-ubyte.gz"), IdxBuilder.Gzip(IdxBuilder.Labels(5)));

        var result = CliRunner.Run("train", "--data", temp.Path, "--epochs", "1");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("fashion: train-images-idx3-ubyte: has magic number 2049; expected 2051 for images.", result.StandardError.Trim());
    }

    [Fact]
    public async Task An_undecodable_image_gives_one_line_naming_it()
    {
        using var temp = new TempDirectory();
        var artifact = Modeling.ModelArtifactTests.MakeArtifact();
        await artifact.SaveToDirectoryAsync(temp.File("m"));
        File.WriteAllText(temp.File("notes.png"), "not a png");

        var result = CliRunner.Run("classify", "--model", temp.File("m"), temp.File("notes.png"));

        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.StartsWith($"fashion: {temp.File("notes.png")}: The data is not a decodable image", line);
    }

    [Fact]
    public void A_bad_option_value_is_a_usage_error()
    {
        var result = CliRunner.Run("train", "--epochs", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("epochs: The field epochs must be between 1 and 200", result.StandardError);
    }

    [Fact]
    public async Task Classifying_does_not_load_libtorch()
    {
        using var temp = new TempDirectory();
        await Modeling.ModelArtifactTests.MakeArtifact().SaveToDirectoryAsync(temp.File("m"));
        using var image = TestImages.FromPixels(fixture.Dataset.Test.Image(0));
        File.WriteAllBytes(temp.File("a.png"), TestImages.Encode(image, SKEncodedImageFormat.Png));

        // The dynamic loader logs every shared library the process opens, dlopen'ed ones included.
        var result = CliRunner.RunIn(RepoPaths.CliOutput, new Dictionary<string, string>
        {
            ["LD_DEBUG"] = "files",
            ["LD_DEBUG_OUTPUT"] = temp.File("loader"),
        }, "classify", "--model", temp.File("m"), temp.File("a.png"));

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Single(result.StandardOutput.Trim().Split('\n'));
        string loaded = string.Concat(Directory.GetFiles(temp.Path, "loader.*").Select(File.ReadAllText));
        Assert.Contains("libSkiaSharp.so", loaded); // the log covers the libraries loaded while classifying
        Assert.DoesNotContain("libtorch_cpu.so", loaded);
        Assert.DoesNotContain(TorchRuntime.NativeLibraryName, loaded);
    }

    [SkippableFact]
    public void An_unpatched_native_library_fails_with_an_actionable_message()
    {
        Skip.If(SystemHasGlibcxx332(), "This system's libstdc++ has GLIBCXX_3.4.32, so the unpatched library loads as it is.");

        // A copy of the CLI's output folder, but with TorchSharp's native library as NuGet ships it. The large
        // libtorch libraries are linked rather than copied; the host resolves the app's own folder through
        // links, so everything the loader looks for beside the app is a real file here.
        using var temp = new TempDirectory();
        foreach (string file in Directory.EnumerateFiles(RepoPaths.CliOutput, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(temp.Path, Path.GetRelativePath(RepoPaths.CliOutput, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (Path.GetFileName(file) == TorchRuntime.NativeLibraryName)
            {
                File.Copy(RepoPaths.OriginalTorchSharpNative, target);
            }
            else if (file.Contains("/native/", StringComparison.Ordinal))
            {
                File.CreateSymbolicLink(target, file);
            }
            else
            {
                File.Copy(file, target);
            }
        }

        var result = CliRunner.RunIn(temp.Path, "train", "--epochs", "1", "--train-limit", "100");

        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.StartsWith("fashion: TorchSharp's native library could not be loaded", line);
        Assert.Contains("GLIBCXX_3.4.32", line);
        Assert.Contains("dotnet build", line);
    }

    private static bool SystemHasGlibcxx332()
    {
        string[] candidates = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6"];
        string? path = candidates.FirstOrDefault(File.Exists);
        return path is not null && System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path)).Contains("GLIBCXX_3.4.32");
    }
}

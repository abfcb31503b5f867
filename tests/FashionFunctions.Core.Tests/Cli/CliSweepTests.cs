using System.Text.Json;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Tests.Support;
using SkiaSharp;

namespace FashionFunctions.Core.Tests.Cli;

[Collection(FashionMnistCollection.Name)]
[Trait("Category", "ChildProcess")]
public class CliSweepTests(FashionMnistFixture fixture)
{
    [Fact]
    public void Sweep_trains_every_point_keeps_the_winner_by_validation_accuracy_and_the_narrow_winner_loads_and_classifies()
    {
        using var temp = new TempDirectory();
        string modelDir = temp.File("winner");

        var sweep = CliRunner.Run("sweep", "--hidden-units", "16,48", "--learning-rate", "0.001,0.003", "--epochs", "1",
            "--train-limit", "4000", "--validation-size", "3000", "-o", modelDir);

        Assert.True(sweep.ExitCode == 0, sweep.StandardError);
        string[] lines = sweep.StandardOutput.Trim().Split('\n');
        using var summary = JsonDocument.Parse(Assert.Single(lines));
        var points = summary.RootElement.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(4, points.Count);
        Assert.Equal([16, 48, 16, 48], points.Select(p => p.GetProperty("hiddenUnits").GetInt32()));

        // The rule, written out: best validation accuracy, then the narrower model, then the earlier point.
        var expected = points.OrderByDescending(p => p.GetProperty("validationAccuracy").GetDouble())
            .ThenBy(p => p.GetProperty("hiddenUnits").GetInt32()).ThenBy(p => p.GetProperty("index").GetInt32()).First();
        var winner = summary.RootElement.GetProperty("winner");
        Assert.Equal(expected.GetProperty("index").GetInt32(), winner.GetProperty("index").GetInt32());
        Assert.Contains("winner", sweep.StandardError, StringComparison.Ordinal);

        var manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(Path.Combine(modelDir, "manifest.json")), ModelJson.Options)!;
        Assert.Equal(winner.GetProperty("hiddenUnits").GetInt32(), manifest.Hyperparameters.HiddenUnits);
        Assert.Equal(winner.GetProperty("validationAccuracy").GetDouble(), manifest.Epochs[^1].ValidationAccuracy!.Value, 9);

        using var boot = TestImages.FromPixels(fixture.Dataset.Test.Image(0));
        File.WriteAllBytes(temp.File("boot.png"), TestImages.Encode(boot, SKEncodedImageFormat.Png));
        var classify = CliRunner.Run("classify", "--model", modelDir, temp.File("boot.png"));
        Assert.True(classify.ExitCode == 0, classify.StandardError);
        Assert.Equal(9, JsonDocument.Parse(classify.StandardOutput.Trim()).RootElement.GetProperty("label").GetInt32());
    }

    [Theory]
    [InlineData(new[] { "sweep", "--learning-rate", "0.001,abc" }, "fashion: --learning-rate: '0.001,abc' is not a comma-separated list of numbers.")]
    [InlineData(new[] { "sweep", "--seed", "1,2,3", "--budget", "2" }, "fashion: budget: the sweep expands to 3 points, over its budget of 2; raise budget (at most 256) or trim the grid.")]
    [InlineData(new[] { "sweep", "--hidden-units", "0" }, "fashion: grid.hiddenUnits[0]: must be between 1 and 4096.")]
    public void A_bad_sweep_is_a_usage_error_in_one_line(string[] args, string message)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(message, result.StandardError.Trim());
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Native;
using FashionFunctions.Core.Sweeps;
using FashionFunctions.Core.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FashionFunctions.Cli.Commands;

/// <summary>
/// Runs a sweep locally, one point after another, chooses the winner with the same rule as the API
/// (<see cref="SweepSelection"/>), and writes the winner's model directory.
/// </summary>
internal sealed class SweepCommand : AsyncCommand<SweepCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--request <FILE>")]
        [Description("A sweep request as JSON, the body POST /api/sweeps takes ({\"grid\": {...}, \"points\": [...], \"budget\": N, ...}). Not with the axis options.")]
        public string? Request { get; init; }

        [CommandOption("--learning-rate <RATES>")]
        [Description("Grid axis: comma-separated learning rates, e.g. 0.001,0.0005")]
        public string? LearningRate { get; init; }

        [CommandOption("--batch-size <SIZES>")]
        [Description("Grid axis: comma-separated batch sizes")]
        public string? BatchSize { get; init; }

        [CommandOption("--epochs <COUNTS>")]
        [Description("Grid axis: comma-separated epoch counts")]
        public string? Epochs { get; init; }

        [CommandOption("--hidden-units <WIDTHS>")]
        [Description("Grid axis: comma-separated hidden-layer widths")]
        public string? HiddenUnits { get; init; }

        [CommandOption("--seed <SEEDS>")]
        [Description("Grid axis: comma-separated seeds")]
        public string? Seed { get; init; }

        [CommandOption("--budget <N>")]
        [Description("The most points the sweep may have (default 64, at most 256).")]
        public int? Budget { get; init; }

        [CommandOption("--validation-size <N>")]
        [Description("Training images held out to choose the winner on (default 10000).")]
        public int? ValidationSize { get; init; }

        [CommandOption("--train-limit <N>")]
        [Description("Train every point on the first N images only (quick runs).")]
        public int? TrainLimit { get; init; }

        [CommandOption("--data <DIR_OR_URL>")]
        [Description("Directory with the four IDX files (.gz or raw), or an http(s) mirror. Default: /usr/share/datasets/fashion-mnist")]
        public string? Data { get; init; }

        [CommandOption("-o|--output <DIR>")]
        [Description("Where to write the winner's model.safetensors and manifest.json. Default: models/<model id>")]
        public string? Output { get; init; }
    }

    private sealed record PointRun(SweepPoint Point, double? ValidationAccuracy, double TestAccuracy, double Seconds);

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var plan = ToRequest(settings).Plan();
        TorchRuntime.EnsureAvailable();

        var console = ProgressConsole.Create();
        console.Profile.Width = Math.Max(console.Profile.Width, 110); // the ranking's columns; redirected output defaults to 80
        var clock = Stopwatch.StartNew();
        var dataset = await FashionMnistLoader.LoadAsync(DatasetSources.FromSetting(settings.Data ?? LocalDirectoryDatasetSource.DebianPackageDirectory, CacheDirectory.Dataset), cancellationToken);
        console.MarkupLineInterpolated($"[grey]Sweep of {plan.Points.Count} points on {dataset.Source}, choosing on the last {plan.ValidationSize} training images.[/]");

        var runs = new List<PointRun>();
        (PointRun Run, TrainingResult Result)? leader = null;
        await console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progressContext =>
            {
                var rows = plan.Points.Select(p => progressContext.AddTask(Describe(p), autoStart: false, maxValue: 1.0)).ToList();
                foreach (var point in plan.Points)
                {
                    var row = rows[point.Index];
                    row.StartTask();
                    var progress = new SynchronousProgress<TrainingProgress>(p =>
                    {
                        row.Value = p.Fraction;
                        row.Description = $"{Describe(point)}  epoch {p.Epoch}/{p.Epochs}";
                    });
                    var pointClock = Stopwatch.StartNew();
                    var result = await Task.Run(() => Trainer.Train(dataset, plan.OptionsFor(point), progress, cancellationToken), cancellationToken);
                    var run = new PointRun(point, result.ValidationAccuracy, result.TestAccuracy, pointClock.Elapsed.TotalSeconds);
                    runs.Add(run);
                    if (leader is null || SweepSelection.BestFirst.Compare(Candidate(run), Candidate(leader.Value.Run)) < 0)
                    {
                        leader = (run, result);
                    }

                    row.Value = 1.0;
                    row.Description = $"{Describe(point)}  [green]val {run.ValidationAccuracy:F4}[/] test {run.TestAccuracy:F4}";
                    row.StopTask();
                }
            });

        var (winner, winnerResult) = leader!.Value;
        WriteRanking(console, runs, winner);

        var artifact = winnerResult.ToArtifact(dataset);
        string output = settings.Output ?? Path.Combine("models", artifact.ModelId);
        await artifact.SaveToDirectoryAsync(output, cancellationToken);
        string weightsPath = Path.GetFullPath(Path.Combine(output, ModelArtifact.WeightsFileName));
        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            modelId = artifact.ModelId,
            winner = Summary(winner),
            weightsPath,
            seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            points = runs.Select(Summary),
        }));
        return 0;
    }

    private static SweepRequest ToRequest(Settings settings)
    {
        bool axes = settings.LearningRate is not null || settings.BatchSize is not null || settings.Epochs is not null
            || settings.HiddenUnits is not null || settings.Seed is not null;
        if (settings.Request is { } path)
        {
            if (axes)
            {
                throw new ArgumentException("give either --request or grid axes (--learning-rate, --batch-size, --epochs, --hidden-units, --seed), not both.");
            }

            var fromFile = ReadRequest(path);
            return fromFile with
            {
                Budget = settings.Budget ?? fromFile.Budget,
                ValidationSize = settings.ValidationSize ?? fromFile.ValidationSize,
                TrainLimit = settings.TrainLimit ?? fromFile.TrainLimit,
            };
        }

        return new SweepRequest
        {
            Grid = new SweepGrid
            {
                LearningRate = List("--learning-rate", settings.LearningRate, s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)),
                BatchSize = List("--batch-size", settings.BatchSize, s => int.Parse(s, CultureInfo.InvariantCulture)),
                Epochs = List("--epochs", settings.Epochs, s => int.Parse(s, CultureInfo.InvariantCulture)),
                HiddenUnits = List("--hidden-units", settings.HiddenUnits, s => int.Parse(s, CultureInfo.InvariantCulture)),
                Seed = List("--seed", settings.Seed, s => long.Parse(s, CultureInfo.InvariantCulture)),
            },
            Budget = settings.Budget,
            ValidationSize = settings.ValidationSize,
            TrainLimit = settings.TrainLimit,
        };
    }

    private static readonly JsonSerializerOptions StrictJson = new(ModelJson.Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private static SweepRequest ReadRequest(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<SweepRequest>(File.ReadAllBytes(path), StrictJson)
                ?? throw new FormatException($"{path}: holds null, not a sweep request.");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not a sweep request at {e.Path}: {e.Message.Split(". Path:")[0]}.");
        }
    }

    private static T[]? List<T>(string option, string? text, Func<string, T> parse)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return [.. text.Split(',', StringSplitOptions.TrimEntries).Select(parse)];
        }
        catch (FormatException)
        {
            throw new FormatException($"{option}: '{text}' is not a comma-separated list of numbers.");
        }
        catch (OverflowException)
        {
            throw new FormatException($"{option}: '{text}' has a number out of range.");
        }
    }

    private static SweepCandidate Candidate(PointRun run) => new(run.Point.Index, run.Point.ParameterCount, run.ValidationAccuracy ?? double.NaN);

    private static string Describe(SweepPoint p) =>
        string.Create(CultureInfo.InvariantCulture, $"#{p.Index} lr {p.LearningRate:G4} batch {p.BatchSize} epochs {p.Epochs} width {p.HiddenUnits} seed {p.Seed}");

    private static void WriteRanking(IAnsiConsole console, List<PointRun> runs, PointRun winner)
    {
        var table = new Table().Border(TableBorder.Minimal).AddColumns("#", "lr", "batch", "epochs", "width", "seed", "val acc", "test acc", "params", "s", "");
        foreach (var run in runs.OrderBy(Candidate, SweepSelection.BestFirst))
        {
            var p = run.Point;
            table.AddRow(
                $"{p.Index}", p.LearningRate.ToString("G4", CultureInfo.InvariantCulture), $"{p.BatchSize}", $"{p.Epochs}", $"{p.HiddenUnits}", $"{p.Seed}",
                $"{run.ValidationAccuracy:F4}", $"{run.TestAccuracy:F4}", $"{p.ParameterCount:N0}", $"{run.Seconds:F1}", run == winner ? "[green]winner[/]" : "");
        }

        console.Write(table);
    }

    private static object Summary(PointRun run) => new
    {
        index = run.Point.Index,
        learningRate = run.Point.LearningRate,
        batchSize = run.Point.BatchSize,
        epochs = run.Point.Epochs,
        hiddenUnits = run.Point.HiddenUnits,
        seed = run.Point.Seed,
        validationAccuracy = run.ValidationAccuracy,
        testAccuracy = run.TestAccuracy,
        seconds = Math.Round(run.Seconds, 2),
    };
}

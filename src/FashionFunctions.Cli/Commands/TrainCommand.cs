using System.ComponentModel;
using System.Text.Json;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Native;
using FashionFunctions.Core.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FashionFunctions.Cli.Commands;

internal sealed class TrainCommand : AsyncCommand<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--data <DIR_OR_URL>")]
        [Description("Directory with the four IDX files (.gz or raw), or an http(s) mirror to download from (verified by SHA-256). Default: /usr/share/datasets/fashion-mnist")]
        public string? Data { get; init; }

        [CommandOption("--epochs <N>")]
        public int Epochs { get; init; } = 10;

        [CommandOption("--batch-size <N>")]
        public int BatchSize { get; init; } = 32;

        [CommandOption("--learning-rate <RATE>")]
        public double LearningRate { get; init; } = 0.001;

        [CommandOption("--seed <N>")]
        public long Seed { get; init; } = 42;

        [CommandOption("--train-limit <N>")]
        [Description("Train on the first N images only (quick runs).")]
        public int? TrainLimit { get; init; }

        [CommandOption("-o|--output <DIR>")]
        [Description("Where to write model.safetensors and manifest.json. Default: models/<model id>")]
        public string? Output { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchRuntime.EnsureAvailable();
        var options = new TrainingOptions
        {
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            Seed = settings.Seed,
            TrainLimit = settings.TrainLimit,
        };
        options.Validate();

        var console = ProgressConsole.Create();
        var dataset = await FashionMnistLoader.LoadAsync(DatasetSources.FromSetting(settings.Data ?? LocalDirectoryDatasetSource.DebianPackageDirectory, CacheDirectory.Dataset), cancellationToken);
        console.MarkupLineInterpolated($"[grey]Loaded {dataset.Train.Count} training and {dataset.Test.Count} test images from {dataset.Source}.[/]");

        TrainingResult result = null!;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .StartAsync(async progressContext =>
            {
                var task = progressContext.AddTask("Training", maxValue: 1.0);
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    task.Value = p.Fraction;
                    task.Description = $"epoch {p.Epoch}/{p.Epochs} loss {p.RunningLoss:F4}";
                    if (p.CompletedEpoch is { } m)
                    {
                        console.MarkupLineInterpolated(
                            $"epoch {m.Epoch,2}: loss {m.Loss:F4}  train acc {m.TrainAccuracy:F4}  test acc {m.TestAccuracy:F4}  ({m.DurationSeconds:F2} s)");
                    }
                });
                result = await Task.Run(() => Trainer.Train(dataset, options, progress, cancellationToken), cancellationToken);
            });

        var artifact = result.ToArtifact(dataset);
        string output = settings.Output ?? Path.Combine("models", artifact.ModelId);
        await artifact.SaveToDirectoryAsync(output, cancellationToken);
        string weightsPath = Path.GetFullPath(Path.Combine(output, Core.Modeling.ModelArtifact.WeightsFileName));
        Console.Out.WriteLine(JsonSerializer.Serialize(new { modelId = artifact.ModelId, testAccuracy = result.TestAccuracy, weightsPath }));
        return 0;
    }
}

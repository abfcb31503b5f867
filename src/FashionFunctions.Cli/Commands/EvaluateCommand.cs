using System.ComponentModel;
using System.Text.Json;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FashionFunctions.Cli.Commands;

internal sealed class EvaluateCommand : AsyncCommand<EvaluateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<MODEL_DIR>")]
        [Description("Directory holding model.safetensors and manifest.json.")]
        public string ModelDirectory { get; init; } = "";

        [CommandOption("--data <DIR_OR_URL>")]
        public string? Data { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var artifact = await ModelArtifact.LoadFromDirectoryAsync(settings.ModelDirectory, cancellationToken);
        var dataset = await FashionMnistLoader.LoadAsync(DatasetSources.FromSetting(settings.Data ?? LocalDirectoryDatasetSource.DebianPackageDirectory, CacheDirectory.Dataset), cancellationToken);
        var report = Evaluation.Evaluate(artifact.Weights, dataset.Test);

        var console = ProgressConsole.Create();
        var table = new Table().AddColumn("true \\ predicted");
        for (int c = 0; c < FashionMnistClasses.Count; c++)
        {
            table.AddColumn(new TableColumn(c.ToString()).RightAligned());
        }

        table.AddColumn(new TableColumn("accuracy").RightAligned());
        for (int t = 0; t < FashionMnistClasses.Count; t++)
        {
            var cells = new List<string> { $"{t} {FashionMnistClasses.NameOf(t)}" };
            cells.AddRange(Enumerable.Range(0, FashionMnistClasses.Count).Select(p => report.Confusion[t][p].ToString()));
            cells.Add(report.PerClassAccuracy[t].ToString("F3"));
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }

        console.Write(table);
        console.MarkupLineInterpolated($"Test accuracy of {artifact.ModelId}: [bold]{report.Accuracy:F4}[/] on {report.Count} images.");
        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            modelId = artifact.ModelId,
            testAccuracy = report.Accuracy,
            perClassAccuracy = report.PerClassAccuracy,
        }));
        return 0;
    }
}

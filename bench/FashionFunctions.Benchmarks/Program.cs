using System.Diagnostics;
using System.Text.Json;
using FashionFunctions.Benchmarks;
using FashionFunctions.Benchmarks.Sweeps;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Training;
using Spectre.Console;

// Usage: fashion-bench [--epochs N] [--out FILE] [--no-peers]  |  fashion-bench --simulate-sweeps [options]
if (args is ["--child", var childKind, var childPath, var childLabel])
{
    return RequestCostBenchmarks.RunChild(childKind, childPath, childLabel);
}

if (args is ["--step-budget", ..])
{
    var budgetData = await FashionMnistLoader.LoadAsync(new LocalDirectoryDatasetSource(LocalDirectoryDatasetSource.DebianPackageDirectory));
    var budget = StepBudget.Run(budgetData, new TrainingOptions());
    Console.WriteLine($"{budget.MicrosecondsPerStep:F1} µs/step timed, {budget.UntimedStepMicroseconds:F1} untimed");
    foreach (var phase in budget.Phases)
    {
        Console.WriteLine($"  {phase.Phase,-28} {phase.MicrosecondsPerStep,7:F1} µs  {phase.Share,6:P1}");
    }

    return 0;
}

if (args.Contains(SweepScaleReport.Flag))
{
    return SweepScaleReport.Run(args);
}

int epochs = 3;
string output = Path.Combine("bench", "results", "benchmark.json");
bool peers = true;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--epochs": epochs = int.Parse(args[++i]); break;
        case "--out": output = args[++i]; break;
        case "--no-peers": peers = false; break;
        default: Console.Error.WriteLine($"fashion-bench: unknown argument {args[i]}"); return 2;
    }
}

string data = LocalDirectoryDatasetSource.DebianPackageDirectory;
string peersDirectory = Path.Combine(AppContext.BaseDirectory, "peers");
var dataset = await FashionMnistLoader.LoadAsync(new LocalDirectoryDatasetSource(data));
var options = new TrainingOptions { Epochs = epochs };
var console = AnsiConsole.Console;
var machine = MachineInfo.Collect();
console.MarkupLine($"[bold]Fashion-MNIST benchmark[/]: {epochs} epochs per trainer, batch {options.BatchSize}, seed {options.Seed}");
console.MarkupLine($"Machine: {Markup.Escape(machine.Describe())}");

console.MarkupLine("(a) this project's trainer…");
var ours = Trainer.Train(dataset, options);
long peakWorkingSet = Process.GetCurrentProcess().PeakWorkingSet64;
var a = new TrainerRun(ours.Epochs.Select(e => e.DurationSeconds).ToList(), ours.TestAccuracy);

console.MarkupLine("(b) plain TorchSharp autograd loop…");
var b = AutogradLoop.Run(dataset, options);

TrainerRun? c = null, d = null;
string cNote = "skipped", dNote = "skipped";
if (peers)
{
    console.MarkupLine("(c) PyTorch (python3-torch)…");
    (c, cNote) = PythonPeer.Train("pytorch_mlp.py", data, epochs, options.Seed, peersDirectory);
    console.MarkupLine("(d) scikit-learn MLPClassifier (python3-sklearn)…");
    (d, dNote) = PythonPeer.Train("sklearn_mlp.py", data, epochs, options.Seed, peersDirectory);
}

console.MarkupLine("Inference…");
var artifact = ours.ToArtifact(dataset);
var inference = InferenceBenchmarks.Run(artifact, dataset.Test);
console.MarkupLine("Request cost at every input limit, and serving, each in a fresh process…");
var processCosts = RequestCostBenchmarks.Run(artifact, dataset.Test);

string Ratio(TrainerRun? other) => other is null ? "–" : $"{other.MedianEpochSeconds / a.MedianEpochSeconds:F1}×";
var training = new Table().AddColumns("trainer", "median s/epoch", "test accuracy", "vs (a)");
training.AddRow("(a) FashionFunctions (fused Adam)", $"{a.MedianEpochSeconds:F3}", $"{a.TestAccuracy:F4}", "1.0×");
training.AddRow("(b) TorchSharp autograd + optim.Adam", $"{b.MedianEpochSeconds:F3}", $"{b.TestAccuracy:F4}", Ratio(b));
training.AddRow($"(c) PyTorch {Markup.Escape(cNote)}", c is null ? "–" : $"{c.MedianEpochSeconds:F3}", c is null ? "–" : $"{c.TestAccuracy:F4}", Ratio(c));
training.AddRow($"(d) scikit-learn {Markup.Escape(dNote)}", d is null ? "–" : $"{d.MedianEpochSeconds:F3}", d is null ? "–" : $"{d.TestAccuracy:F4}", Ratio(d));
console.Write(training);

var serving = new Table().AddColumns("inference", "measured", "target");
serving.AddRow("single image from raw pixels, p50", $"{inference.SingleFromPixelsP50Microseconds:F1} µs", "≤ 50 µs");
serving.AddRow("single image from raw pixels, p99", $"{inference.SingleFromPixelsP99Microseconds:F1} µs", "");
serving.AddRow("single image from PNG, p50", $"{inference.SingleFromPngP50Microseconds:F0} µs", "≤ 100 µs");
serving.AddRow("single image from PNG, p99", $"{inference.SingleFromPngP99Microseconds:F0} µs", "");
serving.AddRow("batch from raw pixels", $"{inference.BatchFromPixelsImagesPerSecond:N0} images/s", "≥ 200,000");
serving.AddRow("batch from 28×28 PNG bytes", $"{inference.BatchFromPngImagesPerSecond:N0} images/s", "≥ 20,000");
serving.AddRow("weights file → first prediction", $"{inference.WeightsToFirstPredictionMilliseconds:F1} ms", "≤ 300 ms");
serving.AddRow("peak working set while training", $"{peakWorkingSet / 1048576.0:F0} MiB", "");
console.Write(serving);

var costs = new Table().AddColumns("in a fresh process", "CPU", "wall", "peak working set", "libtorch loaded", "outcome");
foreach (var cost in processCosts)
{
    costs.AddRow(Markup.Escape(cost.Case), $"{cost.CpuMilliseconds:F0} ms", $"{cost.WallMilliseconds:F0} ms", $"{cost.PeakWorkingSetMiB:F0} MiB", cost.LibtorchLoaded ? "yes" : "no", Markup.Escape(cost.Outcome));
}

console.Write(costs);
console.MarkupLine("Targets: a request at any limit ≤ 1 s CPU and ≤ 256 MiB; serving classify ≤ 150 MiB without libtorch.");

var results = new
{
    machine,
    epochs,
    batchSize = options.BatchSize,
    seed = options.Seed,
    training = new
    {
        ours = a,
        autogradLoop = b,
        pytorch = c,
        pytorchVersion = cNote,
        sklearn = d,
        sklearnVersion = dNote,
        ratios = new
        {
            autogradOverOurs = b.MedianEpochSeconds / a.MedianEpochSeconds,
            pytorchOverOurs = c is null ? (double?)null : c.MedianEpochSeconds / a.MedianEpochSeconds,
            sklearnOverOurs = d is null ? (double?)null : d.MedianEpochSeconds / a.MedianEpochSeconds,
        },
    },
    inference,
    processCosts,
    peakWorkingSetBytesWhileTraining = peakWorkingSet,
};
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
console.MarkupLine($"Results written to {Markup.Escape(Path.GetFullPath(output))}");
return 0;

using System.Diagnostics;
using System.Text.Json;
using FashionFunctions.Benchmarks;
using FashionFunctions.Benchmarks.Sweeps;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Training;
using Spectre.Console;

// Usage: fashion-bench [--epochs N] [--out FILE] [--no-peers] [--serving-only | --training-only | --registry-only]
//        fashion-bench --step-budget   |   fashion-bench --simulate-sweeps [options]
if (args is ["--serving-child", .. var childArgs])
{
    return await ServingBenchmarks.RunChildAsync(childArgs);
}

if (args.Contains(SweepScaleReport.Flag))
{
    return SweepScaleReport.Run(args);
}

int epochs = 3;
string output = Path.Combine("bench", "results", "benchmark.json");
bool peers = true, servingOnly = false, trainingOnly = false, budgetOnly = false, registryOnly = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--epochs": epochs = int.Parse(args[++i]); break;
        case "--out": output = args[++i]; break;
        case "--no-peers": peers = false; break;
        case "--serving-only": servingOnly = true; break;
        case "--training-only": trainingOnly = true; break;
        case "--step-budget": budgetOnly = true; break;
        case "--registry-only": registryOnly = true; break;
        default: Console.Error.WriteLine($"fashion-bench: unknown argument {args[i]}"); return 2;
    }
}

IReadOnlyList<RegistryRead>? registry = null;
Table RegistryTable(IReadOnlyList<RegistryRead> reads)
{
    var table = new Table().AddColumns("read (app functions, Azurite)", "history", "storage requests", "median ms (range)", "10,000 / 10");
    foreach (var group in reads.GroupBy(r => r.Read))
    {
        var first = group.First();
        var last = group.Last();
        foreach (var read in group)
        {
            string ratio = read == last ? $"{last.Milliseconds.Median / first.Milliseconds.Median:F2}× time, {(double)last.StorageRequests / first.StorageRequests:F2}× requests" : "";
            table.AddRow(Markup.Escape(read.Read), $"{read.History:N0}", read.StorageRequests.ToString(), read.Milliseconds.Milliseconds, ratio);
        }
    }

    return table;
}

if (registryOnly)
{
    AnsiConsole.MarkupLine($"Machine: {Markup.Escape(MachineInfo.Collect().Describe())}");
    registry = await RegistryScale.RunAsync(message => AnsiConsole.MarkupLine(Markup.Escape(message)));
    AnsiConsole.Write(RegistryTable(registry));
    AnsiConsole.MarkupLine("Target: each read within 2× from 10 to 10,000 of history; the first models page 1 storage request.");
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    File.WriteAllText(output, JsonSerializer.Serialize(new { machine = MachineInfo.Collect(), registry }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    return 0;
}

string data = LocalDirectoryDatasetSource.DebianPackageDirectory;
string peersDirectory = Path.Combine(AppContext.BaseDirectory, "peers");
var dataset = await FashionMnistLoader.LoadAsync(new LocalDirectoryDatasetSource(data));
var options = new TrainingOptions { Epochs = epochs };
var console = AnsiConsole.Console;
var machine = MachineInfo.Collect();
console.MarkupLine($"[bold]Fashion-MNIST benchmark[/]: {epochs} epochs per trainer, batch {options.BatchSize}, seed {options.Seed}");
console.MarkupLine($"Machine: {Markup.Escape(machine.Describe())}");

Table BudgetTable(StepBudgetResult budget)
{
    var table = new Table().AddColumns("phase of one step (batch 32)", "µs", "share");
    foreach (var phase in budget.Phases)
    {
        table.AddRow(phase.Phase, $"{phase.MicrosecondsPerStep:F1}", $"{phase.Share:P0}");
    }

    table.AddRow("[bold]whole step[/] (untimed epoch)", $"{budget.MicrosecondsPerStep:F1} ({budget.UntimedStepMicroseconds:F1})", "");
    return table;
}

if (budgetOnly)
{
    console.Write(BudgetTable(StepBudget.Run(dataset, options)));
    return 0;
}

TrainerRun? a = null, b = null;
PeerRun? c = null, d = null;
string cNote = "skipped", dNote = "skipped";
GemmRate? libtorchGemm = null;
BuildConfigurationResult? buildConfigurations = null;
string buildConfigurationsNote = "";
StepBudgetResult? stepBudget = null;
AccuracyOverSeeds? tenEpochs = null;
long peakWorkingSet = 0;
console.MarkupLine(servingOnly ? "A one-epoch model to serve…" : "(a) this project's trainer…");
var ours = Trainer.Train(dataset, options with { Epochs = servingOnly ? 1 : epochs });
if (!servingOnly)
{
    peakWorkingSet = Process.GetCurrentProcess().PeakWorkingSet64;
    a = new TrainerRun(ours.Epochs.Select(e => e.DurationSeconds).ToList(), ours.TestAccuracy);
    stepBudget = StepBudget.Run(dataset, options);

    console.MarkupLine("(b) plain TorchSharp autograd loop…");
    b = AutogradLoop.Run(dataset, options);
    if (peers)
    {
        console.MarkupLine("(c) PyTorch (python3-torch)…");
        (c, cNote) = PythonPeer.Train("pytorch_mlp.py", data, epochs, options.Seed, peersDirectory);
        console.MarkupLine("(d) scikit-learn MLPClassifier (python3-sklearn)…");
        (d, dNote) = PythonPeer.Train("sklearn_mlp.py", data, epochs, options.Seed, peersDirectory);
    }

    console.MarkupLine($"GEMM peak: libtorch sgemm {GemmPeak.Size}², {GemmPeak.Threads} threads…");
    libtorchGemm = GemmPeak.MeasureLibtorch();
    console.MarkupLine("(a) from the CLI built Debug (as func start builds the app) and built Release, and as a job through the app built Debug, in turn…");
    await using (var jobStorage = new FashionFunctions.Testing.AzuriteProcess())
    {
        await jobStorage.InitializeAsync();
        (buildConfigurations, buildConfigurationsNote) = BuildConfigurationEpochs.Run(data, epochs, jobStorage.ConnectionString);
    }

    if (!trainingOnly)
    {
        console.MarkupLine("(a) ten epochs, five seeds…");
        tenEpochs = AccuracyOverSeeds.Run(dataset, options with { Epochs = 10 }, seeds: [1, 2, 3, 4, 5]);
    }
}

InferenceResults? inference = null;
CheckpointCostResult? checkpointCost = null;
ServingResults? serving = null;
if (!trainingOnly)
{
    console.MarkupLine("Inference in this process…");
    var artifact = ours.ToArtifact(dataset);
    inference = InferenceBenchmarks.Run(artifact, dataset.Test);
    await using var azurite = new FashionFunctions.Testing.AzuriteProcess();
    await azurite.InitializeAsync();
    if (!servingOnly)
    {
        console.MarkupLine("(a) with a checkpoint written to Azurite after every epoch…");
        checkpointCost = CheckpointCost.Run(dataset, options, azurite.ConnectionString);
    }

    console.MarkupLine("Serving, each case in a fresh process against Azurite…");
    serving = await ServingBenchmarks.RunAsync(azurite.ConnectionString, artifact, ours.ToArtifact(dataset), dataset.Test);
    console.MarkupLine("Reads against a growing history…");
    registry = await RegistryScale.RunAsync(message => console.MarkupLine(Markup.Escape(message)));
}

double trainerFlops = GemmPeak.TrainerFlopsPerEpoch(dataset.Train.Count, options.HiddenUnits);
GemmRate? PeerGemm(string name, PeerRun? run) => run?.SgemmGflops is { } rate
    ? new GemmRate($"{name} {run.Version} ({run.Blas?.Provider ?? "BLAS not reported"})", GemmPeak.Size, Environment.ProcessorCount, rate)
    : null;
var gemmRates = new[] { libtorchGemm, PeerGemm("PyTorch", c), PeerGemm("numpy under scikit-learn", d) }.OfType<GemmRate>().ToList();
var gemmPeak = gemmRates.MaxBy(r => r.Gflops);
if (a is not null && b is not null && stepBudget is not null)
{
    double PeerRatio(PeerRun run) => run.Run.MedianEpochSeconds / a.MedianEpochSeconds;
    string Ratio(TrainerRun other) => $"{other.MedianEpochSeconds / a.MedianEpochSeconds:F1}×";
    string PeerCell(PeerRun? run) => run is null ? "–" : run.RatioRefusal(libtorchGemm) is { } refusal ? Markup.Escape(refusal) : $"{PeerRatio(run):F1}×";
    var training = new Table().AddColumns("trainer", "median s/epoch", "test accuracy", "vs (a)");
    training.AddRow("(a) FashionFunctions (fused Adam)", $"{a.MedianEpochSeconds:F3}", $"{a.TestAccuracy:F4}", "1.0×");
    training.AddRow("(b) TorchSharp autograd + optim.Adam", $"{b.MedianEpochSeconds:F3}", $"{b.TestAccuracy:F4}", Ratio(b));
    training.AddRow($"(c) PyTorch {Markup.Escape(cNote)}", c is null ? "–" : $"{c.Run.MedianEpochSeconds:F3}", c is null ? "–" : $"{c.Run.TestAccuracy:F4}", PeerCell(c));
    training.AddRow($"(d) scikit-learn {Markup.Escape(dNote)}", d is null ? "–" : $"{d.Run.MedianEpochSeconds:F3}", d is null ? "–" : $"{d.Run.TestAccuracy:F4}", PeerCell(d));
    console.Write(training);
    console.MarkupLine("Targets: (b) ≥ 3× and PyTorch ≥ 20× the time of (a); ≤ 0.45 s per epoch on Intel, ≤ 0.7 s on AMD. "
        + "A peer gets no ratio unless it multiplies with an optimised BLAS (scripts/bench.sh installs OpenBLAS).");
    foreach (var rate in gemmRates)
    {
        console.MarkupLine($"GEMM: {Markup.Escape(rate.Library)}: sgemm {rate.Size}×{rate.Size}, {rate.Threads} threads, {rate.Gflops:F1} GFLOP/s.");
    }

    if (gemmPeak is not null)
    {
        double trainerRate = trainerFlops / a.MedianEpochSeconds / 1e9;
        console.MarkupLine($"[bold]GEMM peak of this machine[/] (the best above): {gemmPeak.Gflops:F1} GFLOP/s. (a) does {trainerFlops / 1e9:F1} GFLOP of matrix products an epoch "
            + $"(first layer forward and weight gradient, output layer all three): {trainerRate:F1} GFLOP/s at its median epoch, [bold]{trainerRate / gemmPeak.Gflops:P0} of the peak[/].");
    }

    if (buildConfigurations is { } builds)
    {
        console.MarkupLine($"(a) through the CLI, {builds.RunsPerConfiguration} runs of {builds.EpochsPerRun} epochs per build, first epochs left out: "
            + $"Debug {builds.DebugMedianSeconds:F3} s/epoch, Release {builds.ReleaseMedianSeconds:F3} s/epoch, [bold]Debug/Release {builds.DebugOverRelease:F2}[/] "
            + $"(target ≤ {BuildConfigurationEpochs.Target:F1}: {(builds.DebugOverRelease <= BuildConfigurationEpochs.Target ? "met" : "NOT met")}).");
        console.MarkupLine(builds.AppJobOverRelease is { } appOverRelease
            ? $"(a) as a job through the app built Debug (HTTP submit, queue-triggered function, Azurite), {builds.RunsPerConfiguration} jobs: "
                + $"{builds.AppJobMedianSeconds:F3} s/epoch, [bold]app job/CLI Release {appOverRelease:F2}[/] "
                + $"(target ≤ {BuildConfigurationEpochs.Target:F1}: {(appOverRelease <= BuildConfigurationEpochs.Target ? "met" : "NOT met")})."
            : $"(a) as a job through the app: {Markup.Escape(buildConfigurationsNote)}");
    }
    else
    {
        console.MarkupLine($"(a) Debug build against Release: {Markup.Escape(buildConfigurationsNote)}");
    }

    console.Write(BudgetTable(stepBudget));
    if (checkpointCost is { } cost)
    {
        console.MarkupLine($"(a) checkpoint after each epoch ({cost.Bytes / 1e6:F2} MB): build {cost.BuildMilliseconds:F1} ms, serialise {cost.SerialiseMilliseconds:F1} ms, "
            + $"write to Azurite {cost.WriteMilliseconds:F1} ms: {cost.ShareOfEpoch:P1} of a {cost.EpochSeconds:F3} s epoch if every epoch wrote one; "
            + $"{cost.ShareAtInterval(new FashionFunctions.Core.Jobs.JobLifecycleOptions().CheckpointInterval):P1} at the default interval (budget 5%; the job record's per-epoch update not included).");
    }

    if (tenEpochs is not null)
    {
        console.MarkupLine($"(a) after 10 epochs, seeds {string.Join(", ", tenEpochs.Seeds)}: test accuracy {string.Join(", ", tenEpochs.Accuracies.Select(x => x.ToString("F4")))}; "
            + $"mean {tenEpochs.Mean:F4}, standard deviation {tenEpochs.StandardDeviation:F4} (target ≥ 0.875).");
    }
}

if (inference is null || serving is null)
{
    WriteResults();
    return 0;
}

var inferenceTable = new Table().AddColumns("inference in one process", "measured", "target");
inferenceTable.AddRow("single image from raw pixels, p50", $"{inference.SingleFromPixelsP50Microseconds:F1} µs", "≤ 50 µs");
inferenceTable.AddRow("single image from raw pixels, p99", $"{inference.SingleFromPixelsP99Microseconds:F1} µs", "");
inferenceTable.AddRow("single image from PNG, p50", $"{inference.SingleFromPngP50Microseconds:F0} µs", "≤ 100 µs");
inferenceTable.AddRow("single image from PNG, p99", $"{inference.SingleFromPngP99Microseconds:F0} µs", "");
inferenceTable.AddRow("batch from raw pixels", $"{inference.BatchFromPixelsImagesPerSecond:N0} images/s", "≥ 200,000");
inferenceTable.AddRow("batch from 28×28 PNG bytes", $"{inference.BatchFromPngImagesPerSecond:N0} images/s", "≥ 20,000");
inferenceTable.AddRow("weights file → first prediction", $"{inference.WeightsToFirstPredictionMilliseconds:F1} ms", "");
if (peakWorkingSet > 0)
{
    inferenceTable.AddRow("peak working set of this process while training", $"{peakWorkingSet / 1048576.0:F0} MiB", "");
}

console.Write(inferenceTable);

var cold = serving.ColdStart;
var coldTable = new Table().AddColumns(
    $"fresh worker-like process (app services, Azurite; {(serving.ReadyToRun ? "ReadyToRun, as deployed" : "not ReadyToRun: run scripts/bench.sh")}): "
    + $"median (range) over {cold.ProcessesPerKind} processes", "measured", "target");
coldTable.AddRow("process start → Main (runtime start-up)", cold.ProcessStartToMainMilliseconds.Milliseconds, "");
coldTable.AddRow("Main → ready (services built, listening)", cold.MainToReadyMilliseconds.Milliseconds, "");
coldTable.AddRow("process start → ready", cold.ProcessStartToReadyMilliseconds.Milliseconds, "≤ 700 ms");
coldTable.AddRow("first classification sent at ready, answered (model still downloading)", cold.FirstClassifyAtReadyMilliseconds.Milliseconds, "≤ 300 ms");
coldTable.AddRow("Main → that first answer", cold.MainToFirstAnswerMilliseconds.Milliseconds, "≤ 1 s");
coldTable.AddRow("ready → warm-up done (model downloaded, classify path run)", cold.ReadyToWarmedUpMilliseconds.Milliseconds, "");
coldTable.AddRow("first classification sent after the warm-up, answered", cold.FirstClassifyAfterWarmUpMilliseconds.Milliseconds, "≤ 300 ms");
coldTable.AddRow("then one classification over HTTP, p50", $"{cold.WarmClassifyP50Milliseconds:F2} ms", "");
coldTable.AddRow("a model not yet cached, loaded from blob and used", $"{cold.NewModelFromBlobMilliseconds:F0} ms", "");
coldTable.AddRow("working set after serving", $"{cold.WorkingSetAfterMiB:F0} MiB", "≤ 150 MiB");
coldTable.AddRow("libtorch loaded", cold.LibtorchLoaded ? "yes" : "no", "no");
console.Write(coldTable);
var firstCold = cold.FirstProcessAfterAzuriteStarted;
console.MarkupLine($"The first process after Azurite started, not counted above: ready {firstCold.StartToMain + firstCold.MainToReady:F0} ms after its start, "
    + $"first classification {firstCold.FirstClassify:F0} ms.");

var costs = new Table().AddColumns("one request at the limits (own process)", "status", "CPU", "wall", "peak working set", "libtorch");
foreach (var cost in serving.Requests)
{
    costs.AddRow(Markup.Escape(cost.Case), cost.Status.ToString(), $"{cost.CpuMilliseconds:F0} ms", $"{cost.WallMilliseconds:F0} ms", $"{cost.PeakWorkingSetMiB:F0} MiB", cost.LibtorchLoaded ? "yes" : "no");
}

console.Write(costs);
console.MarkupLine("Target: a request at any limit ≤ 1 s CPU and ≤ 256 MiB (peak of the whole process, runtime included).");
if (registry is not null)
{
    console.Write(RegistryTable(registry));
    console.MarkupLine("Target: each read within 2× from 10 to 10,000 of history; the first models page 1 storage request.");
}

WriteResults();
return 0;

void WriteResults()
{
    double? PeerRatio(PeerRun? run) => run is null || run.RatioRefusal(libtorchGemm) is not null ? null : run.Run.MedianEpochSeconds / a!.MedianEpochSeconds;
    var results = new
    {
        machine,
        epochs,
        batchSize = options.BatchSize,
        seed = options.Seed,
        training = a is null || b is null ? null : new
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
                pytorchOverOurs = PeerRatio(c),
                sklearnOverOurs = PeerRatio(d),
            },
            gemm = new
            {
                rates = gemmRates,
                peakGflops = gemmPeak?.Gflops,
                trainerGflopPerEpoch = trainerFlops / 1e9,
                trainerShareOfPeak = gemmPeak is null ? (double?)null : trainerFlops / a.MedianEpochSeconds / 1e9 / gemmPeak.Gflops,
            },
            debugBuildAgainstRelease = buildConfigurations is null ? null : new
            {
                buildConfigurations.EpochsPerRun,
                buildConfigurations.RunsPerConfiguration,
                buildConfigurations.DebugEpochSeconds,
                buildConfigurations.ReleaseEpochSeconds,
                buildConfigurations.DebugMedianSeconds,
                buildConfigurations.ReleaseMedianSeconds,
                buildConfigurations.DebugOverRelease,
                buildConfigurations.AppJobEpochSeconds,
                buildConfigurations.AppJobMedianSeconds,
                buildConfigurations.AppJobOverRelease,
            },
            stepBudget,
            tenEpochs,
            checkpointCost,
        },
        inference,
        serving,
        registry,
        peakWorkingSetBytesWhileTraining = peakWorkingSet,
    };
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    File.WriteAllText(output, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    console.MarkupLine($"Results written to {Markup.Escape(Path.GetFullPath(output))}");
}

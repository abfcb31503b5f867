using FashionFunctions.Benchmarks;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Training;

if (Environment.GetEnvironmentVariable("T") is { } t) TorchSharp.torch.set_num_threads(int.Parse(t));
var dataset = await FashionMnistLoader.LoadAsync(new LocalDirectoryDatasetSource(LocalDirectoryDatasetSource.DebianPackageDirectory));
int epochs = args.Length > 0 ? int.Parse(args[0]) : 3;
var options = new TrainingOptions { Epochs = epochs };
var fast = Trainer.Train(dataset, options);
Console.WriteLine($"fused: {string.Join(" ", fast.Epochs.Select(e => e.DurationSeconds.ToString("F3")))} acc {fast.TestAccuracy}");
Console.WriteLine(string.Join(" ", FashionFunctions.Core.Training.FusedAdamTrainer.T.Select(x => (x * 1e6 / System.Diagnostics.Stopwatch.Frequency / (1875.0 * epochs)).ToString("F1"))));
if (args.Length > 0) return;
var plain = AutogradLoop.Run(dataset, options);
Console.WriteLine($"plain: {string.Join(" ", plain.EpochSeconds.Select(e => e.ToString("F3")))} acc {plain.TestAccuracy}");

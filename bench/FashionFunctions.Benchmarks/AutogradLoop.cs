using System.Diagnostics;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionFunctions.Benchmarks;

/// <summary>
/// The plain TorchSharp loop a .NET developer would write first: the model module, autograd,
/// torch.optim.Adam, and an index_select per step to gather the shuffled batch. The baseline (b).
/// </summary>
internal static class AutogradLoop
{
    public static TrainerRun Run(FashionMnistDataset dataset, TrainingOptions options)
    {
        using var initialisation = new Generator((ulong)options.Seed);
        using var model = new FashionMlp(options.HiddenUnits, initialisation);
        using var x = PixelTensors.FromBytes(dataset.Train.Pixels, dataset.Train.Count);
        using var y = PixelTensors.Labels(dataset.Train.Labels);
        using var optimizer = optim.Adam(model.parameters(), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon);
        using var generator = new Generator((ulong)options.Seed);
        var epochSeconds = new List<double>();
        int n = dataset.Train.Count;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            using (var epochScope = NewDisposeScope())
            {
                var order = randperm(n, generator: generator);
                for (int start = 0; start < n; start += options.BatchSize)
                {
                    using var stepScope = NewDisposeScope();
                    var index = order.narrow(0, start, Math.Min(options.BatchSize, n - start));
                    var loss = nn.functional.cross_entropy(model.forward(x.index_select(0, index)), y.index_select(0, index));
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                }
            }

            epochSeconds.Add(clock.Elapsed.TotalSeconds);
        }

        return new TrainerRun(epochSeconds, Accuracy(model, dataset.Test));
    }

    private static double Accuracy(FashionMlp model, FashionMnistSplit test)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var predicted = model.forward(PixelTensors.FromBytes(test.Pixels, test.Count)).argmax(1);
        return predicted.eq(PixelTensors.Labels(test.Labels)).sum().item<long>() / (double)test.Count;
    }
}

internal sealed record TrainerRun(IReadOnlyList<double> EpochSeconds, double TestAccuracy)
{
    public double MedianEpochSeconds => Statistics.Median(EpochSeconds);
}

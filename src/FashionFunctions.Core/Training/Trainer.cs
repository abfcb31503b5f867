using System.Diagnostics;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Training;

/// <summary>
/// Trains <see cref="FashionMlp"/> with Adam and sparse categorical cross-entropy from logits, as the Keras
/// tutorial does. Each epoch's shuffled data is gathered once into contiguous tensors and sliced per step; every
/// step's temporaries live in their own dispose scope.
/// </summary>
public static class Trainer
{
    public static TrainingResult Train(
        FashionMnistDataset dataset,
        TrainingOptions options,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options.Validate();
        TorchRuntime.EnsureAvailable();
        var train = options.TrainLimit is int t ? dataset.Train.Take(t) : dataset.Train;
        var test = options.TestLimit is int e ? dataset.Test.Take(e) : dataset.Test;

        torch.manual_seed(options.Seed);
        using var model = new FashionMlp();
        using var trainPixels = PixelTensors.FromBytes(train.Pixels, train.Count);
        using var trainLabels = PixelTensors.Labels(train.Labels);
        using var optimizer = optim.Adam(model.parameters(), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon);
        using var shuffling = new Generator((ulong)options.Seed);

        int steps = (train.Count + options.BatchSize - 1) / options.BatchSize;
        int reportEvery = Math.Max(1, steps / 100);
        var epochs = new List<EpochMetrics>();

        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            long correct = 0;
            model.train();
            using (var epochScope = NewDisposeScope())
            {
                var order = randperm(train.Count, generator: shuffling);
                var pixels = trainPixels.index_select(0, order);
                var labels = trainLabels.index_select(0, order);
                for (int step = 0; step < steps; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var stepScope = NewDisposeScope();
                    int start = step * options.BatchSize;
                    int length = Math.Min(options.BatchSize, train.Count - start);
                    var x = pixels.narrow(0, start, length);
                    var y = labels.narrow(0, start, length);

                    var logits = model.forward(x);
                    var loss = nn.functional.cross_entropy(logits, y);
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();

                    lossSum += loss.item<float>() * length;
                    correct += logits.argmax(1).eq(y).sum().item<long>();
                    if ((step + 1) % reportEvery == 0 && step + 1 < steps)
                    {
                        progress?.Report(new TrainingProgress(epoch, options.Epochs, step + 1, steps, lossSum / (start + length), null));
                    }
                }
            }

            double testAccuracy = Evaluation.Accuracy(model, test);
            var metrics = new EpochMetrics(epoch, lossSum / train.Count, (double)correct / train.Count, testAccuracy, clock.Elapsed.TotalSeconds);
            epochs.Add(metrics);
            progress?.Report(new TrainingProgress(epoch, options.Epochs, steps, steps, metrics.Loss, metrics));
        }

        return new TrainingResult(ModelWeights.FromModule(model), options, epochs);
    }
}

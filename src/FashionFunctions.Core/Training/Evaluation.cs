using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Training;

/// <summary>Runs a model over a split: predicted labels, accuracy, per-class accuracy, confusion matrix.</summary>
public static class Evaluation
{
    private const int Chunk = 2000;

    public static int[] PredictLabels(FashionMlp model, FashionMnistSplit split) =>
        PredictLabels(model.Hidden.weight!, model.Hidden.bias!, model.Output.weight!, model.Output.bias!, split);

    /// <summary>The most likely label of every image, from the four parameter tensors.</summary>
    public static int[] PredictLabels(Tensor hiddenWeight, Tensor hiddenBias, Tensor outputWeight, Tensor outputBias, FashionMnistSplit split)
    {
        var predicted = new int[split.Count];
        using var _ = no_grad();
        for (int start = 0; start < split.Count; start += Chunk)
        {
            using var scope = NewDisposeScope();
            int length = Math.Min(Chunk, split.Count - start);
            var pixels = PixelTensors.FromBytes(split.Pixels.AsSpan(start * FashionMnistFile.PixelsPerImage, length * FashionMnistFile.PixelsPerImage).ToArray(), length);
            var hidden = nn.functional.relu(nn.functional.linear(pixels, hiddenWeight, hiddenBias));
            long[] labels = nn.functional.linear(hidden, outputWeight, outputBias).argmax(1).data<long>().ToArray();
            for (int i = 0; i < length; i++)
            {
                predicted[start + i] = (int)labels[i];
            }
        }

        return predicted;
    }

    public static double Accuracy(FashionMlp model, FashionMnistSplit split) =>
        EvaluationReport.From(PredictLabels(model, split), split.Labels).Accuracy;
}

/// <summary>Accuracy overall and per class, and the confusion matrix [true label, predicted label].</summary>
public sealed record EvaluationReport(double Accuracy, IReadOnlyList<double> PerClassAccuracy, int[,] Confusion, int Count)
{
    public static EvaluationReport From(IReadOnlyList<int> predicted, IReadOnlyList<byte> labels)
    {
        var confusion = new int[FashionMnistClasses.Count, FashionMnistClasses.Count];
        int correct = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            confusion[labels[i], predicted[i]]++;
            correct += labels[i] == predicted[i] ? 1 : 0;
        }

        var perClass = Enumerable.Range(0, FashionMnistClasses.Count).Select(c =>
        {
            int total = Enumerable.Range(0, FashionMnistClasses.Count).Sum(p => confusion[c, p]);
            return total == 0 ? 0.0 : (double)confusion[c, c] / total;
        }).ToList();
        return new EvaluationReport(labels.Count == 0 ? 0 : (double)correct / labels.Count, perClass, confusion, labels.Count);
    }
}

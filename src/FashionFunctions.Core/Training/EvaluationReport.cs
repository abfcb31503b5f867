using FashionFunctions.Core.Data;

namespace FashionFunctions.Core.Training;

/// <summary>
/// How a model does on a labelled split: accuracy overall and per class, and the 10×10 confusion matrix
/// <c>Confusion[true label][predicted label]</c> (jagged, so it reads naturally as JSON).
/// </summary>
public sealed record EvaluationReport(double Accuracy, IReadOnlyList<double> PerClassAccuracy, int[][] Confusion, int Count)
{
    public static EvaluationReport From(IReadOnlyList<int> predicted, IReadOnlyList<byte> labels)
    {
        if (predicted.Count != labels.Count)
        {
            throw new ArgumentException($"{predicted.Count} predictions for {labels.Count} labels.", nameof(predicted));
        }

        var confusion = Enumerable.Range(0, FashionMnistClasses.Count).Select(_ => new int[FashionMnistClasses.Count]).ToArray();
        int correct = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            confusion[labels[i]][predicted[i]]++;
            correct += labels[i] == predicted[i] ? 1 : 0;
        }

        var perClass = confusion.Select((row, c) => row.Sum() == 0 ? 0.0 : (double)row[c] / row.Sum()).ToList();
        return new EvaluationReport(labels.Count == 0 ? 0 : (double)correct / labels.Count, perClass, confusion, labels.Count);
    }
}

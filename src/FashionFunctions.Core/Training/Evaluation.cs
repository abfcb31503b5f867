using FashionFunctions.Core.Data;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Training;

/// <summary>Runs a model over a labelled split with the serving forward pass (<see cref="MlpForwardPass"/>).</summary>
public static class Evaluation
{
    public static EvaluationReport Evaluate(ModelWeights weights, FashionMnistSplit split) =>
        EvaluationReport.From(new MlpForwardPass(weights).PredictLabels(split.Pixels), split.Labels);

    /// <summary>The test accuracy of a libtorch module, for trainers that keep their weights in one.</summary>
    public static double Accuracy(FashionMlp model, FashionMnistSplit split) =>
        Evaluate(ModelWeights.FromModule(model), split).Accuracy;

    /// <summary>The most likely label of every image, from the four parameter tensors.</summary>
    public static int[] PredictLabels(Tensor hiddenWeight, Tensor hiddenBias, Tensor outputWeight, Tensor outputBias, FashionMnistSplit split)
    {
        using var scope = NewDisposeScope();
        NamedTensor Copy(string name, Tensor t) =>
            new(name, t.shape.Select(d => (int)d).ToArray(), t.detach().cpu().contiguous().data<float>().ToArray());
        var weights = ModelWeights.FromTensors(
        [
            Copy("hidden.weight", hiddenWeight), Copy("hidden.bias", hiddenBias),
            Copy("output.weight", outputWeight), Copy("output.bias", outputBias),
        ]);
        return new MlpForwardPass(weights).PredictLabels(split.Pixels);
    }
}

using FashionFunctions.Core.Data;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Training;

/// <summary>Runs a model over a labelled split with the serving forward pass (<see cref="MlpForwardPass"/>): the
/// manifest's test evaluation and the CLI's <c>evaluate</c> both come from here.</summary>
public static class Evaluation
{
    public static EvaluationReport Evaluate(ModelWeights weights, FashionMnistSplit split) =>
        EvaluationReport.From(new MlpForwardPass(weights).PredictLabels(split.Pixels), split.Labels);
}

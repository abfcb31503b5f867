using FashionFunctions.Core.Data;

namespace FashionFunctions.Core.Inference;

/// <summary>The most likely class and the softmax probability of every class.</summary>
public sealed record Prediction(int Label, float Confidence, IReadOnlyList<float> Probabilities, string ModelId)
{
    public string ClassName => FashionMnistClasses.NameOf(Label);

    /// <summary>The k most likely classes, most likely first.</summary>
    public IReadOnlyList<(int Label, string ClassName, float Probability)> Top(int k) =>
        Probabilities.Select((p, label) => (label, FashionMnistClasses.NameOf(label), p))
            .OrderByDescending(x => x.p)
            .Take(k)
            .ToList();
}

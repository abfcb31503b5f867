using static TorchSharp.torch;

namespace FashionFunctions.Core.Modeling;

/// <summary>
/// The four parameter tensors of <see cref="FashionMlp"/> as plain arrays, validated by name and shape. The hidden
/// width is whatever <c>hidden.weight</c>'s first dimension says; the other three tensors must agree with it.
/// </summary>
public sealed class ModelWeights
{
    private static readonly string[] Names = ["hidden.weight", "hidden.bias", "output.weight", "output.bias"];

    private ModelWeights(IReadOnlyList<NamedTensor> tensors, int hiddenUnits)
    {
        Tensors = tensors;
        HiddenUnits = hiddenUnits;
    }

    /// <summary>The tensors' names and shapes for a model <paramref name="hiddenUnits"/> wide, in storage order.</summary>
    public static IReadOnlyList<(string Name, int[] Shape)> LayoutFor(int hiddenUnits) =>
    [
        ("hidden.weight", [hiddenUnits, FashionMlp.Inputs]),
        ("hidden.bias", [hiddenUnits]),
        ("output.weight", [FashionMlp.Outputs, hiddenUnits]),
        ("output.bias", [FashionMlp.Outputs]),
    ];

    /// <summary>In <see cref="LayoutFor"/> order.</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; }

    /// <summary>The hidden layer's width.</summary>
    public int HiddenUnits { get; }

    public static ModelWeights FromTensors(IEnumerable<NamedTensor> tensors)
    {
        var byName = new Dictionary<string, NamedTensor>();
        foreach (var tensor in tensors)
        {
            if (!Names.Contains(tensor.Name))
            {
                throw new InvalidModelException($"Unexpected tensor {tensor.Name}; expected {string.Join(", ", Names)}.");
            }

            byName[tensor.Name] = tensor;
        }

        if (!byName.TryGetValue("hidden.weight", out var hiddenWeight))
        {
            throw new InvalidModelException("Tensor hidden.weight is missing.");
        }

        int hiddenUnits = hiddenWeight.Shape is [var width, FashionMlp.Inputs] && width is >= 1 and <= FashionMlp.MaxHiddenUnits
            ? width
            : throw new InvalidModelException(
                $"Tensor hidden.weight has shape [{string.Join(", ", hiddenWeight.Shape)}]; expected [width, {FashionMlp.Inputs}] with a width of 1 to {FashionMlp.MaxHiddenUnits}.");

        var ordered = new List<NamedTensor>();
        foreach (var (name, shape) in LayoutFor(hiddenUnits))
        {
            if (!byName.TryGetValue(name, out var tensor))
            {
                throw new InvalidModelException($"Tensor {name} is missing.");
            }

            if (!tensor.Shape.SequenceEqual(shape))
            {
                throw new InvalidModelException($"Tensor {name} has shape [{string.Join(", ", tensor.Shape)}]; expected [{string.Join(", ", shape)}].");
            }

            if (tensor.Values.Length != shape.Aggregate(1, (a, d) => a * d))
            {
                throw new InvalidModelException($"Tensor {name} holds {tensor.Values.Length} values; its shape needs {shape.Aggregate(1, (a, d) => a * d)}.");
            }

            if (tensor.Values.Any(v => !float.IsFinite(v)))
            {
                throw new InvalidModelException($"Tensor {name} holds NaN or infinite values.");
            }

            ordered.Add(tensor);
        }

        return new ModelWeights(ordered, hiddenUnits);
    }

    public static ModelWeights FromModule(FashionMlp model)
    {
        using var scope = NewDisposeScope();
        var parameters = model.state_dict();
        return FromTensors(LayoutFor(model.Width).Select(l => new NamedTensor(l.Name, l.Shape, parameters[l.Name].detach().cpu().data<float>().ToArray())).ToList());
    }

    public void CopyInto(FashionMlp model)
    {
        if (model.Width != HiddenUnits)
        {
            throw new ArgumentException($"The model is {model.Width} units wide; these weights are {HiddenUnits}.", nameof(model));
        }

        var parameters = model.state_dict();
        using var _ = no_grad();
        foreach (var named in Tensors)
        {
            using var source = tensor(named.Values, named.Shape.Select(d => (long)d).ToArray());
            parameters[named.Name].copy_(source);
        }
    }

    public FashionMlp ToModule()
    {
        var model = new FashionMlp(HiddenUnits);
        CopyInto(model);
        model.eval();
        return model;
    }

    public NamedTensor this[string name] => Tensors.First(t => t.Name == name);
}

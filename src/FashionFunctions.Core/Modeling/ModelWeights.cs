using static TorchSharp.torch;

namespace FashionFunctions.Core.Modeling;

/// <summary>The four parameter tensors of <see cref="FashionMlp"/> as plain arrays, validated by name and shape.</summary>
public sealed class ModelWeights
{
    public static IReadOnlyList<(string Name, int[] Shape)> Layout { get; } =
    [
        ("hidden.weight", [FashionMlp.HiddenUnits, FashionMlp.Inputs]),
        ("hidden.bias", [FashionMlp.HiddenUnits]),
        ("output.weight", [FashionMlp.Outputs, FashionMlp.HiddenUnits]),
        ("output.bias", [FashionMlp.Outputs]),
    ];

    private ModelWeights(IReadOnlyList<NamedTensor> tensors) => Tensors = tensors;

    /// <summary>In <see cref="Layout"/> order.</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; }

    public static ModelWeights FromTensors(IEnumerable<NamedTensor> tensors)
    {
        var byName = new Dictionary<string, NamedTensor>();
        foreach (var tensor in tensors)
        {
            if (!Layout.Any(l => l.Name == tensor.Name))
            {
                throw new InvalidModelException($"Unexpected tensor {tensor.Name}; expected {string.Join(", ", Layout.Select(l => l.Name))}.");
            }

            byName[tensor.Name] = tensor;
        }

        var ordered = new List<NamedTensor>();
        foreach (var (name, shape) in Layout)
        {
            if (!byName.TryGetValue(name, out var tensor))
            {
                throw new InvalidModelException($"Tensor {name} is missing.");
            }

            if (!tensor.Shape.SequenceEqual(shape))
            {
                throw new InvalidModelException($"Tensor {name} has shape [{string.Join(", ", tensor.Shape)}]; expected [{string.Join(", ", shape)}].");
            }

            if (tensor.Values.Any(v => !float.IsFinite(v)))
            {
                throw new InvalidModelException($"Tensor {name} holds NaN or infinite values.");
            }

            ordered.Add(tensor);
        }

        return new ModelWeights(ordered);
    }

    public static ModelWeights FromModule(FashionMlp model)
    {
        using var scope = NewDisposeScope();
        var parameters = model.state_dict();
        return FromTensors(Layout.Select(l => new NamedTensor(l.Name, l.Shape, parameters[l.Name].detach().cpu().data<float>().ToArray())).ToList());
    }

    public void CopyInto(FashionMlp model)
    {
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
        var model = new FashionMlp();
        CopyInto(model);
        model.eval();
        return model;
    }

    public NamedTensor this[string name] => Tensors.First(t => t.Name == name);
}

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Modeling;

/// <summary>
/// The Keras tutorial's model: Flatten(28×28) → Dense(width, ReLU) → Dense(10) logits, 128 units wide by default.
/// Weights are initialised as Keras does (Glorot-uniform kernels, zero biases). Parameter names and layouts are
/// PyTorch's (<c>hidden.weight</c> is [width, 784]); a Keras kernel is the transpose.
/// </summary>
public sealed class FashionMlp : nn.Module<Tensor, Tensor>
{
    public const int Inputs = 784;

    /// <summary>The default hidden width, the tutorial's.</summary>
    public const int HiddenUnits = 128;

    public const int MaxHiddenUnits = 4096;
    public const int Outputs = 10;

    private readonly Linear hidden;
    private readonly Linear output;

    /// <param name="hiddenUnits">The hidden layer's width, 1 to <see cref="MaxHiddenUnits"/>.</param>
    /// <param name="generator">Where the initial weights are drawn from; pass a seeded one for reproducible
    /// weights (the process-wide generator is shared with every other thread).</param>
    public FashionMlp(int hiddenUnits = HiddenUnits, Generator? generator = null) : base(nameof(FashionMlp))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenUnits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hiddenUnits, MaxHiddenUnits);
        Width = hiddenUnits;
        hidden = nn.Linear(Inputs, hiddenUnits);
        output = nn.Linear(hiddenUnits, Outputs);
        RegisterComponents();
        using (no_grad())
        {
            foreach (var layer in new[] { hidden, output })
            {
                var weight = layer.weight!;
                double limit = Math.Sqrt(6.0 / (weight.shape[0] + weight.shape[1])); // Glorot uniform
                weight.uniform_(-limit, limit, generator);
                nn.init.zeros_(layer.bias!);
            }
        }
    }

    /// <summary>The hidden layer's width.</summary>
    public int Width { get; }

    public Linear Hidden => hidden;
    public Linear Output => output;

    /// <summary>The number of parameters of a model <paramref name="hiddenUnits"/> wide.</summary>
    public static int ParameterCountFor(int hiddenUnits) => Inputs * hiddenUnits + hiddenUnits + hiddenUnits * Outputs + Outputs;

    /// <summary>Takes [batch, 784] or [batch, 28, 28] pixels scaled to [0, 1]; returns [batch, 10] logits.</summary>
    public override Tensor forward(Tensor pixels)
    {
        using var flat = pixels.dim() == 2 ? pixels.alias() : pixels.flatten(1);
        using var preActivation = hidden.forward(flat);
        using var activations = nn.functional.relu(preActivation);
        return output.forward(activations);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            hidden.Dispose();
            output.Dispose();
        }

        base.Dispose(disposing);
    }
}

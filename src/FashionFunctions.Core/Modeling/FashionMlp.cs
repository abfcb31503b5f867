using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Modeling;

/// <summary>
/// The Keras tutorial's model: Flatten(28×28) → Dense(128, ReLU) → Dense(10) logits. Weights are initialised as
/// Keras does (Glorot-uniform kernels, zero biases). Parameter names and layouts are PyTorch's
/// (<c>hidden.weight</c> is [128, 784]); a Keras kernel is the transpose.
/// </summary>
public sealed class FashionMlp : nn.Module<Tensor, Tensor>
{
    public const int Inputs = 784;
    public const int HiddenUnits = 128;
    public const int Outputs = 10;
    public const int ParameterCount = Inputs * HiddenUnits + HiddenUnits + HiddenUnits * Outputs + Outputs;

    private readonly Linear hidden;
    private readonly Linear output;

    public FashionMlp() : base(nameof(FashionMlp))
    {
        hidden = nn.Linear(Inputs, HiddenUnits);
        output = nn.Linear(HiddenUnits, Outputs);
        RegisterComponents();
        using (no_grad())
        {
            foreach (var layer in new[] { hidden, output })
            {
                nn.init.xavier_uniform_(layer.weight!);
                nn.init.zeros_(layer.bias!);
            }
        }
    }

    public Linear Hidden => hidden;
    public Linear Output => output;

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

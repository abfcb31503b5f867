using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Tests.Support;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Tests.Inference;

[Collection(TrainedModelCollection.Name)]
public class MlpForwardPassTests(TrainedModelFixture model, FashionMnistFixture data)
{
    /// <summary>Unit roundoff of float32.</summary>
    private const double U = 1.0 / (1 << 24);

    [Fact]
    public void The_trained_model_gives_libtorchs_logits_within_float32_rounding()
    {
        AssertAgreesWithLibtorch(model.Artifact.Weights, data.Dataset.Test.Pixels.AsSpan(0, 61 * 784).ToArray());
    }

    [Theory]
    [InlineData(128, 5)]
    [InlineData(37, 6)] // not a whole number of SIMD panels
    [InlineData(1, 7)]
    public void Random_weights_give_libtorchs_logits_within_float32_rounding(int width, int seed)
    {
        var random = new Random(seed);
        var weights = RandomWeights(width, random);
        var pixels = new byte[13 * 784];
        random.NextBytes(pixels);
        AssertAgreesWithLibtorch(weights, pixels);
    }

    [Fact]
    public void Labels_are_the_largest_logits()
    {
        var pass = new MlpForwardPass(model.Artifact.Weights);
        byte[] pixels = data.Dataset.Test.Pixels.AsSpan(0, 40 * 784).ToArray();
        float[] logits = pass.Logits(pixels);
        int[] labels = pass.PredictLabels(pixels);
        for (int i = 0; i < labels.Length; i++)
        {
            var row = logits.AsSpan(i * 10, 10).ToArray();
            Assert.Equal(Array.IndexOf(row, row.Max()), labels[i]);
        }
    }

    [Fact]
    public void Pixels_that_are_not_whole_images_are_refused()
    {
        var pass = new MlpForwardPass(model.Artifact.Weights);
        Assert.Throws<ArgumentException>(() => pass.Logits(new byte[785]));
    }

    internal static ModelWeights RandomWeights(int width, Random random)
    {
        float[] Uniform(int count, double limit) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * limit)).ToArray();
        return ModelWeights.FromTensors(
        [
            new NamedTensor("hidden.weight", [width, 784], Uniform(width * 784, Math.Sqrt(6.0 / (784 + width)))),
            new NamedTensor("hidden.bias", [width], Uniform(width, 0.1)),
            new NamedTensor("output.weight", [10, width], Uniform(10 * width, Math.Sqrt(6.0 / (width + 10)))),
            new NamedTensor("output.bias", [10], Uniform(10, 0.1)),
        ]);
    }

    /// <summary>
    /// Compares the managed logits with <see cref="FashionMlp.forward"/>'s. Both sum in float32 in orders of their
    /// own, so each is within the classic bound of a dot product of n terms from the exact value:
    /// |fl(Σ aᵢbᵢ) − Σ aᵢbᵢ| ≤ γₙ Σ|aᵢbᵢ|, γₙ = nu/(1 − nu). A hidden unit sums 784 products and its bias, each
    /// product carrying one more rounding from the 1/255 scaling (of the pixel in libtorch, of the weight here):
    /// γ₇₈₇ Σ|terms|. ReLU does not enlarge an error; a logit sums width products and its bias (γ₍width+1₎) and
    /// inherits each hidden error times |its weight|. The two passes may err in opposite directions: twice that.
    /// </summary>
    private static void AssertAgreesWithLibtorch(ModelWeights weights, byte[] pixels)
    {
        int count = pixels.Length / 784;
        float[] managed = new MlpForwardPass(weights).Logits(pixels);

        using var module = weights.ToModule();
        using var raw = tensor(pixels, [count, 784]);
        using var scaled = raw.to_type(ScalarType.Float32).div_(255f);
        using var _ = no_grad();
        using var logits = module.forward(scaled);
        float[] reference = logits.data<float>().ToArray();

        float[] w1 = weights["hidden.weight"].Values, b1 = weights["hidden.bias"].Values;
        float[] w2 = weights["output.weight"].Values, b2 = weights["output.bias"].Values;
        int width = weights["hidden.weight"].Shape[0];
        double gammaHidden = Gamma(784 + 3), gammaOutput = Gamma(width + 1);
        var hidden = new double[width];
        var hiddenError = new double[width];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < width; j++)
            {
                double sum = b1[j], magnitude = Math.Abs(b1[j]);
                for (int k = 0; k < 784; k++)
                {
                    double term = pixels[i * 784 + k] / 255.0 * w1[j * 784 + k];
                    sum += term;
                    magnitude += Math.Abs(term);
                }

                hidden[j] = Math.Max(0, sum);
                hiddenError[j] = gammaHidden * magnitude;
            }

            for (int c = 0; c < 10; c++)
            {
                double magnitude = Math.Abs(b2[c]), inherited = 0;
                for (int j = 0; j < width; j++)
                {
                    magnitude += Math.Abs(w2[c * width + j]) * (hidden[j] + hiddenError[j]);
                    inherited += Math.Abs(w2[c * width + j]) * hiddenError[j];
                }

                double bound = 2 * (gammaOutput * magnitude + inherited);
                double difference = Math.Abs(managed[i * 10 + c] - reference[i * 10 + c]);
                Assert.True(difference <= bound, $"image {i}, logit {c}: managed {managed[i * 10 + c]}, libtorch {reference[i * 10 + c]}, bound {bound}");
            }
        }
    }

    private static double Gamma(int n) => n * U / (1 - n * U);
}

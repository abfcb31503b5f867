using FashionFunctions.Core.Modeling;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Tests.Modeling;

public class FashionMlpTests
{
    [Fact]
    public void Has_the_tutorials_101770_parameters()
    {
        using var model = new FashionMlp();
        Assert.Equal(101_770, model.parameters().Sum(p => p.numel()));
        Assert.Equal(101_770, FashionMlp.ParameterCount);
    }

    [Fact]
    public void Initialises_like_keras_glorot_uniform_kernels_and_zero_biases()
    {
        manual_seed(1);
        using var model = new FashionMlp();
        double hiddenLimit = Math.Sqrt(6.0 / (784 + 128));
        float[] hidden = model.Hidden.weight!.data<float>().ToArray();
        Assert.All(hidden, w => Assert.InRange(w, -hiddenLimit, hiddenLimit));
        Assert.True(hidden.Max() > 0.9 * hiddenLimit); // spread over the whole range, not a narrower default init
        Assert.All(model.Hidden.bias!.data<float>().ToArray(), b => Assert.Equal(0f, b));
        Assert.All(model.Output.bias!.data<float>().ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void Maps_images_to_ten_logits()
    {
        using var model = new FashionMlp();
        using var images = rand(5, 28, 28);
        using var logits = model.forward(images);
        Assert.Equal([5L, 10L], logits.shape);
    }
}

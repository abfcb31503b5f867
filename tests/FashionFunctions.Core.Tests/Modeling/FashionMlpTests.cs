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
        Assert.Equal(101_770, FashionMlp.ParameterCountFor(FashionMlp.HiddenUnits));
    }

    [Fact]
    public void Its_width_is_a_choice_and_sets_every_shape()
    {
        using var model = new FashionMlp(hiddenUnits: 40);
        Assert.Equal(40, model.Width);
        Assert.Equal([40L, 784L], model.Hidden.weight!.shape);
        Assert.Equal([10L, 40L], model.Output.weight!.shape);
        Assert.Equal(FashionMlp.ParameterCountFor(40), model.parameters().Sum(p => p.numel()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FashionMlp(hiddenUnits: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FashionMlp(hiddenUnits: FashionMlp.MaxHiddenUnits + 1));
    }

    [Fact]
    public void A_seeded_generator_gives_the_same_weights_whatever_the_global_generator_does()
    {
        float[] Initialise(ulong seed)
        {
            manual_seed(Random.Shared.NextInt64());
            using var generator = new Generator(seed);
            using var model = new FashionMlp(generator: generator);
            return model.Hidden.weight!.data<float>().ToArray();
        }

        Assert.Equal(Initialise(5), Initialise(5));
        Assert.NotEqual(Initialise(5), Initialise(6));
    }

    [Fact]
    public void Initialises_like_keras_glorot_uniform_kernels_and_zero_biases()
    {
        using var generator = new Generator(1);
        using var model = new FashionMlp(generator: generator);
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

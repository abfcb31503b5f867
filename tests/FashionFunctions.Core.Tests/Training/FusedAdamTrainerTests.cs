using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Tests.Support;
using FashionFunctions.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Tests.Training;

[Collection(FashionMnistCollection.Name)]
public class FusedAdamTrainerTests(FashionMnistFixture fixture)
{
    [Theory]
    [InlineData(32, 42)]
    [InlineData(7, 5)]
    public void Each_step_updates_the_parameters_as_autograd_with_torch_optim_adam_does(int batch, long seed)
    {
        var options = new TrainingOptions { Seed = seed };
        torch.manual_seed(seed);
        using var reference = new FashionMlp();
        using var fused = new FusedAdamTrainer(reference, options, [batch]);
        using var adam = optim.Adam(reference.parameters(), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon);
        var train = fixture.Dataset.Train;

        for (int step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            byte[] pixels = train.Pixels.AsSpan(step * batch * 784, batch * 784).ToArray();
            byte[] labels = train.Labels.AsSpan(step * batch, batch).ToArray();
            var x = PixelTensors.FromBytes(pixels, batch);
            var y = PixelTensors.Labels(labels);

            var loss = nn.functional.cross_entropy(reference.forward(x), y);
            adam.zero_grad();
            loss.backward();
            adam.step();
            var (lossSum, _) = fused.Step(x, labels);

            Assert.True(Math.Abs(loss.item<float>() - lossSum / batch) < 1e-5, $"loss {loss.item<float>()} vs {lossSum / batch}");
            var (w1, b1, w2, b2) = fused.Parameters;
            AssertClose(reference.Hidden.weight!, w1);
            AssertClose(reference.Hidden.bias!, b1);
            AssertClose(reference.Output.weight!, w2);
            AssertClose(reference.Output.bias!, b2);
        }
    }

    [Fact]
    public void The_weights_it_returns_are_its_parameters_in_the_models_layout()
    {
        torch.manual_seed(1);
        using var initial = new FashionMlp();
        using var fused = new FusedAdamTrainer(initial, new TrainingOptions(), [32]);
        var weights = fused.Weights();
        Assert.Equal(initial.Hidden.weight!.data<float>().ToArray(), weights["hidden.weight"].Values);
        Assert.Equal(initial.Output.bias!.data<float>().ToArray(), weights["output.bias"].Values);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        using var difference = (expected.detach() - actual).abs().max();
        float maxDifference = difference.item<float>();
        Assert.True(maxDifference < 2e-6f, $"parameters differ by up to {maxDifference}");
    }
}

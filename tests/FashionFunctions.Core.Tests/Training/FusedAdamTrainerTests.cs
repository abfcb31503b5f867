using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Tests.Support;
using FashionFunctions.Core.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Tests.Training;

/// <summary>
/// The fused trainer against autograd and <c>torch.optim.Adam</c>, in two parts that can each be bounded by an
/// analysis of float32 rounding (unit roundoff u = 2⁻²⁴ ≈ 6e-8), whatever order a CPU's matrix kernels sum in,
/// and one end-to-end run bounded only in norm. Every test runs with 1 and 2 libtorch threads; the thread count is
/// process-wide and changes the matrix kernels' summation order, so these tests run alone (other tests compare
/// runs bit for bit).
/// </summary>
[Collection(LibtorchThreadsCollection.Name)]
public class FusedAdamTrainerTests(FashionMnistFixture fixture, ITestOutputHelper output)
{
    private const double UnitRoundoff = 1.0 / (1 << 24);
    private const int Steps = 10;

    /// <summary>
    /// A gradient element is a chain of sums: 784 products (and the bias) per hidden pre-activation, 128 per logit,
    /// 10 per hidden gradient, and `batch` per weight or bias gradient. A float32 sum of n terms is off by at most
    /// n·u of the sum of the terms' magnitudes, whatever order it adds in; for the largest element of a gradient
    /// that sum of magnitudes is the element's own size (its terms agree in sign), and every other element's
    /// error is bounded by the same chain. So each implementation is within (785 + 128 + 10 + batch + a few for
    /// exp, log and the division)·u of the truth relative to the tensor's largest element, and the two are within
    /// twice that of each other. The bound is worst case; rounding errors mostly cancel, which is why the
    /// difference measured on both CPU families is about ten times smaller.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Its_gradients_are_autograds_relative_to_each_gradients_scale(int batch, long seed, int threads) => WithThreads(threads, () =>
    {
        using var twins = new Twins(batch, seed);
        var (options, reference, fused, adam) = (twins.Options, twins.Reference, twins.Fused, twins.Adam);
        double tolerance = 2 * (785 + 128 + 10 + batch + 16) * UnitRoundoff;
        double worst = 0;

        for (int step = 0; step < Steps; step++)
        {
            using var scope = NewDisposeScope();
            var (x, labels, y) = Batch(step, batch);
            var loss = nn.functional.cross_entropy(reference.forward(x), y);
            adam.zero_grad();
            loss.backward();
            var (lossSum, _) = fused.ComputeGradients(x, labels);

            Assert.True(Math.Abs(loss.item<float>() - lossSum / batch) <= 1e-5 * Math.Max(1, Math.Abs(lossSum / batch)), $"loss {loss.item<float>()} vs {lossSum / batch}");
            var (gw1, gb1, gw2, gb2) = fused.Gradients;
            worst = new[]
            {
                AssertCloseRelativeToScale(reference.Hidden.weight!.grad!, gw1, tolerance, "hidden.weight", step),
                AssertCloseRelativeToScale(reference.Hidden.bias!.grad!, gb1, tolerance, "hidden.bias", step),
                AssertCloseRelativeToScale(reference.Output.weight!.grad!, gw2, tolerance, "output.weight", step),
                AssertCloseRelativeToScale(reference.Output.bias!.grad!, gb2, tolerance, "output.bias", step),
                worst,
            }.Max();

            // Move on as autograd does, and give the fused trainer the same parameters for the next comparison.
            adam.step();
            CopyParameters(reference, fused);
        }

        output.WriteLine($"largest gradient difference: {worst:E3} of the gradient's scale (bound {tolerance:E3})");
    });

    /// <summary>
    /// Given the identical gradient, m and v are the same weighted sums in both, each within a few u of the other;
    /// the step α·m̂/(√v̂+ε) then differs by a few u relative (a quotient of perturbed positive sums cannot amplify
    /// relative error, unlike a perturbed gradient near ε), which is below 1e-10 for α = 1e-3. What remains is the
    /// final rounding of p − step: each side rounds to one of the two floats around it, so the parameters can move
    /// one unit in the last place (ulp) apart per step, at most Steps·ulp(max|p|) after Steps steps. The factor 2
    /// covers parameters crossing a power of two during the run and the relative error of the step.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Given_the_same_gradient_its_adam_update_is_torch_optim_adams(int batch, long seed, int threads) => WithThreads(threads, () =>
    {
        using var twins = new Twins(batch, seed);
        var (options, reference, fused, adam) = (twins.Options, twins.Reference, twins.Fused, twins.Adam);
        var referenceParameters = new[] { reference.Hidden.weight!, reference.Hidden.bias!, reference.Output.weight!, reference.Output.bias! };
        var names = new[] { "hidden.weight", "hidden.bias", "output.weight", "output.bias" };
        double worst = 0, worstInUlps = 0;

        for (int step = 1; step <= Steps; step++)
        {
            using var scope = NewDisposeScope();
            var (x, _, y) = Batch(step, batch);
            var loss = nn.functional.cross_entropy(reference.forward(x), y);
            adam.zero_grad();
            loss.backward();
            var (gw1, gb1, gw2, gb2) = fused.Gradients;
            var fusedGradients = new[] { gw1, gb1, gw2, gb2 };
            for (int i = 0; i < 4; i++)
            {
                fusedGradients[i].copy_(referenceParameters[i].grad!);
            }

            adam.step();
            fused.ApplyAdam();

            var (w1, b1, w2, b2) = fused.Parameters;
            var fusedParameters = new[] { w1, b1, w2, b2 };
            for (int i = 0; i < 4; i++)
            {
                using var p = referenceParameters[i].detach();
                float largest = Math.Max(p.abs().max().item<float>(), fusedParameters[i].abs().max().item<float>());
                double ulp = MathF.BitIncrement(largest) - largest; // of a float
                double bound = 2 * step * (ulp + 16 * UnitRoundoff * options.LearningRate);
                float difference = (p - fusedParameters[i]).abs().max().item<float>();
                Assert.True(difference <= bound, $"{names[i]} after step {step}: parameters differ by up to {difference:E3}, bound {bound:E3}");
                worst = Math.Max(worst, difference);
                worstInUlps = Math.Max(worstInUlps, difference / ulp);
            }
        }

        output.WriteLine($"largest parameter difference after {Steps} steps: {worst:E3} ({worstInUlps:F1} ulp)");
    });

    /// <summary>
    /// End to end, the two trajectories may drift apart more than either part alone: a gradient element near ε
    /// turns its tiny rounding difference into a different step (Adam's sensitivity to g there is α/ε ≈ 1e4), and
    /// parameter differences feed back into the next gradients. Per element a step is at most about α, so a
    /// handful of such elements among 101,770 cannot move the whole parameter vector by more than a small fraction
    /// of the distance it travels (about α·√N per step). Bound: 1e-3 of that distance, in the 2-norm.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Several_steps_follow_autograd_with_torch_optim_adam_in_norm(int batch, long seed, int threads) => WithThreads(threads, () =>
    {
        using var twins = new Twins(batch, seed);
        var (options, reference, fused, adam) = (twins.Options, twins.Reference, twins.Fused, twins.Adam);
        using var start = Flat(reference);

        for (int step = 0; step < Steps; step++)
        {
            using var scope = NewDisposeScope();
            var (x, labels, y) = Batch(step, batch);
            var loss = nn.functional.cross_entropy(reference.forward(x), y);
            adam.zero_grad();
            loss.backward();
            adam.step();
            fused.Step(x, labels);
        }

        using var expected = Flat(reference);
        var (w1, b1, w2, b2) = fused.Parameters;
        using var actual = cat([w1.flatten(), b1, w2.flatten(), b2]);
        double travelled = (expected - start).norm().item<float>();
        double apart = (expected - actual).norm().item<float>();
        output.WriteLine($"after {Steps} steps: {apart:E3} apart, {apart / travelled:E3} of the {travelled:F4} travelled");
        Assert.True(travelled > Steps * options.LearningRate, $"the parameters moved only {travelled}");
        Assert.True(apart <= 1e-3 * travelled, $"after {Steps} steps the parameters are {apart:E3} apart in norm, {apart / travelled:E3} of the {travelled:F4} travelled");
    });

    [Fact]
    public void The_weights_it_returns_are_its_parameters_in_the_models_layout()
    {
        using var generator = new Generator(1);
        using var initial = new FashionMlp(generator: generator);
        using var fused = new FusedAdamTrainer(initial, new TrainingOptions(), [32]);
        var weights = fused.Weights();
        Assert.Equal(initial.Hidden.weight!.data<float>().ToArray(), weights["hidden.weight"].Values);
        Assert.Equal(initial.Output.bias!.data<float>().ToArray(), weights["output.bias"].Values);
    }

    /// <summary>
    /// The two threads of a gathered step each own half of the hidden units and meet at barriers; the halves are
    /// part of the arithmetic, so running both on one thread must give the same bits. A race (a half reading
    /// what the other is updating) shows up here as a difference. libtorch runs single-threaded on the calling
    /// thread, as <see cref="Trainer"/> runs it.
    /// </summary>
    [Theory]
    [InlineData(32, 128)]
    [InlineData(7, 33)]
    public void Gathered_steps_and_evaluation_on_two_threads_give_the_results_of_one_thread(int batch, int width) => WithThreads(1, () =>
    {
        var options = new TrainingOptions { HiddenUnits = width };
        var train = fixture.Dataset.Train;
        var order = new int[train.Count];
        EpochOrder.Fill(options.Seed, 1, order);

        (byte[] Weights, int Correct) Run(int threads)
        {
            using var generator = new Generator(3);
            using var initial = new FashionMlp(width, generator);
            using var fused = new FusedAdamTrainer(initial, options, [batch], threads);
            double lossSum = 0;
            for (int step = 0; step < 300; step++)
            {
                lossSum += fused.Step(train, order.AsMemory(step * batch, batch)).LossSum;
            }

            Assert.True(lossSum > 0);
            return (SafeTensorsFile.Write(fused.Weights().Tensors), fused.CountCorrect(fixture.Dataset.Test));
        }

        var one = Run(1);
        Assert.InRange(one.Correct, 5_000, 10_000);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var two = Run(2);
            Assert.Equal(one.Weights, two.Weights);
            Assert.Equal(one.Correct, two.Correct);
        }
    });

    public static TheoryData<int, long, int> Cases() => new()
    {
        { 32, 42, 1 },
        { 32, 42, 2 },
        { 7, 5, 1 },
        { 7, 5, 2 },
    };

    private (Tensor X, byte[] Labels, Tensor Y) Batch(int step, int batch)
    {
        var train = fixture.Dataset.Train;
        byte[] pixels = train.Pixels.AsSpan(step * batch * 784, batch * 784).ToArray();
        byte[] labels = train.Labels.AsSpan(step * batch, batch).ToArray();
        return (PixelTensors.FromBytes(pixels, batch), labels, PixelTensors.Labels(labels));
    }

    private static Tensor Flat(FashionMlp model)
    {
        using var _ = no_grad();
        return cat([model.Hidden.weight!.flatten(), model.Hidden.bias!, model.Output.weight!.flatten(), model.Output.bias!]).detach();
    }

    private static void CopyParameters(FashionMlp from, FusedAdamTrainer to)
    {
        using var _ = no_grad();
        var (w1, b1, w2, b2) = to.Parameters;
        w1.copy_(from.Hidden.weight!);
        b1.copy_(from.Hidden.bias!);
        w2.copy_(from.Output.weight!);
        b2.copy_(from.Output.bias!);
    }

    private static double AssertCloseRelativeToScale(Tensor expected, Tensor actual, double tolerance, string name, int step)
    {
        float scale = expected.abs().max().item<float>();
        float difference = (expected - actual).abs().max().item<float>();
        Assert.True(scale > 0, $"{name}: the gradient is all zero");
        Assert.True(difference <= tolerance * scale, $"{name} at step {step}: gradients differ by up to {difference:E3}, {difference / scale:E3} of the largest ({scale:E3}); bound {tolerance:E3}");
        return difference / scale;
    }

    /// <summary>One initial model twice: as a module for autograd and torch.optim.Adam, and in the fused trainer.</summary>
    private sealed class Twins : IDisposable
    {
        private readonly Generator generator;

        public Twins(int batch, long seed)
        {
            Options = new TrainingOptions { Seed = seed };
            generator = new Generator((ulong)seed);
            Reference = new FashionMlp(generator: generator);
            Fused = new FusedAdamTrainer(Reference, Options, [batch]);
            Adam = optim.Adam(Reference.parameters(), Options.LearningRate, Options.Beta1, Options.Beta2, Options.Epsilon);
        }

        public TrainingOptions Options { get; }
        public FashionMlp Reference { get; }
        public FusedAdamTrainer Fused { get; }
        public optim.Optimizer Adam { get; }

        public void Dispose()
        {
            Adam.Dispose();
            Fused.Dispose();
            Reference.Dispose();
            generator.Dispose();
        }
    }

    /// <summary>libtorch's thread count is process-wide; this collection runs with nothing else in parallel.</summary>
    private static void WithThreads(int threads, Action test)
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(threads);
        try
        {
            test();
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LibtorchThreadsCollection : ICollectionFixture<FashionMnistFixture>
{
    public const string Name = "Libtorch thread count";
}

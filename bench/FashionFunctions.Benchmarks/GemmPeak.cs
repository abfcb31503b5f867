using System.Diagnostics;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Native;
using static TorchSharp.torch;

namespace FashionFunctions.Benchmarks;

/// <summary>A large single-precision matrix product's rate: what this machine's best library GEMM reaches.</summary>
internal sealed record GemmRate(string Library, int Size, int Threads, double Gflops);

/// <summary>
/// The machine's GEMM peak, measured as a large sgemm on two threads, and the trainer's share of it: its epoch
/// does a fixed amount of matrix-product arithmetic, so dividing that by the epoch time says how far from the
/// hardware's useful limit it runs.
/// </summary>
internal static class GemmPeak
{
    public const int Size = 2048;
    public const int Threads = 2;

    /// <summary>The multiply-adds of one epoch's matrix products, counted as two operations each: the first layer's
    /// forward product and weight gradient (its input gradient is never needed), and all three products of the
    /// output layer (forward, weight gradient, input gradient). About 24.5 GFLOP for 60,000 images and 128 units.</summary>
    public static double TrainerFlopsPerEpoch(int images, int hiddenUnits) =>
        2.0 * images * ((2.0 * FashionMlp.Inputs * hiddenUnits) + (3.0 * hiddenUnits * FashionMlp.Outputs));

    /// <summary>libtorch's sgemm (TorchSharp's bundled build), <see cref="Size"/>² by <see cref="Size"/>², on
    /// <see cref="Threads"/> threads: the best of several runs after a warm-up.</summary>
    public static GemmRate MeasureLibtorch()
    {
        TorchRuntime.EnsureAvailable();
        int before = get_num_threads();
        set_num_threads(Threads);
        try
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator(1);
            var a = rand(Size, Size, generator: generator);
            var b = rand(Size, Size, generator: generator);
            var c = zeros(Size, Size);
            double flops = 2.0 * Size * Size * Size;
            double best = 0;
            for (int run = 0; run < 12; run++)
            {
                var clock = Stopwatch.StartNew();
                c.addmm_(a, b, 0, 1);
                double seconds = clock.Elapsed.TotalSeconds;
                if (run >= 2)
                {
                    best = Math.Max(best, flops / seconds / 1e9);
                }
            }

            return new GemmRate($"libtorch {TorchSharp.torch.__version__}", Size, Threads, best);
        }
        finally
        {
            set_num_threads(before);
        }
    }
}

using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Tests.Training;

/// <summary>
/// The trainer's hand-blocked products against sums in double, for every shape class the trainer can hand them:
/// full blocks and the tails left by hidden widths that are not multiples of four. A float sum of n products is
/// within n·u (u = 2⁻²⁴) of the exact value relative to the sum of the products' magnitudes, in any order and with
/// or without fused multiply-adds, so that is the bound (plus one rounding for the bias). The kernels run at the
/// widest vectors the machine has; the suite run with DOTNET_EnableAVX512=0 covers the 256-bit ones.
/// </summary>
public unsafe class MatrixKernelsTests
{
    private const double UnitRoundoff = 1.0 / (1 << 24);
    private const int Guard = 64;
    private const float Sentinel = 12345.5f;

    [Theory]
    [InlineData(4, 4, 16)]
    [InlineData(8, 7, 784)]
    [InlineData(32, 64, 784)]
    [InlineData(12, 1, 48)]
    [InlineData(4, 17, 784)]
    public void A_times_b_transposed_plus_bias_is_the_sum_within_its_rounding_bound(int rows, int columns, int depth)
    {
        var random = new Random(rows * 1000 + columns);
        float[] a = Values(random, rows * depth), b = Values(random, columns * depth), bias = Values(random, columns);
        float[] c = new float[rows * columns + Guard];
        c.AsSpan(rows * columns).Fill(Sentinel);
        fixed (float* pa = a, pb = b, pbias = bias, pc = c)
        {
            MatrixKernels.MultiplyByTransposedPlusBias(pa, rows, pb, columns, depth, pbias, pc, columns);
        }

        Assert.All(c[(rows * columns)..], v => Assert.Equal(Sentinel, v)); // nothing written past the output

        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                double exact = bias[j], magnitude = Math.Abs(bias[j]);
                for (int k = 0; k < depth; k++)
                {
                    exact += (double)a[i * depth + k] * b[j * depth + k];
                    magnitude += Math.Abs((double)a[i * depth + k] * b[j * depth + k]);
                }

                Assert.True(Math.Abs(c[i * columns + j] - exact) <= (depth + 2) * UnitRoundoff * magnitude,
                    $"c[{i},{j}] = {c[i * columns + j]}, exactly {exact}");
            }
        }
    }

    [Theory]
    [InlineData(32, 64, 784)]
    [InlineData(7, 17, 784)]
    [InlineData(1, 3, 16)]
    [InlineData(5, 4, 48)]
    public void G_transposed_times_a_is_the_sum_within_its_rounding_bound(int rows, int columns, int depth)
    {
        var random = new Random(rows * 1000 + columns);
        float[] g = Values(random, rows * columns), a = Values(random, rows * depth);
        float[] d = Enumerable.Repeat(float.NaN, columns * depth + Guard).ToArray(); // every element must be written
        d.AsSpan(columns * depth).Fill(Sentinel);
        fixed (float* pg = g, pa = a, pd = d)
        {
            MatrixKernels.TransposedMultiply(pg, rows, columns, pa, depth, pd);
        }

        Assert.All(d[(columns * depth)..], v => Assert.Equal(Sentinel, v));

        for (int j = 0; j < columns; j++)
        {
            for (int k = 0; k < depth; k++)
            {
                double exact = 0, magnitude = 0;
                for (int i = 0; i < rows; i++)
                {
                    exact += (double)g[i * columns + j] * a[i * depth + k];
                    magnitude += Math.Abs((double)g[i * columns + j] * a[i * depth + k]);
                }

                Assert.True(Math.Abs(d[j * depth + k] - exact) <= (rows + 1) * UnitRoundoff * magnitude,
                    $"d[{j},{k}] = {d[j * depth + k]}, exactly {exact}");
            }
        }
    }

    [Fact]
    public void Rows_that_are_not_a_multiple_of_four_are_refused()
    {
        float[] a = new float[3 * 16], b = new float[16], bias = new float[1], c = new float[3];
        Assert.Throws<ArgumentException>(() =>
        {
            fixed (float* pa = a, pb = b, pbias = bias, pc = c)
            {
                MatrixKernels.MultiplyByTransposedPlusBias(pa, 3, pb, 1, 16, pbias, pc, 1);
            }
        });
    }

    private static float[] Values(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
}

using System.Runtime.Intrinsics;

namespace FashionFunctions.Core.Training;

/// <summary>
/// The trainer's two large products for its fixed shapes — a batch of 784-pixel rows against a slice of the first
/// layer — register-blocked with 512-bit vectors where the CPU has them and 256-bit ones otherwise. At batch 32
/// they beat a library GEMM called from the same thread: nothing is packed or dispatched, and every operand fits
/// in L2 (bench/trainer-notes.md has the measurements). Both sum each output over the depth in a fixed order, so
/// results do not depend on the thread that runs them. They are not marked AggressiveOptimization: that shortened
/// a process's first epoch but slowed every later one, so tiered compilation stays.
/// </summary>
internal static unsafe class MatrixKernels
{
    /// <summary>The depth must be a multiple of this (784 is).</summary>
    public const int DepthMultiple = 16;

    /// <summary>The rows of <c>a</c> (and of <c>c</c>) are processed four at a time: callers pad both to a
    /// multiple of this.</summary>
    public const int RowMultiple = 4;

    public static int PaddedRows(int rows) => (rows + RowMultiple - 1) / RowMultiple * RowMultiple;

    /// <summary>
    /// c[i, j] = bias[j] + Σₖ a[i, k]·b[j, k] for i &lt; rows (a multiple of <see cref="RowMultiple"/>), j &lt; columns:
    /// a is rows×depth and b columns×depth, both row-major; c has rows of <paramref name="cStride"/> floats.
    /// </summary>
    public static void MultiplyByTransposedPlusBias(float* a, int rows, float* b, int columns, int depth, float* bias, float* c, int cStride)
    {
        if (rows % RowMultiple != 0 || depth % DepthMultiple != 0)
        {
            throw new ArgumentException($"rows must be a multiple of {RowMultiple} and depth of {DepthMultiple}.");
        }

        bool blocked = Vector256.IsHardwareAccelerated; // else (no fast 256-bit vectors) dot products throughout
        for (int i = 0; i < rows; i += 4)
        {
            int j = 0;
            for (; blocked && j + 4 <= columns; j += 4)
            {
                if (Vector512.IsHardwareAccelerated)
                {
                    Dot4x4Vector512(a + i * depth, b + j * depth, depth, bias + j, c + i * cStride + j, cStride);
                }
                else
                {
                    Dot4x4Vector256(a + i * depth, b + j * depth, depth, bias + j, c + i * cStride + j, cStride);
                }
            }

            for (; j < columns; j++)
            {
                for (int r = 0; r < 4; r++)
                {
                    c[(i + r) * cStride + j] = bias[j] + Dot(a + (i + r) * depth, b + j * depth, depth);
                }
            }
        }
    }

    /// <summary>
    /// d[j, k] = Σᵢ g[i, j]·a[i, k] over i &lt; rows, for j &lt; columns, k &lt; depth (a multiple of
    /// <see cref="DepthMultiple"/>): g is rows×columns and a rows×depth, both row-major; d is columns×depth.
    /// </summary>
    public static void TransposedMultiply(float* g, int rows, int columns, float* a, int depth, float* d)
    {
        if (depth % DepthMultiple != 0)
        {
            throw new ArgumentException($"depth must be a multiple of {DepthMultiple}.");
        }

        int j = 0;
        bool blocked = Vector256.IsHardwareAccelerated; // else (no fast 256-bit vectors) row by row throughout
        for (; blocked && j + 4 <= columns; j += 4)
        {
            if (Vector512.IsHardwareAccelerated && depth >= 32)
            {
                // 32 columns at a time; the last block may overlap the one before, recomputing identical values.
                for (int k = 0; k < depth; k += 32)
                {
                    int from = Math.Min(k, depth - 32);
                    Outer4x32Vector512(g + j, rows, columns, a + from, depth, d + j * depth + from);
                }
            }
            else
            {
                for (int k = 0; k < depth; k += 16)
                {
                    Outer4x16Vector256(g + j, rows, columns, a + k, depth, d + j * depth + k);
                }
            }
        }

        for (; j < columns; j++)
        {
            float* row = d + j * depth;
            new Span<float>(row, depth).Clear();
            for (int i = 0; i < rows; i++)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(a + i * depth, depth), g[i * columns + j], new ReadOnlySpan<float>(row, depth), new Span<float>(row, depth));
            }
        }
    }

    private static float Dot(float* x, float* y, int depth) =>
        System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<float>(x, depth), new ReadOnlySpan<float>(y, depth));

    private static void Dot4x4Vector512(float* a0, float* b0, int depth, float* bias, float* c, int cStride)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        float* a1 = a0 + depth, a2 = a1 + depth, a3 = a2 + depth;
        float* b1 = b0 + depth, b2 = b1 + depth, b3 = b2 + depth;
        for (int k = 0; k < depth; k += 16)
        {
            var x0 = Vector512.Load(a0 + k);
            var x1 = Vector512.Load(a1 + k);
            var x2 = Vector512.Load(a2 + k);
            var x3 = Vector512.Load(a3 + k);
            var w = Vector512.Load(b0 + k);
            c00 = Vector512.FusedMultiplyAdd(x0, w, c00);
            c10 = Vector512.FusedMultiplyAdd(x1, w, c10);
            c20 = Vector512.FusedMultiplyAdd(x2, w, c20);
            c30 = Vector512.FusedMultiplyAdd(x3, w, c30);
            w = Vector512.Load(b1 + k);
            c01 = Vector512.FusedMultiplyAdd(x0, w, c01);
            c11 = Vector512.FusedMultiplyAdd(x1, w, c11);
            c21 = Vector512.FusedMultiplyAdd(x2, w, c21);
            c31 = Vector512.FusedMultiplyAdd(x3, w, c31);
            w = Vector512.Load(b2 + k);
            c02 = Vector512.FusedMultiplyAdd(x0, w, c02);
            c12 = Vector512.FusedMultiplyAdd(x1, w, c12);
            c22 = Vector512.FusedMultiplyAdd(x2, w, c22);
            c32 = Vector512.FusedMultiplyAdd(x3, w, c32);
            w = Vector512.Load(b3 + k);
            c03 = Vector512.FusedMultiplyAdd(x0, w, c03);
            c13 = Vector512.FusedMultiplyAdd(x1, w, c13);
            c23 = Vector512.FusedMultiplyAdd(x2, w, c23);
            c33 = Vector512.FusedMultiplyAdd(x3, w, c33);
        }

        StoreRow(c, bias, Vector512.Sum(c00), Vector512.Sum(c01), Vector512.Sum(c02), Vector512.Sum(c03));
        StoreRow(c + cStride, bias, Vector512.Sum(c10), Vector512.Sum(c11), Vector512.Sum(c12), Vector512.Sum(c13));
        StoreRow(c + 2 * cStride, bias, Vector512.Sum(c20), Vector512.Sum(c21), Vector512.Sum(c22), Vector512.Sum(c23));
        StoreRow(c + 3 * cStride, bias, Vector512.Sum(c30), Vector512.Sum(c31), Vector512.Sum(c32), Vector512.Sum(c33));
    }

    /// <summary>Two rows at a time: AVX2 has 16 vector registers, not 32.</summary>
    private static void Dot4x4Vector256(float* a0, float* b0, int depth, float* bias, float* c, int cStride)
    {
        Dot2x4Vector256(a0, b0, depth, bias, c, cStride);
        Dot2x4Vector256(a0 + 2 * depth, b0, depth, bias, c + 2 * cStride, cStride);
    }

    private static void Dot2x4Vector256(float* a0, float* b0, int depth, float* bias, float* c, int cStride)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        float* a1 = a0 + depth;
        float* b1 = b0 + depth, b2 = b1 + depth, b3 = b2 + depth;
        for (int k = 0; k < depth; k += 8)
        {
            var x0 = Vector256.Load(a0 + k);
            var x1 = Vector256.Load(a1 + k);
            var w = Vector256.Load(b0 + k);
            c00 = Vector256.FusedMultiplyAdd(x0, w, c00);
            c10 = Vector256.FusedMultiplyAdd(x1, w, c10);
            w = Vector256.Load(b1 + k);
            c01 = Vector256.FusedMultiplyAdd(x0, w, c01);
            c11 = Vector256.FusedMultiplyAdd(x1, w, c11);
            w = Vector256.Load(b2 + k);
            c02 = Vector256.FusedMultiplyAdd(x0, w, c02);
            c12 = Vector256.FusedMultiplyAdd(x1, w, c12);
            w = Vector256.Load(b3 + k);
            c03 = Vector256.FusedMultiplyAdd(x0, w, c03);
            c13 = Vector256.FusedMultiplyAdd(x1, w, c13);
        }

        StoreRow(c, bias, Vector256.Sum(c00), Vector256.Sum(c01), Vector256.Sum(c02), Vector256.Sum(c03));
        StoreRow(c + cStride, bias, Vector256.Sum(c10), Vector256.Sum(c11), Vector256.Sum(c12), Vector256.Sum(c13));
    }

    private static void StoreRow(float* c, float* bias, float d0, float d1, float d2, float d3)
    {
        c[0] = bias[0] + d0;
        c[1] = bias[1] + d1;
        c[2] = bias[2] + d2;
        c[3] = bias[3] + d3;
    }

    /// <summary>d[0..4, 0..32] = Σᵢ g[i, 0..4]ᵀ·a[i, 0..32]: a 32-wide column block of four output rows.</summary>
    private static void Outer4x32Vector512(float* g, int rows, int gStride, float* a, int aStride, float* d)
    {
        Vector512<float> d00 = default, d01 = default, d10 = default, d11 = default;
        Vector512<float> d20 = default, d21 = default, d30 = default, d31 = default;
        for (int i = 0; i < rows; i++)
        {
            var x0 = Vector512.Load(a + i * aStride);
            var x1 = Vector512.Load(a + i * aStride + 16);
            float* gi = g + i * gStride;
            var s = Vector512.Create(gi[0]);
            d00 = Vector512.FusedMultiplyAdd(s, x0, d00);
            d01 = Vector512.FusedMultiplyAdd(s, x1, d01);
            s = Vector512.Create(gi[1]);
            d10 = Vector512.FusedMultiplyAdd(s, x0, d10);
            d11 = Vector512.FusedMultiplyAdd(s, x1, d11);
            s = Vector512.Create(gi[2]);
            d20 = Vector512.FusedMultiplyAdd(s, x0, d20);
            d21 = Vector512.FusedMultiplyAdd(s, x1, d21);
            s = Vector512.Create(gi[3]);
            d30 = Vector512.FusedMultiplyAdd(s, x0, d30);
            d31 = Vector512.FusedMultiplyAdd(s, x1, d31);
        }

        d00.Store(d);
        d01.Store(d + 16);
        d10.Store(d + aStride);
        d11.Store(d + aStride + 16);
        d20.Store(d + 2 * aStride);
        d21.Store(d + 2 * aStride + 16);
        d30.Store(d + 3 * aStride);
        d31.Store(d + 3 * aStride + 16);
    }

    /// <summary>d[0..4, 0..16] = Σᵢ g[i, 0..4]ᵀ·a[i, 0..16]: a 16-wide column block of four output rows.</summary>
    private static void Outer4x16Vector256(float* g, int rows, int gStride, float* a, int aStride, float* d)
    {
        Vector256<float> d00 = default, d01 = default, d10 = default, d11 = default;
        Vector256<float> d20 = default, d21 = default, d30 = default, d31 = default;
        for (int i = 0; i < rows; i++)
        {
            var x0 = Vector256.Load(a + i * aStride);
            var x1 = Vector256.Load(a + i * aStride + 8);
            float* gi = g + i * gStride;
            var s = Vector256.Create(gi[0]);
            d00 = Vector256.FusedMultiplyAdd(s, x0, d00);
            d01 = Vector256.FusedMultiplyAdd(s, x1, d01);
            s = Vector256.Create(gi[1]);
            d10 = Vector256.FusedMultiplyAdd(s, x0, d10);
            d11 = Vector256.FusedMultiplyAdd(s, x1, d11);
            s = Vector256.Create(gi[2]);
            d20 = Vector256.FusedMultiplyAdd(s, x0, d20);
            d21 = Vector256.FusedMultiplyAdd(s, x1, d21);
            s = Vector256.Create(gi[3]);
            d30 = Vector256.FusedMultiplyAdd(s, x0, d30);
            d31 = Vector256.FusedMultiplyAdd(s, x1, d31);
        }

        d00.Store(d);
        d01.Store(d + 8);
        d10.Store(d + aStride);
        d11.Store(d + aStride + 8);
        d20.Store(d + 2 * aStride);
        d21.Store(d + 2 * aStride + 8);
        d30.Store(d + 3 * aStride);
        d31.Store(d + 3 * aStride + 8);
    }
}

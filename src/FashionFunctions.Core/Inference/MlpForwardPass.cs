using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Inference;

/// <summary>
/// The model's forward pass in managed code, for serving and evaluation: pixels (0–255 bytes) → hidden ReLU layer
/// → logits. It holds its own copy of the weights (nothing native to release) and is read-only after
/// construction, so any number of threads may use one instance at once.
/// </summary>
/// <remarks>
/// The first layer is a small matrix product done as a register-blocked kernel: <c>hidden.weight</c> (scaled by
/// 1/255, so raw pixels go straight in) is transposed and packed into panels of two SIMD vectors of hidden units,
/// each a contiguous [784 × panel] strip read front to back; a tile of six images is multiplied against one panel
/// at a time with twelve accumulators kept in registers. The hidden width comes from the weights' shapes and is
/// padded to whole panels with zero weights (ReLU(0) = 0, and the padding is never read by the output layer).
/// Large batches are split over cores by rows.
/// </remarks>
public sealed class MlpForwardPass
{
    private const int Inputs = FashionMlp.Inputs;
    private const int Outputs = FashionMlp.Outputs;

    /// <summary>Images per register tile: 6 rows × 2 vectors = 12 accumulators, which leaves room for the two
    /// weight vectors and a broadcast in the 16 registers AVX2 has.</summary>
    private const int TileRows = 6;

    /// <summary>Images per parallel work item: a multiple of <see cref="TileRows"/>, large enough to amortise
    /// scheduling and small enough to spread a few hundred images over the cores.</summary>
    private const int RowsPerTask = 48;

    private static readonly int VectorWidth = Vector<float>.Count;
    private static readonly int PanelWidth = 2 * Vector<float>.Count;

    private readonly float[] panels;
    private readonly float[] hiddenBias;
    private readonly float[] outputWeight;
    private readonly float[] outputBias;
    private readonly int panelCount;
    private readonly int paddedHidden;

    public MlpForwardPass(ModelWeights weights)
    {
        var hiddenWeight = weights["hidden.weight"];
        HiddenUnits = hiddenWeight.Shape[0];
        panelCount = (HiddenUnits + PanelWidth - 1) / PanelWidth;
        paddedHidden = panelCount * PanelWidth;

        panels = new float[panelCount * Inputs * PanelWidth];
        for (int unit = 0; unit < HiddenUnits; unit++)
        {
            int panel = unit / PanelWidth, lane = unit % PanelWidth;
            var row = hiddenWeight.Values.AsSpan(unit * Inputs, Inputs);
            int basis = panel * Inputs * PanelWidth + lane;
            for (int k = 0; k < Inputs; k++)
            {
                panels[basis + k * PanelWidth] = row[k] * (1f / 255f);
            }
        }

        hiddenBias = new float[paddedHidden];
        weights["hidden.bias"].Values.CopyTo(hiddenBias, 0);
        outputWeight = weights["output.weight"].Values.ToArray();
        outputBias = weights["output.bias"].Values.ToArray();
    }

    /// <summary>The hidden layer's width, as the weights' shapes say.</summary>
    public int HiddenUnits { get; }

    /// <summary>Logits, [count × 10] row-major, of images packed 784 bytes each.</summary>
    public float[] Logits(ReadOnlySpan<byte> pixels)
    {
        var logits = new float[ImageCount(pixels) * Outputs];
        Logits(pixels, logits);
        return logits;
    }

    /// <summary>Writes the logits of images packed 784 bytes each into <paramref name="logits"/> ([count × 10]).</summary>
    public unsafe void Logits(ReadOnlySpan<byte> pixels, Span<float> logits)
    {
        int count = ImageCount(pixels);
        if (logits.Length < count * Outputs)
        {
            throw new ArgumentException($"{count} images need {count * Outputs} logits; the destination holds {logits.Length}.", nameof(logits));
        }

        int tasks = (count + RowsPerTask - 1) / RowsPerTask;
        if (tasks < 2 || Environment.ProcessorCount < 2)
        {
            LogitsOfRows(pixels, logits);
            return;
        }

        fixed (byte* pixelBase = pixels)
        fixed (float* logitBase = logits)
        {
            nint pixelAddress = (nint)pixelBase, logitAddress = (nint)logitBase;
            Parallel.For(0, tasks, task =>
            {
                int start = task * RowsPerTask, rows = Math.Min(RowsPerTask, count - start);
                var taskPixels = new ReadOnlySpan<byte>((byte*)pixelAddress + (long)start * Inputs, rows * Inputs);
                var taskLogits = new Span<float>((float*)logitAddress + (long)start * Outputs, rows * Outputs);
                LogitsOfRows(taskPixels, taskLogits);
            });
        }
    }

    /// <summary>Softmax probabilities, [count × 10] row-major, of images packed 784 bytes each.</summary>
    public float[] Probabilities(ReadOnlySpan<byte> pixels)
    {
        float[] probabilities = Logits(pixels);
        for (int row = 0; row < probabilities.Length; row += Outputs)
        {
            var span = probabilities.AsSpan(row, Outputs);
            TensorPrimitives.SoftMax(span, span);
        }

        return probabilities;
    }

    /// <summary>The most likely label of each image packed 784 bytes each.</summary>
    public int[] PredictLabels(ReadOnlySpan<byte> pixels)
    {
        float[] logits = Logits(pixels);
        var labels = new int[logits.Length / Outputs];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = TensorPrimitives.IndexOfMax(logits.AsSpan(i * Outputs, Outputs));
        }

        return labels;
    }

    private static int ImageCount(ReadOnlySpan<byte> pixels) =>
        pixels.Length % Inputs == 0
            ? pixels.Length / Inputs
            : throw new ArgumentException($"{pixels.Length} bytes are not a whole number of 784-pixel images.", nameof(pixels));

    private void LogitsOfRows(ReadOnlySpan<byte> pixels, Span<float> logits)
    {
        int count = pixels.Length / Inputs;
        float[] input = ArrayPool<float>.Shared.Rent(TileRows * Inputs);
        float[] hidden = ArrayPool<float>.Shared.Rent(TileRows * paddedHidden);
        try
        {
            for (int start = 0; start < count; start += TileRows)
            {
                int rows = Math.Min(TileRows, count - start);
                var tile = input.AsSpan(0, rows * Inputs);
                TensorPrimitives.ConvertTruncating(pixels.Slice(start * Inputs, rows * Inputs), tile);
                if (rows == TileRows)
                {
                    HiddenOfFullTile(input, hidden);
                }
                else
                {
                    for (int r = 0; r < rows; r++)
                    {
                        HiddenOfOneRow(input.AsSpan(r * Inputs, Inputs), hidden.AsSpan(r * paddedHidden, paddedHidden));
                    }
                }

                for (int r = 0; r < rows; r++)
                {
                    var activations = hidden.AsSpan(r * paddedHidden, HiddenUnits);
                    var row = logits.Slice((start + r) * Outputs, Outputs);
                    for (int c = 0; c < Outputs; c++)
                    {
                        row[c] = outputBias[c] + TensorPrimitives.Dot(outputWeight.AsSpan(c * HiddenUnits, HiddenUnits), activations);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
            ArrayPool<float>.Shared.Return(hidden);
        }
    }

    /// <summary>ReLU(x·W + b) for six images at once, one panel of hidden units at a time.</summary>
    private void HiddenOfFullTile(float[] input, float[] hidden)
    {
        ref float x = ref MemoryMarshal.GetArrayDataReference(input);
        ref float bias = ref MemoryMarshal.GetArrayDataReference(hiddenBias);
        int stride = paddedHidden;
        for (int panel = 0; panel < panelCount; panel++)
        {
            ref float w = ref MemoryMarshal.GetArrayDataReference(panels);
            w = ref Unsafe.Add(ref w, panel * Inputs * PanelWidth);
            int unit = panel * PanelWidth;
            var b0 = Vector.LoadUnsafe(ref bias, (nuint)unit);
            var b1 = Vector.LoadUnsafe(ref bias, (nuint)(unit + VectorWidth));
            Vector<float> a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1;
            Vector<float> a30 = b0, a31 = b1, a40 = b0, a41 = b1, a50 = b0, a51 = b1;
            for (int k = 0; k < Inputs; k++)
            {
                var w0 = Vector.LoadUnsafe(ref w, (nuint)(k * PanelWidth));
                var w1 = Vector.LoadUnsafe(ref w, (nuint)(k * PanelWidth + VectorWidth));
                var x0 = new Vector<float>(Unsafe.Add(ref x, k));
                a00 = Vector.FusedMultiplyAdd(x0, w0, a00);
                a01 = Vector.FusedMultiplyAdd(x0, w1, a01);
                var x1 = new Vector<float>(Unsafe.Add(ref x, Inputs + k));
                a10 = Vector.FusedMultiplyAdd(x1, w0, a10);
                a11 = Vector.FusedMultiplyAdd(x1, w1, a11);
                var x2 = new Vector<float>(Unsafe.Add(ref x, 2 * Inputs + k));
                a20 = Vector.FusedMultiplyAdd(x2, w0, a20);
                a21 = Vector.FusedMultiplyAdd(x2, w1, a21);
                var x3 = new Vector<float>(Unsafe.Add(ref x, 3 * Inputs + k));
                a30 = Vector.FusedMultiplyAdd(x3, w0, a30);
                a31 = Vector.FusedMultiplyAdd(x3, w1, a31);
                var x4 = new Vector<float>(Unsafe.Add(ref x, 4 * Inputs + k));
                a40 = Vector.FusedMultiplyAdd(x4, w0, a40);
                a41 = Vector.FusedMultiplyAdd(x4, w1, a41);
                var x5 = new Vector<float>(Unsafe.Add(ref x, 5 * Inputs + k));
                a50 = Vector.FusedMultiplyAdd(x5, w0, a50);
                a51 = Vector.FusedMultiplyAdd(x5, w1, a51);
            }

            ref float h = ref MemoryMarshal.GetArrayDataReference(hidden);
            StoreRelu(a00, a01, ref h, (nuint)unit);
            StoreRelu(a10, a11, ref h, (nuint)(stride + unit));
            StoreRelu(a20, a21, ref h, (nuint)(2 * stride + unit));
            StoreRelu(a30, a31, ref h, (nuint)(3 * stride + unit));
            StoreRelu(a40, a41, ref h, (nuint)(4 * stride + unit));
            StoreRelu(a50, a51, ref h, (nuint)(5 * stride + unit));
        }
    }

    /// <summary>ReLU(x·W + b) for one image (single requests and a batch's last few images).</summary>
    private void HiddenOfOneRow(Span<float> input, Span<float> hidden)
    {
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float bias = ref MemoryMarshal.GetArrayDataReference(hiddenBias);
        ref float h = ref MemoryMarshal.GetReference(hidden);
        for (int panel = 0; panel < panelCount; panel++)
        {
            ref float w = ref MemoryMarshal.GetArrayDataReference(panels);
            w = ref Unsafe.Add(ref w, panel * Inputs * PanelWidth);
            int unit = panel * PanelWidth;
            var a0 = Vector.LoadUnsafe(ref bias, (nuint)unit);
            var a1 = Vector.LoadUnsafe(ref bias, (nuint)(unit + VectorWidth));
            Vector<float> c0 = Vector<float>.Zero, c1 = Vector<float>.Zero;
            for (int k = 0; k < Inputs; k += 2)
            {
                var x0 = new Vector<float>(Unsafe.Add(ref x, k));
                a0 = Vector.FusedMultiplyAdd(x0, Vector.LoadUnsafe(ref w, (nuint)(k * PanelWidth)), a0);
                a1 = Vector.FusedMultiplyAdd(x0, Vector.LoadUnsafe(ref w, (nuint)(k * PanelWidth + VectorWidth)), a1);
                var x1 = new Vector<float>(Unsafe.Add(ref x, k + 1));
                c0 = Vector.FusedMultiplyAdd(x1, Vector.LoadUnsafe(ref w, (nuint)((k + 1) * PanelWidth)), c0);
                c1 = Vector.FusedMultiplyAdd(x1, Vector.LoadUnsafe(ref w, (nuint)((k + 1) * PanelWidth + VectorWidth)), c1);
            }

            StoreRelu(a0 + c0, a1 + c1, ref h, (nuint)unit);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRelu(Vector<float> low, Vector<float> high, ref float destination, nuint offset)
    {
        Vector.Max(low, Vector<float>.Zero).StoreUnsafe(ref destination, offset);
        Vector.Max(high, Vector<float>.Zero).StoreUnsafe(ref destination, offset + (nuint)Vector<float>.Count);
    }
}

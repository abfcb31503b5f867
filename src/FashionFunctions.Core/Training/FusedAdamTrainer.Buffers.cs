using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FashionFunctions.Core.Data;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Training;

// The work tensors, allocated once per batch size so that an epoch allocates nothing, and the gather that fills
// their inputs. Each batch size has two input tensors, taken in turn: the next step's gather never waits for this
// step's last reader of the other one.
internal sealed partial class FusedAdamTrainer
{
    private BatchBuffers BuffersFor(int batch) => buffers.TryGetValue(batch, out var b)
        ? b
        : throw new ArgumentException($"No work tensors for a batch of {batch}; pass its size to the constructor.", nameof(batch));

    /// <summary>Rows <paramref name="from"/> to <paramref name="to"/> of the batch: their images, scaled, into input
    /// buffer <paramref name="inputParity"/>, and their labels beside it.</summary>
    private static void Gather(FashionMnistSplit split, ReadOnlySpan<int> batch, BatchBuffers b, int inputParity, int from, int to)
    {
        Span<float> input = b.InputMemory[inputParity].Span;
        byte[] labels = b.Labels[inputParity];
        for (int i = from; i < to; i++)
        {
            ScalePixels(split.Image(batch[i]), input.Slice(i * Inputs, Inputs));
            labels[i] = split.Labels[batch[i]];
        }
    }

    /// <summary>Pixel bytes to floats in [0, 1], rounded exactly as <see cref="PixelTensors.FromBytes"/> rounds
    /// them (an exact conversion, then one correctly rounded division).</summary>
    internal static void ScalePixels(ReadOnlySpan<byte> pixels, Span<float> scaled)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var divisor = Vector256.Create(255f);
            for (; i <= pixels.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                var bytes = Vector256.Create(pixels.Slice(i, Vector256<byte>.Count));
                var (low, high) = Vector256.Widen(bytes);
                int k = i;
                foreach (var shorts in (ReadOnlySpan<Vector256<ushort>>)[low, high])
                {
                    var (a, c) = Vector256.Widen(shorts);
                    Vector256.Divide(Vector256.ConvertToSingle(a.AsInt32()), divisor).CopyTo(scaled.Slice(k, 8));
                    Vector256.Divide(Vector256.ConvertToSingle(c.AsInt32()), divisor).CopyTo(scaled.Slice(k + 8, 8));
                    k += 16;
                }
            }
        }

        for (; i < pixels.Length; i++)
        {
            scaled[i] = pixels[i] / 255f;
        }
    }

    /// <summary>One slice's work tensors for one batch size.</summary>
    private sealed class SliceBuffers : IDisposable
    {
        public SliceBuffers(int batch, HiddenSlice slice, Tensor? b2)
        {
            Batch = batch;
            Hidden = zeros(MatrixKernels.PaddedRows(batch), slice.Count);
            HiddenRows = Hidden.narrow(0, 0, batch);
            GradHidden = zeros(batch, slice.Count);
            PartialLogits = zeros(batch, Outputs);
            DLogits = zeros(batch, Outputs);
            DLogitsT = DLogits.t();
            if (b2 is not null)
            {
                using var row = b2.unsqueeze(0);
                B2Rows = row.expand(batch, Outputs);
                B2Rows.DetachFromDisposeScope();
            }

            foreach (var t in All)
            {
                t.DetachFromDisposeScope();
            }

            HiddenMemory = new Pinned(Hidden);
            GradHiddenMemory = new Pinned(GradHidden);
            PartialLogitsMemory = new Pinned(PartialLogits);
            DLogitsMemory = new Pinned(DLogits);
        }

        public int Batch { get; }
        /// <summary>The hidden activations, with rows up to a multiple of <see cref="MatrixKernels.RowMultiple"/>.</summary>
        public Tensor Hidden { get; }

        /// <summary>The batch's rows of <see cref="Hidden"/>.</summary>
        public Tensor HiddenRows { get; }
        public Tensor GradHidden { get; }
        public Tensor PartialLogits { get; }

        /// <summary>The full logits, then d(logits): each slice keeps its own copy, so neither waits for the other.</summary>
        public Tensor DLogits { get; }
        public Tensor DLogitsT { get; }

        /// <summary>b2 broadcast over the batch, in slice 0 only.</summary>
        public Tensor? B2Rows { get; }
        public Pinned HiddenMemory { get; }
        public Pinned GradHiddenMemory { get; }
        public Pinned PartialLogitsMemory { get; }
        public Pinned DLogitsMemory { get; }

        private Tensor[] All => [Hidden, HiddenRows, GradHidden, PartialLogits, DLogits, DLogitsT];

        public void Dispose()
        {
            foreach (var t in All)
            {
                t.Dispose();
            }

            B2Rows?.Dispose();
        }
    }

    /// <summary>The tensors a step of one batch size works in, allocated once: two inputs (taken in turn) and
    /// each slice's own.</summary>
    private sealed class BatchBuffers : IDisposable
    {
        public BatchBuffers(int batch, IReadOnlyList<HiddenSlice> slices, Tensor b2)
        {
            PaddedRows = MatrixKernels.PaddedRows(batch);
            Input = [zeros(PaddedRows, Inputs), zeros(PaddedRows, Inputs)]; // rows past the batch stay zero
            foreach (var t in Input)
            {
                t.DetachFromDisposeScope();
            }

            InputMemory = [new Pinned(Input[0]), new Pinned(Input[1])];
            Labels = [new byte[batch], new byte[batch]];
            Slices = slices.Select(s => new SliceBuffers(batch, s, s.Index == 0 ? b2 : null)).ToArray();
        }

        /// <summary>The batch size rounded up to a multiple of <see cref="MatrixKernels.RowMultiple"/>.</summary>
        public int PaddedRows { get; }
        public Tensor[] Input { get; }
        public Pinned[] InputMemory { get; }
        public byte[][] Labels { get; }
        public SliceBuffers[] Slices { get; }

        public void Dispose()
        {
            foreach (var t in Input)
            {
                t.Dispose();
            }

            foreach (var s in Slices)
            {
                s.Dispose();
            }
        }
    }

    /// <summary>The tensor's memory, fetched once: libtorch never moves a tensor's storage while it lives.</summary>
    internal sealed unsafe class Pinned(Tensor tensor)
    {
        private readonly float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
        private readonly int length = (int)tensor.numel();

        public Span<float> Span => new(start, length);

        public float* Pointer => start;
    }
}

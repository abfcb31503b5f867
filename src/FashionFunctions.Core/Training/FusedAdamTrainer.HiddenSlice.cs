using System.Numerics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace FashionFunctions.Core.Training;

internal sealed partial class FusedAdamTrainer
{
    /// <summary>
    /// A contiguous range of hidden units and everything that depends on it alone: its rows of W1 and b1, its
    /// columns of W2, their gradients, and its part of the logits. One thread runs one slice's forward pass, loss
    /// gradient, backward pass and Adam; only the softmax needs the other slice's partial logits.
    /// </summary>
    private sealed class HiddenSlice : IDisposable
    {
        private readonly FusedAdamTrainer trainer;
        private readonly Tensor w2, w2T, gradW2;

        public HiddenSlice(FusedAdamTrainer trainer, int index, int first, int count)
        {
            this.trainer = trainer;
            Index = index;
            First = first;
            Count = count;
            w2 = trainer.w2.narrow(1, first, count);
            w2T = w2.t();
            gradW2 = trainer.gradW2.narrow(1, first, count);
            foreach (var t in new[] { w2, w2T, gradW2 })
            {
                t.DetachFromDisposeScope();
            }
        }

        public int Index { get; }
        public int First { get; }
        public int Count { get; }

        /// <summary>hidden = relu(x·W1ᵀ + b1) over this slice's units for the first <paramref name="rows"/> rows of
        /// x (<see cref="MatrixKernels"/>), then partial logits = hidden·W2ᵀ (plus b2 in slice 0) for the batch.</summary>
        public unsafe void Forward(BatchBuffers b, Pinned x, int rows)
        {
            var own = b.Slices[Index];
            float* parameters = trainer.parameterMemory.Pointer;
            MatrixKernels.MultiplyByTransposedPlusBias(x.Pointer, rows, parameters + First * Inputs, Count, Inputs,
                parameters + trainer.b1Offset + First, own.HiddenMemory.Pointer, Count);
            var hidden = own.HiddenMemory.Span[..(rows * Count)];
            TensorPrimitives.Max(hidden, 0f, hidden);
            if (own.B2Rows is { } b2Rows)
            {
                own.PartialLogits.copy_(b2Rows);
                own.PartialLogits.addmm_(own.HiddenRows, w2T, 1, 1);
            }
            else
            {
                own.PartialLogits.addmm_(own.HiddenRows, w2T, 0, 1);
            }
        }

        /// <summary>d(logits) = (softmax − one-hot) / batch for the whole batch, into this slice's own copy; slice 0
        /// also writes the output bias's gradient and returns the summed loss and the number classified right.</summary>
        public (double LossSum, int Correct) LossGradient(BatchBuffers b, ReadOnlySpan<byte> labels)
        {
            int batch = labels.Length;
            Span<float> logits = b.Slices[Index].DLogitsMemory.Span;
            Span<float> gradB2 = trainer.gradientMemory.Span.Slice(trainer.b2Offset, Outputs);
            bool first = Index == 0;
            if (first)
            {
                gradB2.Clear();
            }

            double lossSum = 0;
            int correct = 0;
            float inverseBatch = 1f / batch;
            for (int i = 0; i < batch; i++)
            {
                var row = logits.Slice(i * Outputs, Outputs);
                SumLogits(b, i, row);
                int label = labels[i];
                int argmax = ArgMax(row);
                float max = row[argmax];
                float sum = 0;
                for (int c = 0; c < Outputs; c++)
                {
                    row[c] = MathF.Exp(row[c] - max);
                    sum += row[c];
                }

                if (first)
                {
                    correct += argmax == label ? 1 : 0;
                    lossSum += Math.Log(sum) - Math.Log(row[label]);
                }

                float inverseSum = 1f / sum;
                for (int c = 0; c < Outputs; c++)
                {
                    float g = (row[c] * inverseSum - (c == label ? 1f : 0f)) * inverseBatch;
                    row[c] = g;
                    if (first)
                    {
                        gradB2[c] += g;
                    }
                }
            }

            return (lossSum, correct);
        }

        /// <summary>From this slice's copy of d(logits): dW2 = dLogitsᵀ·hidden, dHidden = dLogits·W2 through the
        /// ReLU, db1, and dW1 = dHiddenᵀ·x, for this slice's units.</summary>
        public unsafe void Backward(BatchBuffers b, Pinned x, StepPhaseTimes? phases)
        {
            var own = b.Slices[Index];
            gradW2.addmm_(own.DLogitsT, own.HiddenRows, 0, 1);
            own.GradHidden.addmm_(own.DLogits, w2, 0, 1);
            phases?.End(StepPhase.OutputBackwardProducts);

            Span<float> hidden = own.HiddenMemory.Span;
            Span<float> gradHidden = own.GradHiddenMemory.Span;
            Span<float> gradB1 = trainer.gradientMemory.Span.Slice(trainer.b1Offset + First, Count);
            gradB1.Clear();
            for (int i = 0; i < own.Batch; i++)
            {
                var gh = gradHidden.Slice(i * Count, Count);
                MaskWhereZero(gh, hidden.Slice(i * Count, Count));
                TensorPrimitives.Add(gradB1, gh, gradB1);
            }

            phases?.End(StepPhase.ReluAndHiddenBias);
            MatrixKernels.TransposedMultiply(own.GradHiddenMemory.Pointer, own.Batch, Count, x.Pointer, Inputs, trainer.gradientMemory.Pointer + First * Inputs);
            phases?.End(StepPhase.InputWeightGradientProduct);
        }

        /// <summary>Adam over this slice's parameters: its W1 rows and b1 entries, its W2 columns (one run per
        /// output row), and, for slice 0, b2.</summary>
        public void Adam(AdamUpdate update)
        {
            var p = trainer.parameterMemory.Span;
            var g = trainer.gradientMemory.Span;
            float[] m = trainer.firstMoment, v = trainer.secondMoment;
            update.Update(p, m, v, First * Inputs, g, Count * Inputs);
            update.Update(p, m, v, trainer.b1Offset + First, g, Count);
            for (int o = 0; o < Outputs; o++)
            {
                update.Update(p, m, v, trainer.w2Offset + o * trainer.hiddenUnits + First, g, Count);
            }

            if (Index == 0)
            {
                update.Update(p, m, v, trainer.b2Offset, g, Outputs);
            }
        }

        public void Dispose()
        {
            foreach (var t in new[] { w2, w2T, gradW2 })
            {
                t.Dispose();
            }
        }

        private static void MaskWhereZero(Span<float> gradient, ReadOnlySpan<float> activation)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var gv = MemoryMarshal.Cast<float, Vector<float>>(gradient);
                var av = MemoryMarshal.Cast<float, Vector<float>>(activation);
                for (int k = 0; k < gv.Length; k++)
                {
                    gv[k] = Vector.ConditionalSelect(Vector.GreaterThan(av[k], Vector<float>.Zero), gv[k], Vector<float>.Zero);
                }

                i = gv.Length * Vector<float>.Count;
            }

            for (; i < gradient.Length; i++)
            {
                gradient[i] = activation[i] > 0 ? gradient[i] : 0;
            }
        }
    }

    /// <summary>Row <paramref name="i"/>'s logits: the slices' partial logits (slice 0's include b2), always added
    /// in slice order. b2 is read only by slice 0's forward pass, so its update never races a reader.</summary>
    private static void SumLogits(BatchBuffers b, int i, Span<float> row)
    {
        b.Slices[0].PartialLogitsMemory.Span.Slice(i * Outputs, Outputs).CopyTo(row);
        foreach (var s in b.Slices.AsSpan(1))
        {
            TensorPrimitives.Add(row, s.PartialLogitsMemory.Span.Slice(i * Outputs, Outputs), row);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int argmax = 0;
        for (int c = 1; c < row.Length; c++)
        {
            if (row[c] > row[argmax])
            {
                argmax = c;
            }
        }

        return argmax;
    }
}

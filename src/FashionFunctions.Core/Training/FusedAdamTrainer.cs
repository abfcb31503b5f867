using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Training;

/// <summary>
/// One training step of <see cref="FashionMlp"/> without autograd or per-step allocations. The four parameters
/// live in one flat tensor (as do their gradients), so that Adam is a single fused, vectorised pass over flat
/// memory. The matrix products run in libtorch, in place into preallocated tensors; the gradients of this
/// two-layer network are written out directly; everything element-wise over a batch or the parameters runs
/// in C# over the tensors' own memory. The mathematics is exactly PyTorch's: softmax cross-entropy averaged
/// over the batch, and <c>torch.optim.Adam</c> (no weight decay, no AMSGrad).
/// The batch is gathered from the pixel bytes straight into a preallocated input tensor, so an epoch allocates
/// nothing. Splitting Adam over two .NET threads, or making libtorch's OpenMP workers sleep at once, measured
/// slower on 2 cores: the workers and our threads then fight for the cores and for their caches.
/// </summary>
internal sealed class FusedAdamTrainer : IDisposable
{
    private const int Inputs = FashionMlp.Inputs;
    private const int Outputs = FashionMlp.Outputs;
    private const int EvaluationChunk = 500;

    private readonly TrainingOptions options;
    private readonly int hiddenUnits;
    private readonly int w1Offset, b1Offset, w2Offset, b2Offset;
    private readonly float[] firstMoment;
    private readonly float[] secondMoment;
    private readonly Tensor parameters;
    private readonly Tensor gradients;
    private readonly Tensor w1, b1, w2, b2, w1T, w2T;
    private readonly Tensor gradW1, b1Gradient, gradW2, b2Gradient;
    private readonly Dictionary<int, BatchBuffers> buffers = [];
    private readonly Pinned parameterMemory;
    private readonly Pinned gradientMemory;
    private long step;

    /// <param name="initial">The model whose parameters (and width) training starts from.</param>
    /// <param name="options">The Adam hyperparameters.</param>
    /// <param name="batchSizes">Every batch size <see cref="Step(Tensor, ReadOnlySpan{byte})"/> will see (the last
    /// batch may be smaller); their work tensors are allocated here, once.</param>
    public FusedAdamTrainer(FashionMlp initial, TrainingOptions options, IEnumerable<int> batchSizes)
    {
        this.options = options;
        hiddenUnits = initial.Width;
        int count = FashionMlp.ParameterCountFor(hiddenUnits);
        w1Offset = 0;
        b1Offset = w1Offset + hiddenUnits * Inputs;
        w2Offset = b1Offset + hiddenUnits;
        b2Offset = w2Offset + Outputs * hiddenUnits;
        firstMoment = new float[count];
        secondMoment = new float[count];
        parameters = zeros(count);
        gradients = zeros(count);
        w1 = Matrix(parameters, w1Offset, hiddenUnits, Inputs);
        b1 = parameters.narrow(0, b1Offset, hiddenUnits);
        w2 = Matrix(parameters, w2Offset, Outputs, hiddenUnits);
        b2 = parameters.narrow(0, b2Offset, Outputs);
        w1T = w1.t();
        w2T = w2.t();
        gradW1 = Matrix(gradients, w1Offset, hiddenUnits, Inputs);
        b1Gradient = gradients.narrow(0, b1Offset, hiddenUnits);
        gradW2 = Matrix(gradients, w2Offset, Outputs, hiddenUnits);
        b2Gradient = gradients.narrow(0, b2Offset, Outputs);
        foreach (var t in new[] { parameters, gradients, w1, b1, w2, b2, w1T, w2T, gradW1, b1Gradient, gradW2, b2Gradient })
        {
            t.DetachFromDisposeScope(); // owned by this object, whatever scope constructs it
        }
        foreach (int size in batchSizes.Append(EvaluationChunk).Distinct())
        {
            buffers[size] = new BatchBuffers(size, hiddenUnits, b1, b2);
        }

        parameterMemory = new Pinned(parameters);
        gradientMemory = new Pinned(gradients);
        using (no_grad())
        {
            w1.copy_(initial.Hidden.weight!);
            b1.copy_(initial.Hidden.bias!);
            w2.copy_(initial.Output.weight!);
            b2.copy_(initial.Output.bias!);
        }
    }

    public int HiddenUnits => hiddenUnits;

    /// <summary>The number of Adam steps taken so far (Adam's t).</summary>
    public long AdamStep => step;

    /// <summary>The current parameters, [width×784 weights, width, 10×width, 10] as views of the flat tensor.</summary>
    public (Tensor W1, Tensor B1, Tensor W2, Tensor B2) Parameters => (w1, b1, w2, b2);

    /// <summary>The gradients of the last <see cref="ComputeGradients"/>, in the parameters' layout; writable, so
    /// that a test can hand the Adam update a gradient of its choosing.</summary>
    internal (Tensor W1, Tensor B1, Tensor W2, Tensor B2) Gradients => (gradW1, b1Gradient, gradW2, b2Gradient);

    public ModelWeights Weights()
    {
        float[] flat = parameterMemory.Span.ToArray();
        return ModelWeights.FromTensors(
        [
            new NamedTensor("hidden.weight", [hiddenUnits, Inputs], flat[w1Offset..b1Offset]),
            new NamedTensor("hidden.bias", [hiddenUnits], flat[b1Offset..w2Offset]),
            new NamedTensor("output.weight", [Outputs, hiddenUnits], flat[w2Offset..b2Offset]),
            new NamedTensor("output.bias", [Outputs], flat[b2Offset..]),
        ]);
    }

    /// <summary>Copies the flat parameters and both Adam moments out (each as long as the parameters).</summary>
    public void CopyStateTo(Span<float> parametersOut, Span<float> firstMomentOut, Span<float> secondMomentOut)
    {
        parameterMemory.Span.CopyTo(parametersOut);
        firstMoment.CopyTo(firstMomentOut);
        secondMoment.CopyTo(secondMomentOut);
    }

    /// <summary>Continues from a saved state: the flat parameters, both moments and Adam's step count.</summary>
    public void RestoreState(ReadOnlySpan<float> savedParameters, ReadOnlySpan<float> savedFirstMoment, ReadOnlySpan<float> savedSecondMoment, long adamStep)
    {
        int count = firstMoment.Length;
        if (savedParameters.Length != count || savedFirstMoment.Length != count || savedSecondMoment.Length != count)
        {
            throw new ArgumentException($"A model {hiddenUnits} units wide has {count} parameters and moments each.");
        }

        savedParameters.CopyTo(parameterMemory.Span);
        savedFirstMoment.CopyTo(firstMoment);
        savedSecondMoment.CopyTo(secondMoment);
        step = adamStep;
    }

    /// <summary>
    /// One Adam step on a batch: <paramref name="x"/> is [batch, 784] pixels scaled to [0, 1], contiguous.
    /// Returns the batch's summed loss and the number it classified right before the update.
    /// </summary>
    public (double LossSum, int Correct) Step(Tensor x, ReadOnlySpan<byte> labels)
    {
        var outcome = ComputeGradients(x, labels);
        ApplyAdam();
        return outcome;
    }

    /// <summary>One Adam step on the images <paramref name="batch"/> of <paramref name="split"/>, gathered into
    /// this trainer's own input buffer.</summary>
    public (double LossSum, int Correct) Step(FashionMnistSplit split, ReadOnlySpan<int> batch)
    {
        var b = BuffersFor(batch.Length);
        Span<float> input = b.InputMemory.Span;
        Span<byte> labels = b.Labels;
        for (int i = 0; i < batch.Length; i++)
        {
            ScalePixels(split.Image(batch[i]), input.Slice(i * Inputs, Inputs));
            labels[i] = split.Labels[batch[i]];
        }

        return Step(b.Input, labels);
    }

    /// <summary>How many images of <paramref name="split"/> the current parameters classify right.</summary>
    public int CountCorrect(FashionMnistSplit split)
    {
        var b = buffers[EvaluationChunk];
        Span<float> input = b.InputMemory.Span;
        int correct = 0;
        for (int start = 0; start < split.Count; start += EvaluationChunk)
        {
            int length = Math.Min(EvaluationChunk, split.Count - start);
            ScalePixels(split.Pixels.AsSpan(start * Inputs, length * Inputs), input[..(length * Inputs)]);
            Forward(b, b.Input);
            ReadOnlySpan<float> logits = b.LogitsMemory.Span;
            for (int i = 0; i < length; i++)
            {
                correct += ArgMax(logits.Slice(i * Outputs, Outputs)) == split.Labels[start + i] ? 1 : 0;
            }
        }

        return correct;
    }

    /// <summary>The loss and its gradient for a batch (into <see cref="Gradients"/>), without updating anything.</summary>
    internal (double LossSum, int Correct) ComputeGradients(Tensor x, ReadOnlySpan<byte> labels)
    {
        int batch = labels.Length;
        var b = BuffersFor(batch);
        Forward(b, x);

        // Loss and its gradient: d(logits) = (softmax − one-hot) / batch, written over the logits.
        Span<float> logits = b.LogitsMemory.Span;
        Span<float> grads = gradientMemory.Span;
        Span<float> gradB2 = grads.Slice(b2Offset, Outputs);
        gradB2.Clear();
        double lossSum = 0;
        int correct = 0;
        float inverseBatch = 1f / batch;
        for (int i = 0; i < batch; i++)
        {
            var row = logits.Slice(i * Outputs, Outputs);
            int label = labels[i];
            int argmax = ArgMax(row);
            float max = row[argmax];
            correct += argmax == label ? 1 : 0;
            float sum = 0;
            for (int c = 0; c < Outputs; c++)
            {
                row[c] = MathF.Exp(row[c] - max);
                sum += row[c];
            }

            lossSum += Math.Log(sum) - Math.Log(row[label]);
            float inverseSum = 1f / sum;
            for (int c = 0; c < Outputs; c++)
            {
                float g = (row[c] * inverseSum - (c == label ? 1f : 0f)) * inverseBatch;
                row[c] = g;
                gradB2[c] += g;
            }
        }

        // Backward through the output layer (libtorch): dW2 = dLogitsᵀ·hidden, dHidden = dLogits·W2.
        gradW2.addmm_(b.LogitsT, b.Hidden, 0, 1);
        b.GradHidden.addmm_(b.Logits, w2, 0, 1);

        // Through the ReLU, and the hidden bias's gradient.
        Span<float> hidden = b.HiddenMemory.Span;
        Span<float> gradHidden = b.GradHiddenMemory.Span;
        Span<float> gradB1 = grads.Slice(b1Offset, hiddenUnits);
        gradB1.Clear();
        for (int i = 0; i < batch; i++)
        {
            var gh = gradHidden.Slice(i * hiddenUnits, hiddenUnits);
            MaskWhereZero(gh, hidden.Slice(i * hiddenUnits, hiddenUnits));
            System.Numerics.Tensors.TensorPrimitives.Add(gradB1, gh, gradB1);
        }

        gradW1.addmm_(b.GradHiddenT, x, 0, 1);
        return (lossSum, correct);
    }

    /// <summary>One step of torch.optim.Adam with the current <see cref="Gradients"/>.</summary>
    internal void ApplyAdam() => NextAdamStep().Update(parameterMemory.Span, firstMoment, secondMoment, 0, gradientMemory.Span);

    /// <summary>hidden = relu(x·W1ᵀ + b1), logits = hidden·W2ᵀ + b2 (libtorch, in place), for x's rows.</summary>
    private void Forward(BatchBuffers b, Tensor x)
    {
        b.Hidden.copy_(b.B1Rows);
        b.Hidden.addmm_(x, w1T, 1, 1);
        b.Hidden.relu_();
        b.Logits.copy_(b.B2Rows);
        b.Logits.addmm_(b.Hidden, w2T, 1, 1);
    }

    private BatchBuffers BuffersFor(int batch) => buffers.TryGetValue(batch, out var b)
        ? b
        : throw new ArgumentException($"No work tensors for a batch of {batch}; pass its size to the constructor.", nameof(batch));

    /// <summary>Pixel bytes to floats in [0, 1], rounded exactly as <see cref="PixelTensors.FromBytes"/> rounds them.</summary>
    private static void ScalePixels(ReadOnlySpan<byte> pixels, Span<float> scaled)
    {
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating(pixels, scaled);
        System.Numerics.Tensors.TensorPrimitives.Divide(scaled, 255f, scaled);
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

    private AdamUpdate NextAdamStep()
    {
        step++;
        return new AdamUpdate(
            (float)options.Beta1,
            (float)(1 - options.Beta1),
            (float)options.Beta2,
            (float)(1 - options.Beta2),
            (float)(options.LearningRate / (1 - Math.Pow(options.Beta1, step))),
            (float)(1 / Math.Sqrt(1 - Math.Pow(options.Beta2, step))),
            (float)options.Epsilon);
    }

    /// <summary>torch.optim.Adam's update for one step t, over any range of the flat buffers:
    /// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε). Like torch, 1−β is
    /// computed in double before rounding to float: 1 − 0.999f is 1.3e-5 away from 0.001f.</summary>
    /// <remarks>
    /// Moments below <see cref="Tiny"/> are flushed to zero. Inputs that are always 0 (the images' borders) give
    /// W1 columns whose gradient is always 0, so their moments decay geometrically into denormal floats, on which
    /// x86 arithmetic is about a hundred times slower — that alone made the update several times slower. A moment
    /// that small moves its parameter by less than 1e-26, far below a float's resolution of the parameter.
    /// </remarks>
    private readonly record struct AdamUpdate(float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float StepSize, float InverseSqrtCorrection2, float Epsilon)
    {
        private const float Tiny = 1e-30f;

        public void Update(Span<float> parameters, Span<float> firstMoment, Span<float> secondMoment, int offset, ReadOnlySpan<float> gradient)
        {
            var p = parameters.Slice(offset, gradient.Length);
            var m = firstMoment.Slice(offset, gradient.Length);
            var v = secondMoment.Slice(offset, gradient.Length);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var vBeta1 = new Vector<float>(Beta1);
                var vOneMinusBeta1 = new Vector<float>(OneMinusBeta1);
                var vBeta2 = new Vector<float>(Beta2);
                var vOneMinusBeta2 = new Vector<float>(OneMinusBeta2);
                var vStep = new Vector<float>(StepSize);
                var vCorrection = new Vector<float>(InverseSqrtCorrection2);
                var vEpsilon = new Vector<float>(Epsilon);
                var vTiny = new Vector<float>(Tiny);
                var pv = MemoryMarshal.Cast<float, Vector<float>>(p);
                var gv = MemoryMarshal.Cast<float, Vector<float>>(gradient);
                var mv = MemoryMarshal.Cast<float, Vector<float>>(m);
                var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
                for (int k = 0; k < pv.Length; k++)
                {
                    var g = gv[k];
                    var newM = vBeta1 * mv[k] + vOneMinusBeta1 * g;
                    var newV = vBeta2 * vv[k] + vOneMinusBeta2 * g * g;
                    newM = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(Vector.Abs(newM), vTiny), newM, Vector<float>.Zero);
                    newV = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(newV, vTiny), newV, Vector<float>.Zero);
                    mv[k] = newM;
                    vv[k] = newV;
                    pv[k] -= vStep * newM / (Vector.SquareRoot(newV) * vCorrection + vEpsilon);
                }

                i = pv.Length * Vector<float>.Count;
            }

            for (; i < p.Length; i++)
            {
                m[i] = Beta1 * m[i] + OneMinusBeta1 * gradient[i];
                v[i] = Beta2 * v[i] + OneMinusBeta2 * gradient[i] * gradient[i];
                m[i] = MathF.Abs(m[i]) >= Tiny ? m[i] : 0;
                v[i] = v[i] >= Tiny ? v[i] : 0;
                p[i] -= StepSize * m[i] / (MathF.Sqrt(v[i]) * InverseSqrtCorrection2 + Epsilon);
            }
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

    private static Tensor Matrix(Tensor flat, int offset, int rows, int columns)
    {
        using var range = flat.narrow(0, offset, rows * columns);
        return range.view(rows, columns);
    }

    /// <summary>The tensor's memory, fetched once: libtorch never moves a tensor's storage while it lives.</summary>
    internal sealed unsafe class Pinned(Tensor tensor)
    {
        private readonly float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
        private readonly int length = (int)tensor.numel();

        public Span<float> Span => new(start, length);
    }

    public void Dispose()
    {
        foreach (var b in buffers.Values)
        {
            b.Dispose();
        }

        foreach (var t in new[] { w1T, w2T, gradW1, b1Gradient, gradW2, b2Gradient, w1, b1, w2, b2, parameters, gradients })
        {
            t.Dispose();
        }
    }

    /// <summary>The per-batch-size tensors a step works in, allocated once.</summary>
    private sealed class BatchBuffers : IDisposable
    {
        public BatchBuffers(int batch, int hiddenUnits, Tensor b1, Tensor b2)
        {
            Input = zeros(batch, Inputs);
            Labels = new byte[batch];
            Hidden = zeros(batch, hiddenUnits);
            GradHidden = zeros(batch, hiddenUnits);
            Logits = zeros(batch, Outputs);
            LogitsT = Logits.t();
            GradHiddenT = GradHidden.t();
            using (var row = b1.unsqueeze(0))
            {
                B1Rows = row.expand(batch, hiddenUnits);
            }

            using (var row = b2.unsqueeze(0))
            {
                B2Rows = row.expand(batch, Outputs);
            }
            foreach (var t in All)
            {
                t.DetachFromDisposeScope();
            }

            InputMemory = new Pinned(Input);
            HiddenMemory = new Pinned(Hidden);
            GradHiddenMemory = new Pinned(GradHidden);
            LogitsMemory = new Pinned(Logits);
        }

        public Pinned InputMemory { get; }
        public Pinned HiddenMemory { get; }
        public Pinned GradHiddenMemory { get; }
        public Pinned LogitsMemory { get; }

        public Tensor Input { get; }
        public byte[] Labels { get; }
        public Tensor Hidden { get; }
        public Tensor GradHidden { get; }
        public Tensor Logits { get; }
        public Tensor LogitsT { get; }
        public Tensor GradHiddenT { get; }
        public Tensor B1Rows { get; }
        public Tensor B2Rows { get; }

        private Tensor[] All => [Input, Hidden, GradHidden, Logits, LogitsT, GradHiddenT, B1Rows, B2Rows];

        public void Dispose()
        {
            foreach (var t in All)
            {
                t.Dispose();
            }
        }
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Training;

/// <summary>
/// One training step of <see cref="FashionMlp"/> without autograd or per-step allocations. The four parameters
/// live in one flat tensor (as do their gradients), so that Adam is a vectorised pass over flat memory. The two
/// large products — the first layer forward, and its weights' gradient — run in C# (<see cref="MatrixKernels"/>);
/// the small ones of the output layer run in libtorch, single-threaded, in place into preallocated tensors; the
/// gradients of this two-layer network are written out directly; everything element-wise runs in C# over the
/// tensors' own memory. The
/// mathematics is exactly PyTorch's: softmax cross-entropy averaged over the batch, and <c>torch.optim.Adam</c>
/// (no weight decay, no AMSGrad).
/// </summary>
/// <remarks>
/// <para>The hidden units are split into two fixed halves (<see cref="HiddenSlice"/>). Everything but the softmax
/// is independent per half — the hidden activations, the partial logits, both weight gradients, Adam — so two
/// threads each own one half and meet at two barriers a step: once the batch is gathered, and once both partial
/// logits exist. libtorch's own OpenMP threads should not be used: on two cores they spun against this code, and
/// at batch 32 a product split inside libtorch gained less than the spinning cost (see bench/README.md and its
/// results). The helper thread sets libtorch to one thread for itself; the caller's thread runs with whatever it
/// has set, which <see cref="Trainer.Train"/> makes one thread for the run. The split is part of the arithmetic,
/// not of the threading, so with libtorch single-threaded on both, one thread or two give bit-identical
/// weights.</para>
/// <para>The batch is gathered from the pixel bytes straight into one of two preallocated input tensors, taken in
/// turn, so an epoch allocates nothing and the next step's gather never waits for this step's last reader.</para>
/// </remarks>
internal sealed class FusedAdamTrainer : IDisposable
{
    private const int Inputs = FashionMlp.Inputs;
    private const int Outputs = FashionMlp.Outputs;
    private const int EvaluationChunk = 500;

    private readonly TrainingOptions options;
    private readonly int hiddenUnits;
    private readonly int b1Offset, w2Offset, b2Offset;
    private readonly float[] firstMoment;
    private readonly float[] secondMoment;
    private readonly Tensor parameters;
    private readonly Tensor gradients;
    private readonly Tensor w1, b1, w2, b2;
    private readonly Tensor gradW1, b1Gradient, gradW2, b2Gradient;
    private readonly HiddenSlice[] slices;
    private readonly Dictionary<int, BatchBuffers> buffers = [];
    private readonly BatchBuffers[] evaluationBuffers;
    private readonly Pinned parameterMemory;
    private readonly Pinned gradientMemory;
    private readonly SpinBarrier barrier;
    private readonly Thread? helper;
    private long step;

    // The work handed to the helper thread: written by the caller's thread before it bumps dispatched.
    private bool pendingEvaluation;
    private int pendingFrom, pendingTo, helperCorrect;
    private FashionMnistSplit? pendingSplit;
    private ReadOnlyMemory<int> pendingBatch;
    private int pendingParity;
    private AdamUpdate pendingUpdate;
    private long dispatched, completed, helperAllocatedBytes;
    private volatile bool stopping;
    private int parity;

    /// <param name="initial">The model whose parameters (and width) training starts from.</param>
    /// <param name="options">The Adam hyperparameters.</param>
    /// <param name="batchSizes">Every batch size a step will see (the last batch may be smaller); their work
    /// tensors are allocated here, once.</param>
    /// <param name="threads">Threads a gathered step runs on: 1, or 2 (one per half of the hidden units). By
    /// default 2 when the machine has two cores or more.</param>
    public FusedAdamTrainer(FashionMlp initial, TrainingOptions options, IEnumerable<int> batchSizes, int? threads = null)
    {
        this.options = options;
        hiddenUnits = initial.Width;
        int count = FashionMlp.ParameterCountFor(hiddenUnits);
        b1Offset = hiddenUnits * Inputs;
        w2Offset = b1Offset + hiddenUnits;
        b2Offset = w2Offset + Outputs * hiddenUnits;
        firstMoment = new float[count];
        secondMoment = new float[count];
        parameters = zeros(count);
        gradients = zeros(count);
        w1 = Matrix(parameters, 0, hiddenUnits, Inputs);
        b1 = parameters.narrow(0, b1Offset, hiddenUnits);
        w2 = Matrix(parameters, w2Offset, Outputs, hiddenUnits);
        b2 = parameters.narrow(0, b2Offset, Outputs);
        gradW1 = Matrix(gradients, 0, hiddenUnits, Inputs);
        b1Gradient = gradients.narrow(0, b1Offset, hiddenUnits);
        gradW2 = Matrix(gradients, w2Offset, Outputs, hiddenUnits);
        b2Gradient = gradients.narrow(0, b2Offset, Outputs);
        foreach (var t in new[] { parameters, gradients, w1, b1, w2, b2, gradW1, b1Gradient, gradW2, b2Gradient })
        {
            t.DetachFromDisposeScope(); // owned by this object, whatever scope constructs it
        }

        int firstHalf = hiddenUnits / 2;
        slices = hiddenUnits < 2
            ? [new HiddenSlice(this, 0, 0, hiddenUnits)]
            : [new HiddenSlice(this, 0, 0, firstHalf), new HiddenSlice(this, 1, firstHalf, hiddenUnits - firstHalf)];
        foreach (int size in batchSizes.Distinct())
        {
            buffers[size] = new BatchBuffers(size, slices, b2);
        }

        evaluationBuffers = [new BatchBuffers(EvaluationChunk, slices, b2), new BatchBuffers(EvaluationChunk, slices, b2)];

        parameterMemory = new Pinned(parameters);
        gradientMemory = new Pinned(gradients);
        using (no_grad())
        {
            w1.copy_(initial.Hidden.weight!);
            b1.copy_(initial.Hidden.bias!);
            w2.copy_(initial.Output.weight!);
            b2.copy_(initial.Output.bias!);
        }

        int threadCount = Math.Min(slices.Length, threads ?? Math.Min(2, Environment.ProcessorCount));
        barrier = new SpinBarrier(threadCount);
        if (threadCount > 1)
        {
            helper = new Thread(HelperLoop) { IsBackground = true, Name = "FusedAdamTrainer helper" };
            helper.Start();
        }
    }

    public int HiddenUnits => hiddenUnits;

    /// <summary>The number of Adam steps taken so far (Adam's t).</summary>
    public long AdamStep => step;

    /// <summary>How many pieces of work (steps, evaluations) the helper thread has finished.</summary>
    internal long HelperWorkDone => Volatile.Read(ref completed);

    /// <summary>What the helper thread has allocated in its life, as of its last finished step (0 without one).</summary>
    internal long HelperThreadAllocatedBytes
    {
        get
        {
            Quiesce();
            return Volatile.Read(ref helperAllocatedBytes);
        }
    }

    /// <summary>When set, every gathered step adds the time of each of its phases (on the caller's thread) here.</summary>
    internal StepPhaseTimes? Phases { get; set; }

    /// <summary>The current parameters, [width×784 weights, width, 10×width, 10] as views of the flat tensor.</summary>
    public (Tensor W1, Tensor B1, Tensor W2, Tensor B2) Parameters
    {
        get
        {
            Quiesce();
            return (w1, b1, w2, b2);
        }
    }

    /// <summary>The gradients of the last <see cref="ComputeGradients"/>, in the parameters' layout; writable, so
    /// that a test can hand the Adam update a gradient of its choosing.</summary>
    internal (Tensor W1, Tensor B1, Tensor W2, Tensor B2) Gradients
    {
        get
        {
            Quiesce();
            return (gradW1, b1Gradient, gradW2, b2Gradient);
        }
    }

    public ModelWeights Weights()
    {
        Quiesce();
        float[] flat = parameterMemory.Span.ToArray();
        return ModelWeights.FromTensors(
        [
            new NamedTensor("hidden.weight", [hiddenUnits, Inputs], flat[..b1Offset]),
            new NamedTensor("hidden.bias", [hiddenUnits], flat[b1Offset..w2Offset]),
            new NamedTensor("output.weight", [Outputs, hiddenUnits], flat[w2Offset..b2Offset]),
            new NamedTensor("output.bias", [Outputs], flat[b2Offset..]),
        ]);
    }

    /// <summary>Copies the flat parameters and both Adam moments out (each as long as the parameters).</summary>
    public void CopyStateTo(Span<float> parametersOut, Span<float> firstMomentOut, Span<float> secondMomentOut)
    {
        Quiesce();
        parameterMemory.Span.CopyTo(parametersOut);
        firstMoment.CopyTo(firstMomentOut);
        secondMoment.CopyTo(secondMomentOut);
    }

    /// <summary>Continues from a saved state: the flat parameters, both moments and Adam's step count.</summary>
    public void RestoreState(ReadOnlySpan<float> savedParameters, ReadOnlySpan<float> savedFirstMoment, ReadOnlySpan<float> savedSecondMoment, long adamStep)
    {
        Quiesce();
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
    /// Runs on the caller's thread alone. Returns the batch's summed loss and the number it classified right
    /// before the update.
    /// </summary>
    public (double LossSum, int Correct) Step(Tensor x, ReadOnlySpan<byte> labels)
    {
        var outcome = ComputeGradients(x, labels);
        ApplyAdam();
        return outcome;
    }

    /// <summary>One Adam step on the images <paramref name="batch"/> of <paramref name="split"/>, gathered into this
    /// trainer's own input buffer, on all of its threads. Returns when the caller's half is done; the helper may
    /// still be finishing its own, which the next step (or any read of the state) waits for.</summary>
    public (double LossSum, int Correct) Step(FashionMnistSplit split, ReadOnlyMemory<int> batch)
    {
        Phases?.StartStep();
        barrier.ThrowIfBroken();
        var b = BuffersFor(batch.Length);
        parity ^= 1;
        if (helper is null)
        {
            Gather(split, batch.Span, b, parity, 0, batch.Length);
            Phases?.End(StepPhase.Gather);
            return StepOnThisThread(b, parity, b.Labels[parity].AsSpan(0, batch.Length));
        }

        var update = NextAdamStep();
        pendingEvaluation = false;
        pendingSplit = split;
        pendingBatch = batch;
        pendingParity = parity;
        pendingUpdate = update;
        Interlocked.Increment(ref dispatched);
        try
        {
            return RunSlice(slices[0], split, batch.Span, b, parity, update);
        }
        catch (Exception e)
        {
            barrier.Break(e); // the helper, waiting for this thread at a barrier, stops instead of hanging
            throw;
        }
    }

    /// <summary>How many images of <paramref name="split"/> the current parameters classify right. With two
    /// threads each takes half the chunks (the same chunks as one thread takes, so the same logits).</summary>
    public int CountCorrect(FashionMnistSplit split)
    {
        Quiesce();
        int middle = split.Count / 2 / EvaluationChunk * EvaluationChunk;
        if (helper is null || middle == 0)
        {
            return CountCorrect(split, 0, split.Count, evaluationBuffers[0]);
        }

        pendingEvaluation = true;
        pendingSplit = split;
        (pendingFrom, pendingTo) = (middle, split.Count);
        Interlocked.Increment(ref dispatched);
        int correct;
        try
        {
            correct = CountCorrect(split, 0, middle, evaluationBuffers[0]);
        }
        catch (Exception e)
        {
            barrier.Break(e);
            throw;
        }

        Quiesce();
        return correct + helperCorrect;
    }

    private int CountCorrect(FashionMnistSplit split, int from, int to, BatchBuffers b)
    {
        Span<float> input = b.InputMemory[0].Span;
        int correct = 0;
        for (int start = from; start < to; start += EvaluationChunk)
        {
            int length = Math.Min(EvaluationChunk, to - start);
            ScalePixels(split.Pixels.AsSpan(start * Inputs, length * Inputs), input[..(length * Inputs)]);
            foreach (var slice in slices)
            {
                slice.Forward(b, b.InputMemory[0], MatrixKernels.PaddedRows(length));
            }

            Span<float> logits = b.Slices[0].DLogitsMemory.Span;
            for (int i = 0; i < length; i++)
            {
                var row = logits.Slice(i * Outputs, Outputs);
                SumLogits(b, i, row);
                correct += ArgMax(row) == split.Labels[start + i] ? 1 : 0;
            }
        }

        return correct;
    }

    /// <summary>The loss and its gradient for a batch (into <see cref="Gradients"/>), without updating anything,
    /// on the caller's thread alone.</summary>
    internal (double LossSum, int Correct) ComputeGradients(Tensor x, ReadOnlySpan<byte> labels)
    {
        Quiesce();
        var b = BuffersFor(labels.Length);
        using (var rows = x.contiguous())
        {
            MemoryMarshal.Cast<byte, float>(rows.bytes).CopyTo(b.InputMemory[0].Span);
        }

        return ComputeGradients(b, 0, labels);
    }

    /// <summary>One Adam step on the batch already in input buffer <paramref name="inputParity"/>, on this thread.</summary>
    private (double LossSum, int Correct) StepOnThisThread(BatchBuffers b, int inputParity, ReadOnlySpan<byte> labels)
    {
        var outcome = ComputeGradients(b, inputParity, labels);
        ApplyAdam();
        return outcome;
    }

    private (double LossSum, int Correct) ComputeGradients(BatchBuffers b, int inputParity, ReadOnlySpan<byte> labels)
    {
        var x = b.InputMemory[inputParity];
        foreach (var slice in slices)
        {
            slice.Forward(b, x, b.PaddedRows);
        }

        Phases?.End(StepPhase.ForwardProducts);
        (double LossSum, int Correct) outcome = default;
        foreach (var slice in slices)
        {
            var sliceOutcome = LossGradient(slice, b, labels);
            outcome = slice.Index == 0 ? sliceOutcome : outcome;
        }

        Phases?.End(StepPhase.SoftmaxLoss);
        foreach (var slice in slices)
        {
            slice.Backward(b, x, Phases);
        }

        return outcome;
    }

    /// <summary>One step of torch.optim.Adam with the current <see cref="Gradients"/>, on the caller's thread.</summary>
    internal void ApplyAdam()
    {
        Quiesce();
        var update = NextAdamStep();
        foreach (var slice in slices)
        {
            slice.Adam(update);
        }

        Phases?.End(StepPhase.Adam);
    }

    /// <summary>One thread's share of a gathered step: its rows of the gather, then its half of the model.</summary>
    private (double LossSum, int Correct) RunSlice(HiddenSlice slice, FashionMnistSplit split, ReadOnlySpan<int> batch, BatchBuffers b, int inputParity, AdamUpdate update)
    {
        int half = batch.Length / 2;
        if (slice.Index == 0)
        {
            Gather(split, batch, b, inputParity, 0, half);
        }
        else
        {
            Gather(split, batch, b, inputParity, half, batch.Length);
        }

        var phases = slice.Index == 0 ? Phases : null;
        barrier.SignalAndWait();
        phases?.End(StepPhase.Gather);
        var x = b.InputMemory[inputParity];
        slice.Forward(b, x, b.PaddedRows);
        phases?.End(StepPhase.ForwardProducts);
        barrier.SignalAndWait();
        var outcome = LossGradient(slice, b, b.Labels[inputParity].AsSpan(0, batch.Length));
        phases?.End(StepPhase.SoftmaxLoss);
        slice.Backward(b, x, phases);
        slice.Adam(update);
        phases?.End(StepPhase.Adam);
        return outcome;
    }

    private void HelperLoop()
    {
        set_num_threads(1); // OpenMP and MKL read this thread's own setting for the products it runs
        var spin = new ShortWait();
        while (true)
        {
            while (Volatile.Read(ref dispatched) == completed && !stopping)
            {
                spin.SpinOnce();
            }

            if (stopping)
            {
                return;
            }

            spin = new ShortWait();
            try
            {
                var split = pendingSplit!;
                if (pendingEvaluation)
                {
                    helperCorrect = CountCorrect(split, pendingFrom, pendingTo, evaluationBuffers[1]);
                }
                else
                {
                    var batch = pendingBatch;
                    RunSlice(slices[1], split, batch.Span, buffers[batch.Length], pendingParity, pendingUpdate);
                }
            }
            catch (Exception e)
            {
                barrier.Break(e);
            }

            Volatile.Write(ref helperAllocatedBytes, GC.GetAllocatedBytesForCurrentThread());
            Volatile.Write(ref completed, completed + 1);
        }
    }

    /// <summary>Waits until the helper has finished every step handed to it.</summary>
    private void Quiesce()
    {
        var spin = new ShortWait();
        while (Volatile.Read(ref completed) != Volatile.Read(ref dispatched))
        {
            spin.SpinOnce();
        }

        barrier.ThrowIfBroken();
    }

    /// <summary>d(logits) = (softmax − one-hot) / batch for the whole batch, into the slice's own copy; slice 0
    /// also writes the output bias's gradient and returns the summed loss and the number classified right.</summary>
    private (double LossSum, int Correct) LossGradient(HiddenSlice slice, BatchBuffers b, ReadOnlySpan<byte> labels)
    {
        int batch = labels.Length;
        Span<float> logits = b.Slices[slice.Index].DLogitsMemory.Span;
        Span<float> gradB2 = gradientMemory.Span.Slice(b2Offset, Outputs);
        bool first = slice.Index == 0;
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

    /// <summary>Row <paramref name="i"/>'s logits: the slices' partial logits (slice 0's include b2), always added
    /// in slice order. b2 is read only by slice 0's forward pass, so its update never races a reader.</summary>
    private static void SumLogits(BatchBuffers b, int i, Span<float> row)
    {
        b.Slices[0].PartialLogitsMemory.Span.Slice(i * Outputs, Outputs).CopyTo(row);
        foreach (var s in b.Slices.AsSpan(1))
        {
            System.Numerics.Tensors.TensorPrimitives.Add(row, s.PartialLogitsMemory.Span.Slice(i * Outputs, Outputs), row);
        }
    }

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

    private BatchBuffers BuffersFor(int batch) => buffers.TryGetValue(batch, out var b)
        ? b
        : throw new ArgumentException($"No work tensors for a batch of {batch}; pass its size to the constructor.", nameof(batch));

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

    private static Tensor Matrix(Tensor flat, int offset, int rows, int columns)
    {
        using var range = flat.narrow(0, offset, rows * columns);
        return range.view(rows, columns);
    }

    public void Dispose()
    {
        if (helper is not null)
        {
            try
            {
                Quiesce();
            }
            catch (Exception)
            {
                // the failure was reported by the step that met it
            }

            stopping = true;
            helper.Join();
        }

        foreach (var b in buffers.Values.Concat(evaluationBuffers))
        {
            b.Dispose();
        }

        foreach (var slice in slices)
        {
            slice.Dispose();
        }

        foreach (var t in new[] { gradW1, b1Gradient, gradW2, b2Gradient, w1, b1, w2, b2, parameters, gradients })
        {
            t.Dispose();
        }
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

        public void Update(Span<float> parameters, Span<float> firstMoment, Span<float> secondMoment, int offset, ReadOnlySpan<float> gradients, int length)
        {
            var p = parameters.Slice(offset, length);
            var m = firstMoment.Slice(offset, length);
            var v = secondMoment.Slice(offset, length);
            var gradient = gradients.Slice(offset, length);
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

    /// <summary>
    /// A contiguous range of hidden units and everything that depends on it alone: its rows of W1 and b1, its
    /// columns of W2, their gradients, and its part of the logits.
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
            System.Numerics.Tensors.TensorPrimitives.Max(hidden, 0f, hidden);
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
                System.Numerics.Tensors.TensorPrimitives.Add(gradB1, gh, gradB1);
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

        public void Dispose()
        {
            foreach (var t in new[] { w2, w2T, gradW2 })
            {
                t.Dispose();
            }
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

using System.Runtime.InteropServices;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Training;

/// <summary>
/// One training step of <see cref="FashionMlp"/> without autograd or per-step allocations. The mathematics is
/// exactly PyTorch's: softmax cross-entropy averaged over the batch, and <c>torch.optim.Adam</c> (no weight decay,
/// no AMSGrad; <see cref="AdamUpdate"/>).
/// </summary>
/// <remarks>
/// <para>The four parameters live in one flat tensor, as do their gradients, so that Adam is a vectorised pass over
/// flat memory. The two large products (the first layer forward, and its weights' gradient) run in C#
/// (<see cref="MatrixKernels"/>); the small ones of the output layer run in libtorch, single-threaded, in place into
/// preallocated tensors (<see cref="BatchBuffers"/>); the gradients of this two-layer network are written out
/// directly; everything element-wise runs in C# over the tensors' own memory.</para>
/// <para>The hidden units are split into two fixed halves (<see cref="HiddenSlice"/>). Everything but the softmax is
/// independent per half, so two threads each own one half (the helper thread runs the second:
/// FusedAdamTrainer.HelperThread.cs has the rule that orders their accesses). libtorch's own OpenMP threads are
/// not used: on two cores they spin against this code. The helper thread sets libtorch to one thread for itself;
/// the caller's thread runs with whatever it has set, which <see cref="Trainer.Train"/> makes one thread for the
/// run. The split is part of the arithmetic, not of the threading, so with libtorch single-threaded on both, one
/// thread or two give bit-identical weights. bench/trainer-notes.md has the measurements behind these choices.</para>
/// </remarks>
internal sealed partial class FusedAdamTrainer : IDisposable
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
    private long step;
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
        helper = threadCount > 1 ? StartHelper() : null;
    }

    public int HiddenUnits => hiddenUnits;

    /// <summary>The number of Adam steps taken so far (Adam's t).</summary>
    public long AdamStep => step;

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
        DispatchStep(split, batch, parity, update);
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

        DispatchEvaluation(split, middle, split.Count);
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
            var sliceOutcome = slice.LossGradient(b, labels);
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
        var outcome = slice.LossGradient(b, b.Labels[inputParity].AsSpan(0, batch.Length));
        phases?.End(StepPhase.SoftmaxLoss);
        slice.Backward(b, x, phases);
        slice.Adam(update);
        phases?.End(StepPhase.Adam);
        return outcome;
    }

    private AdamUpdate NextAdamStep() => AdamUpdate.ForStep(options, ++step);

    private static Tensor Matrix(Tensor flat, int offset, int rows, int columns)
    {
        using var range = flat.narrow(0, offset, rows * columns);
        return range.view(rows, columns);
    }

    public void Dispose()
    {
        StopHelper();
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
}

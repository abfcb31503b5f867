using FashionFunctions.Core.Data;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Training;

/// <summary>
/// The helper thread, which runs hidden slice 1 of every gathered step and half of every evaluation while the
/// caller's thread runs the rest.
/// </summary>
/// <remarks>
/// <para><b>The happens-before rule</b>, on which every access to state the two threads share relies:</para>
/// <list type="bullet">
/// <item>Caller → helper: the caller writes the work (the <c>pending…</c> fields) and only then counts it in
/// <see cref="dispatched"/> with an interlocked increment (a full fence); the helper reads
/// <see cref="dispatched"/> with <see cref="Volatile.Read{T}(ref readonly T)"/> before it reads the work.</item>
/// <item>Helper → caller: the helper finishes writing everything it produces (its slice's parameters, moments,
/// gradients and work tensors, <see cref="helperCorrect"/>, <see cref="helperAllocatedBytes"/>) and only then
/// publishes <see cref="completed"/> with <see cref="Volatile.Write{T}(ref T, T)"/>; the caller reads any of it only
/// after <see cref="Quiesce"/> has seen <c>completed == dispatched</c> with <see cref="Volatile.Read{T}(ref readonly T)"/>.
/// So every member that reads or writes trainer state outside a gathered step calls <see cref="Quiesce"/> first.</item>
/// <item>Within a gathered step the two threads meet at <see cref="barrier"/> twice (its interlocked operations are
/// full fences): after the gather, so both halves of the input exist before either forward pass, and after the
/// forward passes, so both partial logits exist before either softmax. Anything else one thread writes during a
/// step, the other does not touch: each slice owns its parameters, gradients, moments and work tensors.</item>
/// <item>A gathered step returns without waiting for the helper's half, so the next step may be dispatched while
/// the helper still finishes the last one. That is safe because the helper has read the work before it meets the
/// first barrier (which the caller's step waited at), because the next step gathers into the other input buffer,
/// and because the helper starts the next step only after finishing this one.</item>
/// </list>
/// <para>A thread that fails breaks the barrier, so the other one throws instead of waiting for it forever.</para>
/// </remarks>
internal sealed partial class FusedAdamTrainer
{
    private readonly Thread? helper;

    // The work handed to the helper: written by the caller's thread before Dispatch counts it.
    private bool pendingEvaluation;
    private int pendingFrom, pendingTo;
    private FashionMnistSplit? pendingSplit;
    private ReadOnlyMemory<int> pendingBatch;
    private int pendingParity;
    private AdamUpdate pendingUpdate;

    // What the helper hands back: written by the helper before it publishes completed.
    private int helperCorrect;
    private long helperAllocatedBytes;

    private long dispatched, completed;
    private volatile bool stopping;

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

    private Thread StartHelper()
    {
        var thread = new Thread(HelperLoop) { IsBackground = true, Name = "FusedAdamTrainer helper" };
        thread.Start();
        return thread;
    }

    /// <summary>Hands the helper slice 1 of a gathered step.</summary>
    private void DispatchStep(FashionMnistSplit split, ReadOnlyMemory<int> batch, int inputParity, AdamUpdate update)
    {
        pendingEvaluation = false;
        pendingSplit = split;
        pendingBatch = batch;
        pendingParity = inputParity;
        pendingUpdate = update;
        Interlocked.Increment(ref dispatched);
    }

    /// <summary>Hands the helper the images <paramref name="from"/> to <paramref name="to"/> of an evaluation.</summary>
    private void DispatchEvaluation(FashionMnistSplit split, int from, int to)
    {
        pendingEvaluation = true;
        pendingSplit = split;
        (pendingFrom, pendingTo) = (from, to);
        Interlocked.Increment(ref dispatched);
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

    /// <summary>Waits until the helper has finished every piece of work handed to it, then rethrows what either
    /// thread failed with.</summary>
    private void Quiesce()
    {
        var spin = new ShortWait();
        while (Volatile.Read(ref completed) != Volatile.Read(ref dispatched))
        {
            spin.SpinOnce();
        }

        barrier.ThrowIfBroken();
    }

    /// <summary>Lets the helper finish its work, then ends it.</summary>
    private void StopHelper()
    {
        if (helper is null)
        {
            return;
        }

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
}

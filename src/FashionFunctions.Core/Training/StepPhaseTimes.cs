using System.Diagnostics;

namespace FashionFunctions.Core.Training;

/// <summary>The parts of one training step, in the order a step runs them.</summary>
internal enum StepPhase
{
    Gather,
    ForwardProducts,
    SoftmaxLoss,
    OutputBackwardProducts,
    ReluAndHiddenBias,
    InputWeightGradientProduct,
    Adam,
}

/// <summary>
/// Where a step's time goes: <see cref="FusedAdamTrainer"/> adds each phase's elapsed ticks here when one is
/// attached (the benchmark's per-step budget). Not thread-safe; one trainer at a time.
/// </summary>
internal sealed class StepPhaseTimes
{
    private readonly long[] ticks = new long[Enum.GetValues<StepPhase>().Length];
    private long last;

    public long Steps { get; private set; }

    public void StartStep()
    {
        Steps++;
        last = Stopwatch.GetTimestamp();
    }

    public void End(StepPhase phase)
    {
        long now = Stopwatch.GetTimestamp();
        ticks[(int)phase] += now - last;
        last = now;
    }

    /// <summary>Mean microseconds per step spent in <paramref name="phase"/>.</summary>
    public double MicrosecondsPerStep(StepPhase phase) =>
        Steps == 0 ? 0 : ticks[(int)phase] * 1e6 / Stopwatch.Frequency / Steps;
}

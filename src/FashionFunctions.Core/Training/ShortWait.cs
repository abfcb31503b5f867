using System.Diagnostics;

namespace FashionFunctions.Core.Training;

/// <summary>
/// Waiting for another training thread: spinning and yielding for the first <see cref="SleepAfterMilliseconds"/>
/// ms — a step's waits last microseconds, and a thread that sleeps wakes a millisecond later — then sleeping
/// between checks, so a long pause (an evaluation, a checkpoint upload) does not burn a core.
/// </summary>
internal struct ShortWait
{
    private const double SleepAfterMilliseconds = 2;
    private SpinWait spin;
    private long started;

    public void SpinOnce()
    {
        if (started == 0)
        {
            started = Stopwatch.GetTimestamp();
        }

        if (Stopwatch.GetElapsedTime(started).TotalMilliseconds < SleepAfterMilliseconds)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        else
        {
            spin.SpinOnce();
        }
    }
}

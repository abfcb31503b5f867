namespace FashionFunctions.Core.Training;

/// <summary>
/// A reusable barrier for a fixed number of threads that spins, then yields, then sleeps while it waits (<see cref="ShortWait"/>). A
/// training step's waits last microseconds, less than <see cref="Barrier"/>'s blocking wake-up costs. A
/// participant that fails calls <see cref="Break"/>, and every wait then throws instead of hanging.
/// </summary>
internal sealed class SpinBarrier(int participants)
{
    private readonly int participants = participants;
    private int remaining = participants;
    private int generation;
    private Exception? fault;

    public void SignalAndWait()
    {
        int arrivedIn = Volatile.Read(ref generation);
        if (Interlocked.Decrement(ref remaining) == 0)
        {
            Volatile.Write(ref remaining, participants);
            Interlocked.Increment(ref generation);
            return;
        }

        var spin = new ShortWait();
        while (Volatile.Read(ref generation) == arrivedIn)
        {
            ThrowIfBroken();
            spin.SpinOnce();
        }
    }

    /// <summary>Makes every current and future wait throw, with <paramref name="reason"/> as the inner exception.</summary>
    public void Break(Exception reason)
    {
        Interlocked.CompareExchange(ref fault, reason, null);
    }

    /// <summary>Rethrows what the failed participant threw (its type and message: that is what a job records).</summary>
    public void ThrowIfBroken()
    {
        if (Volatile.Read(ref fault) is { } reason)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(reason);
        }
    }
}

namespace FashionFunctions.Core.Training;

/// <summary>
/// The order an epoch visits the training images in: a Fisher–Yates shuffle driven by SplitMix64 seeded from
/// (seed, epoch) alone. A pure function, so a run resumed at any epoch needs no random-number state, and no
/// generator is shared with other threads.
/// </summary>
internal static class EpochOrder
{
    public static void Fill(long seed, int epoch, Span<int> order)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        ulong state = Mix((ulong)seed) ^ Mix(0x9E3779B97F4A7C15UL * (ulong)epoch);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)Below(ref state, (uint)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>A uniform integer in [0, bound), without modulo bias (Lemire's multiply-and-reject).</summary>
    private static uint Below(ref ulong state, uint bound)
    {
        while (true)
        {
            ulong product = (ulong)(uint)Next(ref state) * bound;
            if ((uint)product >= unchecked(0u - bound) % bound)
            {
                return (uint)(product >> 32);
            }
        }
    }

    private static ulong Next(ref ulong state) => Mix(state += 0x9E3779B97F4A7C15UL);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

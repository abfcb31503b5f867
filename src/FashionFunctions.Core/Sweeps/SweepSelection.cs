namespace FashionFunctions.Core.Sweeps;

/// <summary>
/// The one rule that chooses a sweep's winner (and its leader while it runs), for the API and the CLI alike:
/// highest validation accuracy; on a tie the smaller model (fewer parameters); then the earlier point.
/// Test accuracy is deliberately not an input — choosing on the test set would leak it into the choice.
/// </summary>
public static class SweepSelection
{
    /// <summary>Orders candidates best first.</summary>
    public static IComparer<SweepCandidate> BestFirst { get; } = Comparer<SweepCandidate>.Create(static (a, b) =>
    {
        int byAccuracy = b.ValidationAccuracy.CompareTo(a.ValidationAccuracy);
        if (byAccuracy != 0)
        {
            return byAccuracy;
        }

        int bySize = a.ParameterCount.CompareTo(b.ParameterCount);
        return bySize != 0 ? bySize : a.PointIndex.CompareTo(b.PointIndex);
    });

    /// <summary>The best candidate, or null when there is none (no point has finished with a validation accuracy).</summary>
    public static SweepCandidate? Best(IEnumerable<SweepCandidate> candidates) =>
        Best(candidates, static c => c);

    /// <summary>The item whose candidate ranks best, or default when none has a validation accuracy to rank by.</summary>
    public static T? Best<T>(IEnumerable<T> items, Func<T, SweepCandidate?> candidateOf)
    {
        T? best = default;
        SweepCandidate? bestCandidate = null;
        foreach (var item in items)
        {
            if (candidateOf(item) is not { } candidate || double.IsNaN(candidate.ValidationAccuracy))
            {
                continue;
            }

            if (bestCandidate is null || BestFirst.Compare(candidate, bestCandidate) < 0)
            {
                (best, bestCandidate) = (item, candidate);
            }
        }

        return best;
    }
}

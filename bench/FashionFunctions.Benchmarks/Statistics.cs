namespace FashionFunctions.Benchmarks;

internal static class Statistics
{
    public static double Median(IEnumerable<double> values) => Percentile(values, 0.5);

    public static double Percentile(IEnumerable<double> values, double fraction)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        double rank = fraction * (sorted.Length - 1);
        int low = (int)Math.Floor(rank);
        int high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}

/// <summary>The median of some measurements and their range.</summary>
internal sealed record Spread(double Median, double Min, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var all = values.ToList();
        return new Spread(Statistics.Median(all), all.Min(), all.Max());
    }

    /// <summary>"412 ms (380–455)".</summary>
    public string Milliseconds => $"{Median:F0} ms ({Min:F0}–{Max:F0})";
}

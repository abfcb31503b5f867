namespace FashionFunctions.Core.Budgets;

/// <summary>Too much is already queued or running (HTTP 429 with Retry-After): <see cref="Limit"/> names the
/// setting, <see cref="Count"/> how many there are, <see cref="Allowed"/> its value.</summary>
public sealed class QuotaExceededException(string limit, int count, int allowed, string what, TimeSpan retryAfter)
    : Exception($"{what}: {count} already, the limit is {allowed} ({limit}); try again when one has finished.")
{
    public string Limit { get; } = limit;
    public int Count { get; } = count;
    public int Allowed { get; } = allowed;
    public TimeSpan RetryAfter { get; } = retryAfter;
}

namespace FashionFunctions.Testing;

/// <summary>Time that moves only when a test says so (the cache's revalidation interval).</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}

namespace FashionFunctions.Core.Jobs;

/// <summary>An idempotency key sent again with a different request body (the caller's fault: 422).</summary>
public sealed class IdempotencyKeyReusedException(string jobId)
    : Exception($"This Idempotency-Key was first used for job {jobId} with a different request body; use a new key for a different job.")
{
    public string JobId { get; } = jobId;
}

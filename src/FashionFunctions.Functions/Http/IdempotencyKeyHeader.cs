using Microsoft.AspNetCore.Http;

namespace FashionFunctions.Functions.Http;

/// <summary>The <c>Idempotency-Key</c> request header: a repeat with the same key returns what the first request made.</summary>
public static class IdempotencyKeyHeader
{
    public const string Name = "Idempotency-Key";
    private const int MaxLength = 200;

    /// <summary>The key, or null when the request has none; 400 for an empty or overlong key.</summary>
    public static string? Read(HttpRequest request)
    {
        string? key = request.Headers[Name];
        if (key is null)
        {
            return null;
        }

        return key.Length is 0 or > MaxLength
            ? throw ApiProblemException.BadRequest($"{Name} must be 1 to {MaxLength} characters.", Name)
            : key;
    }

    /// <summary>Tells the caller (<c>Idempotent-Replayed: true</c>) that its key named an earlier request's result.</summary>
    public static void MarkReplayed(HttpRequest request, bool created)
    {
        if (!created)
        {
            request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
        }
    }
}

using Azure;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// The one rule for "try again later": storage or HTTP answers 408, 429 or 5xx, a connection that failed or timed
/// out, an I/O or socket error — also when the SDK reports a timed-out request as a cancellation wrapping one.
/// Retrying cannot fix anything else (bad input, corrupt data, a checksum mismatch).
/// </summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        RequestFailedException e => e.Status is 0 or 408 or 429 or >= 500,
        HttpRequestException e => e.StatusCode is null || (int)e.StatusCode is 408 or 429 or >= 500,
        TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        OperationCanceledException e => e.InnerException is { } inner && (inner is OperationCanceledException || IsTransient(inner)),
        AggregateException e => e.InnerExceptions.Count > 0 && e.InnerExceptions.All(IsTransient),
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}

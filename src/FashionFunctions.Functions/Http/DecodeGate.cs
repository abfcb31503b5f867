using FashionFunctions.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace FashionFunctions.Functions.Http;

/// <summary>
/// The per-instance cap on concurrent image decodes (<see cref="FashionFunctionsOptions.MaxConcurrentDecodes"/>):
/// a decode waits for a slot up to <see cref="FashionFunctionsOptions.DecodeQueueSeconds"/>, then the request is
/// answered 503 with Retry-After rather than queueing without bound.
/// </summary>
public sealed class DecodeGate(IOptions<FashionFunctionsOptions> options)
{
    public const int RetryAfterSeconds = 2;

    private readonly SemaphoreSlim slots = new(options.Value.MaxConcurrentDecodes, options.Value.MaxConcurrentDecodes);
    private readonly TimeSpan queueFor = TimeSpan.FromSeconds(options.Value.DecodeQueueSeconds);

    public async Task<T> RunAsync<T>(Func<T> decode, CancellationToken cancellationToken)
    {
        if (!await slots.WaitAsync(queueFor, cancellationToken).ConfigureAwait(false))
        {
            throw ApiProblemException.Busy("Every image decoder of this instance is busy; retry shortly.", RetryAfterSeconds);
        }

        try
        {
            return decode();
        }
        finally
        {
            slots.Release();
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace FashionFunctions.Testing;

/// <summary>
/// An Azure SDK pipeline policy (add it per retry) that fails a fraction of storage calls: a 503 answered
/// without reaching the service, a connection reset, or — the hard case — a 503 or a timeout after the service
/// has applied the request. Deterministic for a given seed. Counts what it injected.
/// </summary>
public sealed class StorageFaultPolicy(double rate, int seed, Func<HttpMessage, bool>? applies = null) : HttpPipelinePolicy
{
    private readonly Random random = new(seed);
    private int injected;

    public int Injected => Volatile.Read(ref injected);

    public bool Enabled { get; set; } = true;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        int fault;
        lock (random)
        {
            fault = Enabled && (applies?.Invoke(message) ?? true) && random.NextDouble() < rate ? random.Next(4) : -1;
        }

        if (fault >= 0)
        {
            Interlocked.Increment(ref injected);
        }

        switch (fault)
        {
            case 0:
                message.Response = new SyntheticResponse(503, message.Request.ClientRequestId);
                return;
            case 1:
                throw new IOException("Injected fault: connection reset before the request was sent.");
            case 2:
                await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
                message.Response = new SyntheticResponse(503, message.Request.ClientRequestId);
                return;
            case 3:
                await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
                throw new IOException("Injected fault: the answer timed out after the service applied the request.");
            default:
                await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
                return;
        }
    }
}

/// <summary>Holds matching requests for a while before sending them (a slow request, as seen by a racing one).</summary>
public sealed class DelayPolicy(TimeSpan delay, Func<HttpMessage, bool> applies) : HttpPipelinePolicy
{
    private int delayed;

    public int Delayed => Volatile.Read(ref delayed);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (applies(message))
        {
            Interlocked.Increment(ref delayed);
            await Task.Delay(delay).ConfigureAwait(false);
        }

        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }
}

/// <summary>Fails every matching request with a 503 (a service that is down), after <paramref name="delay"/> (a
/// request that hangs before it fails).</summary>
public sealed class FailingPolicy(Func<HttpMessage, bool> applies, TimeSpan delay = default) : HttpPipelinePolicy
{
    public bool Enabled { get; set; } = true;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (Enabled && applies(message))
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay).ConfigureAwait(false);
            }

            message.Response = new SyntheticResponse(503, message.Request.ClientRequestId);
            return;
        }

        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }
}

/// <summary>An empty response with a status, as a failing service would answer.</summary>
internal sealed class SyntheticResponse(int status, string clientRequestId) : Response
{
    public override int Status => status;
    public override string ReasonPhrase => "Injected fault";
    public override bool IsError => true;
    public override Stream? ContentStream { get; set; } = new MemoryStream();
    public override string ClientRequestId { get; set; } = clientRequestId;

    public override void Dispose()
    {
    }

    protected override bool ContainsHeader(string name) => false;

    protected override IEnumerable<HttpHeader> EnumerateHeaders() => [];

    protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
    {
        value = null;
        return false;
    }

    protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
    {
        values = null;
        return false;
    }
}

/// <summary>Holds matching requests until the client gives up on them (its network timeout cancels them, so add it
/// at <c>HttpPipelinePosition.BeforeTransport</c>): a service that hangs.</summary>
public sealed class HangPolicy(Func<HttpMessage, bool> applies) : HttpPipelinePolicy
{
    private int hung;

    public int Hung => Volatile.Read(ref hung);

    public bool Enabled { get; set; } = true;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (Enabled && applies(message))
        {
            Interlocked.Increment(ref hung);
            await Task.Delay(Timeout.Infinite, message.CancellationToken).ConfigureAwait(false);
        }

        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }
}

/// <summary>Lets the first <paramref name="count"/> matching requests reach the service, then loses their answers
/// (an I/O error on the way back), so the client retries a request that was applied.</summary>
public sealed class LoseAnswerPolicy(Func<HttpMessage, bool> applies, int count = 1) : HttpPipelinePolicy
{
    private int lost;

    public int Lost => Math.Min(Volatile.Read(ref lost), count);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        if (applies(message) && Interlocked.Increment(ref lost) <= count)
        {
            throw new IOException("Injected fault: the answer was lost after the service applied the request.");
        }
    }
}

/// <summary>A clock that runs with the system's, shifted by a fixed skew (another instance's clock).</summary>
public sealed class SkewedTimeProvider(TimeSpan skew) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + skew;
}

/// <summary>Holds the first matching request until the test releases it, so that two operations interleave at an
/// exact point: await <see cref="Reached"/>, run the other, then <see cref="Release"/>.</summary>
public sealed class GatePolicy(Func<HttpMessage, bool> applies) : HttpPipelinePolicy
{
    private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int armed = 1;

    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => release.TrySetResult();

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (applies(message) && Interlocked.Exchange(ref armed, 0) == 1)
        {
            Reached.TrySetResult();
            await release.Task.ConfigureAwait(false);
        }

        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }
}

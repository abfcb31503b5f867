using System.Text.Json;

namespace FashionFunctions.Functions.Tests.Support;

/// <summary>One job's event stream, opened over the socket: the answer's status and headers at once, then its
/// events as the server writes them. Disposing it hangs up.</summary>
public sealed class EventStreamClient : IDisposable
{
    private readonly HttpResponseMessage response;
    private readonly StreamReader? reader;

    private EventStreamClient(HttpResponseMessage response, StreamReader? reader) => (this.response, this.reader) = (response, reader);

    public int Status => (int)response.StatusCode;

    public HttpResponseMessage Response => response;

    public static async Task<EventStreamClient> OpenAsync(HttpClient client, string jobId, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"api/training-jobs/{jobId}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = response.IsSuccessStatusCode ? new StreamReader(await response.Content.ReadAsStreamAsync()) : null;
        return new EventStreamClient(response, reader);
    }

    /// <summary>The whole answer of a stream that was refused.</summary>
    public Task<HttpAnswer> RefusalAsync() =>
        reader is null ? HttpAnswer.FromAsync(response) : throw new Xunit.Sdk.XunitException($"The stream was opened ({Status}), not refused.");

    /// <summary>The next event (its id and the job record), or null when the server ended the stream.</summary>
    public async Task<(string Id, JsonElement Job)?> NextAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        string? id = null, data = null;
        while (await reader!.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0 && data is not null)
            {
                return (id ?? throw new InvalidOperationException("An event without an id."), JsonDocument.Parse(data).RootElement);
            }

            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line["id: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
        }

        return null;
    }

    public void Dispose()
    {
        reader?.Dispose();
        response.Dispose();
    }
}

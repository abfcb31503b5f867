using System.Text.Json;
using FashionFunctions.Core.Modeling;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace FashionFunctions.Functions.Http;

/// <summary>Reads request bodies within a size limit, whatever Content-Length claims.</summary>
public static class RequestBody
{
    /// <summary>How deeply request JSON may nest (the serializer's default; deeper is a 400).</summary>
    public const int MaxJsonDepth = 64;

    private static readonly JsonSerializerOptions StrictJson = new(ModelJson.Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        MaxDepth = MaxJsonDepth,
    };

    /// <summary>The body, at most <paramref name="maxBytes"/>; a JSON body is counted against
    /// <paramref name="json"/> as it arrives, and refused at its limit without reading further.</summary>
    public static async Task<byte[]> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken, JsonValueBudget? json = null)
    {
        if (request.ContentLength > maxBytes)
        {
            throw ApiProblemException.TooLarge($"The body is {request.ContentLength} bytes; the limit is {maxBytes}.");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw ApiProblemException.TooLarge($"The body exceeds the limit of {maxBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
            json?.Count(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), final: false);
        }

        json?.Count(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), final: true);
        return buffer.ToArray();
    }

    /// <summary>The media type without parameters, lower-case; null when there is no Content-Type.</summary>
    public static string? MediaType(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? parsed.MediaType.Value?.ToLowerInvariant() : null;

    /// <summary>Deserialises JSON, refusing unknown fields so that a typo is an error rather than a default.</summary>
    public static T? ParseJson<T>(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, StrictJson);
        }
        catch (JsonException e)
        {
            string where = e.Path is { Length: > 1 } path ? $" at {path}" : "";
            throw ApiProblemException.BadRequest($"The body is not valid JSON for this request{where}: {e.Message.Split(". Path:")[0]}.", e.Path?.TrimStart('$', '.'));
        }
    }
}

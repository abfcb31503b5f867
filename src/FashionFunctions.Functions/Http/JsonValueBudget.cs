using System.Text.Json;

namespace FashionFunctions.Functions.Http;

/// <summary>
/// Counts a JSON body's values as it arrives (numbers, strings, literals, property names, objects and arrays), so
/// that a body holding more than any valid request can is refused (413) before the rest of it is read, and before
/// any of it becomes objects: within the byte limit alone, 10 MB of <c>0,</c> would be five million numbers in
/// memory. Malformed JSON stops the count; the parser then names the fault.
/// </summary>
public sealed class JsonValueBudget(long maxValues, string why)
{
    private JsonReaderState state = new(new JsonReaderOptions { MaxDepth = RequestBody.MaxJsonDepth });
    private long counted;
    private int consumed;
    private int retryAt;
    private bool stopped;

    /// <summary>Counts what <paramref name="body"/> (every byte so far) holds past what was counted before;
    /// <paramref name="final"/> once the body is complete.</summary>
    public void Count(ReadOnlySpan<byte> body, bool final)
    {
        if (stopped || (!final && body.Length < retryAt))
        {
            return;
        }

        var reader = new Utf8JsonReader(body[consumed..], final, state);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray) && ++counted > maxValues)
                {
                    throw ApiProblemException.TooLarge(
                        $"The JSON body holds more than {maxValues} values (numbers, strings, names, brackets); {why}. Reading stopped {consumed + reader.BytesConsumed} bytes into the body.");
                }
            }
        }
        catch (JsonException)
        {
            stopped = true;
            return;
        }

        consumed += (int)reader.BytesConsumed;
        state = reader.CurrentState;
        // A token cut off where the bytes so far end is scanned again once as much again has arrived, not at every
        // chunk: a long string then costs linear time.
        retryAt = body.Length + (body.Length - consumed);
    }
}

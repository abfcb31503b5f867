using System.Text.Json;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// The queue message: the job id (the job's record holds the rest) and the W3C trace context of the request
/// that submitted it. Serialised as JSON; the queue client base64-encodes it, as the Functions queue trigger
/// expects by default.
/// </summary>
public sealed record TrainingJobMessage(string JobId, string? TraceParent = null)
{
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    private static readonly JsonSerializerOptions Options = new(ModelJson.Options)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Throws <see cref="FormatException"/> for anything but {"jobId": "job-…"}.</summary>
    public static TrainingJobMessage Parse(string text)
    {
        TrainingJobMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<TrainingJobMessage>(text, ModelJson.Options);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The message is not JSON: {e.Message}", e);
        }

        if (message is null || !TrainingJob.IsValidId(message.JobId))
        {
            throw new FormatException("The message has no valid jobId.");
        }

        return message;
    }
}

namespace FashionFunctions.Functions.Http;

/// <summary>
/// A request problem detected by the app's adapters (parsing, limits, headers), answered as problem details with
/// this status. <see cref="Headers"/> are added to the answer (Retry-After on a 503).
/// </summary>
public sealed class ApiProblemException(int status, string title, string detail, string? field = null,
    IReadOnlyDictionary<string, string>? headers = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string? Field { get; } = field;
    public IReadOnlyDictionary<string, string>? Headers { get; } = headers;

    public static ApiProblemException BadRequest(string detail, string? field = null) => new(400, "Invalid request", detail, field);

    public static ApiProblemException NotFound(string detail) => new(404, "Not found", detail);

    public static ApiProblemException Conflict(string detail) => new(409, "Conflict", detail);

    public static ApiProblemException TooLarge(string detail) => new(413, "Request too large", detail);

    public static ApiProblemException UnsupportedMediaType(string detail) => new(415, "Unsupported media type", detail);

    public static ApiProblemException Unprocessable(string detail, string? field = null) => new(422, "Unprocessable request", detail, field);

    public static ApiProblemException Busy(string detail, int retryAfterSeconds) =>
        new(503, "Busy", detail, headers: new Dictionary<string, string> { ["Retry-After"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
}

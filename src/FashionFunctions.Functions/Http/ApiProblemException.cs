namespace FashionFunctions.Functions.Http;

/// <summary>A request problem detected by an adapter, answered as problem details with this status.</summary>
public sealed class ApiProblemException(int status, string title, string detail, string? field = null) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string? Field { get; } = field;

    public static ApiProblemException BadRequest(string detail, string? field = null) => new(400, "Invalid request", detail, field);

    public static ApiProblemException TooLarge(string detail) => new(413, "Request too large", detail);

    public static ApiProblemException UnsupportedMediaType(string detail) => new(415, "Unsupported media type", detail);

    public static ApiProblemException NotFound(string detail) => new(404, "Not found", detail);
}

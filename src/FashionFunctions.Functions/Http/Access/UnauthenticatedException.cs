namespace FashionFunctions.Functions.Http.Access;

/// <summary>The route needs a caller and the request names none the app knows (HTTP 401).</summary>
public sealed class UnauthenticatedException(string detail) : Exception(detail);

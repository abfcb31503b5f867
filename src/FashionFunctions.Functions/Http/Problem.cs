using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FashionFunctions.Functions.Http;

/// <summary>RFC 7807 problem details (application/problem+json) in the app's shape: a type link per status, the
/// request path as the instance, extensions as given, and any headers (Retry-After) set on the response.</summary>
public static class Problem
{
    public static ProblemHttpResult Of(HttpContext http, int status, string title, string detail,
        IDictionary<string, object?>? extensions = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            http.Response.Headers[name] = value;
        }

        return TypedResults.Problem(detail: detail, instance: http.Request.Path, statusCode: status, title: title,
            type: $"https://httpstatuses.io/{status}", extensions: extensions);
    }
}

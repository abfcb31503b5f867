using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FashionFunctions.Functions.Http;

/// <summary>Answers as HTTP results: values as JSON, errors as RFC 7807 problem details (application/problem+json).
/// Exceptions are mapped in <see cref="ErrorMapping"/>.</summary>
public static class ApiResponses
{
    public static IActionResult Json(object value, int status = StatusCodes.Status200OK, IReadOnlyDictionary<string, string>? headers = null) =>
        new ActionResultFromHttpResult(Results.Json(value, Core.Modeling.ModelJson.Options, statusCode: status), headers);

    public static IActionResult Problem(int status, string title, string detail, string instance, IDictionary<string, object?>? extensions = null,
        IReadOnlyDictionary<string, string>? headers = null) =>
        new ActionResultFromHttpResult(
            Results.Problem(detail: detail, instance: instance, statusCode: status, title: title,
                type: $"https://httpstatuses.io/{status}", extensions: extensions),
            headers);
}

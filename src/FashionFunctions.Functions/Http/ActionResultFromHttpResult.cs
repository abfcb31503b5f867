using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FashionFunctions.Functions.Http;

/// <summary>
/// The Functions ASP.NET Core integration executes IActionResult; this runs a minimal-API IResult (JSON,
/// problem details) through it, with any extra headers.
/// </summary>
public sealed class ActionResultFromHttpResult(IResult result, IReadOnlyDictionary<string, string>? headers = null) : IActionResult
{
    public IResult Result { get; } = result;

    public Task ExecuteResultAsync(ActionContext context) => ExecuteAsync(context.HttpContext);

    public Task ExecuteAsync(HttpContext httpContext)
    {
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            httpContext.Response.Headers[name] = value;
        }

        return Result.ExecuteAsync(httpContext);
    }
}

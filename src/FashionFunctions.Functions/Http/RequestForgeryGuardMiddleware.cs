using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace FashionFunctions.Functions.Http;

/// <summary>
/// Refuses (400) a request that changes something and that a page on another site could have made a browser send
/// without asking the app first: a POST with no Content-Type, or a form's (<c>multipart/form-data</c>,
/// <c>application/x-www-form-urlencoded</c>) or <c>text/plain</c>, and without an <c>X-Requested-With</c> header.
/// With any other Content-Type (JSON, an image, raw bytes), or with that header, a browser first sends a CORS
/// preflight, which this app never grants; so a page elsewhere cannot make an instance without keys (a local one)
/// train, cancel, promote or classify. The web page sends the header; so must a multipart or bodiless POST from
/// curl (<c>-H 'X-Requested-With: curl'</c>: any value).
/// </summary>
public sealed class RequestForgeryGuardMiddleware : IFunctionsWorkerMiddleware
{
    public const string HeaderName = "X-Requested-With";

    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next) =>
        context.GetHttpContext() is { } http && CouldBeForged(http.Request)
            ? throw ApiProblemException.BadRequest(
                $"A {http.Request.Method} with {(http.Request.ContentType is { Length: > 0 } type ? $"Content-Type '{type}'" : "no Content-Type")} must carry the header {HeaderName} (any value), which a page on another site cannot add without the app's consent; or send application/json, an image or application/octet-stream.",
                HeaderName)
            : next(context);

    /// <summary>Whether a browser would send this request cross-site without a preflight (a CORS "simple" request that changes something).</summary>
    public static bool CouldBeForged(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        && string.IsNullOrEmpty(request.Headers[HeaderName])
        && RequestBody.MediaType(request) is null or "multipart/form-data" or "application/x-www-form-urlencoded" or "text/plain";
}

using FashionFunctions.Functions.Http;
using FashionFunctions.Functions.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>
/// The web page at <c>/</c>, its files under <c>/assets/</c>, and the API's OpenAPI document at
/// <c>/api/openapi.json</c>; all anonymous (the page asks for a function key only when the API wants one).
/// </summary>
public sealed class WebPageFunction
{
    /// <summary>The functions that serve files rather than the API, and so need no key.</summary>
    public static readonly IReadOnlySet<string> Names = new HashSet<string> { "WebPage", "WebAsset", "OpenApiDocument" };

    private readonly StaticAssets assets = StaticAssets.Embedded;

    // The host maps an empty route to the function's name, so "/" is matched by an optional parameter that
    // must be empty. Routes with a literal first segment ("api/…", "assets/…") can never collide with it.
    [Function("WebPage")]
    public IResult Page(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "{ignored:maxlength(0)?}")] HttpRequest request) =>
        Serve(request, StaticAssets.IndexPath);

    [Function("WebAsset")]
    public IResult Asset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "assets/{*file}")] HttpRequest request,
        string file) =>
        Serve(request, "assets/" + file);

    [Function("OpenApiDocument")]
    public IResult OpenApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/openapi.json")] HttpRequest request) =>
        Serve(request, StaticAssets.OpenApiPath);

    private IResult Serve(HttpRequest request, string path) =>
        assets.Find(path) is { } asset
            ? new StaticAssetResult(asset)
            : Problem.Of(request.HttpContext, StatusCodes.Status404NotFound, "Not found", $"There is no file '{path}'.");
}

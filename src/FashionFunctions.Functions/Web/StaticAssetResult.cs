using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace FashionFunctions.Functions.Web;

/// <summary>
/// Writes a static file with its ETag and caching headers; answers 304 without a body when the browser's
/// If-None-Match already names the file's ETag.
/// </summary>
public sealed class StaticAssetResult(StaticAsset asset) : IResult
{
    public const string ImmutableCaching = "public, max-age=31536000, immutable";
    public const string RevalidateCaching = "no-cache";

    /// <summary>The page may load only its own files and call only its own API: nothing from a CDN.</summary>
    public const string PagePolicy =
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var request = httpContext.Request;
        var response = httpContext.Response;
        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = asset.Immutable ? ImmutableCaching : RevalidateCaching;
        response.Headers.XContentTypeOptions = "nosniff";
        if (asset.ContentType.StartsWith("text/html", StringComparison.Ordinal))
        {
            response.Headers.ContentSecurityPolicy = PagePolicy;
            response.Headers["Referrer-Policy"] = "no-referrer";
        }

        if (MatchesETag(request.Headers.IfNoneMatch))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        if (!HttpMethods.IsHead(request.Method))
        {
            await response.Body.WriteAsync(asset.Content, httpContext.RequestAborted);
        }
    }

    private bool MatchesETag(Microsoft.Extensions.Primitives.StringValues ifNoneMatch)
    {
        if (ifNoneMatch.Count == 0)
        {
            return false;
        }

        return EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags)
            && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(EntityTagHeaderValue.Parse(asset.ETag), useStrongComparison: false));
    }
}

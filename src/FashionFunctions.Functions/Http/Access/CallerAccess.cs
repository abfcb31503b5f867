using FashionFunctions.Core.Access;
using Microsoft.AspNetCore.Http;

namespace FashionFunctions.Functions.Http.Access;

/// <summary>The caller <see cref="RightsMiddleware"/> resolved for this request.</summary>
public static class CallerAccess
{
    private static readonly object Key = new();

    public static void Set(HttpContext http, Caller? caller) => http.Items[Key] = caller;

    /// <summary>The request's caller; throws when the request did not pass <see cref="RightsMiddleware"/> or has no
    /// caller (a route that needs one is listed with a role in <see cref="RouteRights"/>).</summary>
    public static Caller Caller(this HttpRequest request) =>
        request.HttpContext.Items.TryGetValue(Key, out var value) && value is Caller caller
            ? caller
            : throw new InvalidOperationException("No caller for this request: it did not pass RightsMiddleware, or its route needs no role.");

    /// <summary>The request's caller, or null for nobody known.</summary>
    public static Caller? CallerOrNull(this HttpRequest request) =>
        request.HttpContext.Items.TryGetValue(Key, out var value) ? value as Caller : null;
}

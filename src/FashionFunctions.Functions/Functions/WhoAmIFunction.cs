using FashionFunctions.Functions.Http.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>GET /api/me: who the app takes the caller for and which functions it may call (the page shows only
/// those). Anyone may ask.</summary>
public sealed class WhoAmIFunction(CallerResolver callers)
{
    [Function("WhoAmI")]
    public IResult WhoAmI(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/me")] HttpRequest request)
    {
        var caller = request.CallerOrNull();
        return TypedResults.Ok(new
        {
            AuthMode = callers.Mode,
            Caller = caller?.Id,
            Role = caller?.Role,
            Functions = RouteRights.AllowedFor(caller?.Role),
        });
    }
}

using FashionFunctions.Core.Access;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace FashionFunctions.Functions.Http.Access;

/// <summary>
/// Who may call which HTTP function, checked once for all of them: resolves the caller (<see cref="CallerResolver"/>),
/// answers 401 when the function needs a caller and there is none, 403 when the caller's role is below the
/// function's (<see cref="RouteRights"/>), and otherwise hands the caller to the function (<see cref="CallerAccess.Caller"/>).
/// Other triggers pass through.
/// </summary>
public sealed class RightsMiddleware(CallerResolver callers) : IFunctionsWorkerMiddleware
{
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http)
        {
            return next(context);
        }

        string function = context.FunctionDefinition.Name;
        if (!RouteRights.ByFunction.TryGetValue(function, out var required))
        {
            throw new InvalidOperationException($"HTTP function {function} has no entry in RouteRights: refusing to run it.");
        }

        Caller? caller;
        try
        {
            caller = callers.Resolve(http.Request);
        }
        catch (UnauthenticatedException) when (required is null)
        {
            caller = null; // a route anyone may call does not fail on credentials it does not need
        }

        if (required is { } role)
        {
            if (caller is null)
            {
                throw new UnauthenticatedException(callers.Mode == AuthMode.Keys
                    ? $"This route needs a key: send it in the {CallerResolver.KeyHeader} header."
                    : "This route needs a signed-in caller.");
            }

            caller.Require(role, $"{function}");
        }

        CallerAccess.Set(http, caller);
        return next(context);
    }
}

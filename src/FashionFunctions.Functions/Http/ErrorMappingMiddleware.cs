using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Functions.Http;

/// <summary>
/// Turns what an HTTP function throws into its problem-details answer (<see cref="ErrorMapping"/>), so functions
/// do not catch for themselves. Registered after ConfigureFunctionsWebApplication, it runs inside the ASP.NET Core
/// integration and writes the answer to the request's HttpContext itself (the integration then finds no result to
/// execute). Other triggers' exceptions go on to the host (a queue message must fail to be retried).
/// </summary>
public sealed class ErrorMappingMiddleware(ILogger<ErrorMappingMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (context.GetHttpContext() is { } http && !http.Response.HasStarted)
        {
            if (e is OperationCanceledException && http.RequestAborted.IsCancellationRequested)
            {
                return; // the caller hung up, which cancelled the work: there is no one to answer
            }

            http.Response.Clear(); // headers the function set before it threw do not describe the problem
            await ErrorMapping.ToResult(Unwrapped(e), http, logger).ExecuteAsync(http).ConfigureAwait(false);
        }
    }

    /// <summary>The worker may wrap a function's exception in its own; the function's is the one that counts.</summary>
    private static Exception Unwrapped(Exception e) =>
        e is AggregateException { InnerExceptions.Count: 1 } aggregate ? Unwrapped(aggregate.InnerException!)
        : e.GetType().FullName == "Microsoft.Azure.Functions.Worker.FunctionInvocationException" && e.InnerException is { } inner ? inner
        : e;
}

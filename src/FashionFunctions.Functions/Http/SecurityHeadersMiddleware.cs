using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Net.Http.Headers;

namespace FashionFunctions.Functions.Http;

/// <summary>
/// Every HTTP answer of the app carries <c>X-Content-Type-Options: nosniff</c> (a browser never treats an answer as
/// another type than it declares) and <c>Strict-Transport-Security</c> (a browser that reached the app over HTTPS
/// uses nothing else for it for a year; browsers ignore the header over plain HTTP, so local runs are unaffected).
/// Added as the answer starts, so that problem answers, which <see cref="ErrorMappingMiddleware"/> writes after
/// clearing the headers, carry them too. Answers the Functions host gives itself (a missing key's 401) do not.
/// </summary>
public sealed class SecurityHeadersMiddleware : IFunctionsWorkerMiddleware
{
    public const string StrictTransportSecurity = "max-age=31536000";

    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is { } http)
        {
            var response = http.Response;
            response.OnStarting(() =>
            {
                response.Headers[HeaderNames.XContentTypeOptions] = "nosniff";
                response.Headers[HeaderNames.StrictTransportSecurity] = StrictTransportSecurity;
                return Task.CompletedTask;
            });
        }

        return next(context);
    }
}

using FashionFunctions.Functions.Http.Access;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.DependencyInjection;

namespace FashionFunctions.Functions.Http;

/// <summary>The worker middleware every invocation passes, outermost first: used by Program and by the tests' server.</summary>
public static class HttpPipeline
{
    public static IReadOnlyList<Type> Middleware { get; } =
    [
        typeof(SecurityHeadersMiddleware), // outermost: problem answers carry its headers too
        typeof(ErrorMappingMiddleware), // it answers what the others throw
        typeof(RightsMiddleware),
        typeof(RequestForgeryGuardMiddleware), // after rights: an unknown caller hears 401 first
    ];

    /// <summary>Registers the middleware types (singletons, so they are resolved once).</summary>
    public static IServiceCollection AddHttpPipeline(this IServiceCollection services)
    {
        foreach (var type in Middleware)
        {
            services.AddSingleton(type);
        }

        return services;
    }

    /// <summary>Runs every invocation through <see cref="Middleware"/>, in order.</summary>
    public static void UseHttpPipeline(this IFunctionsWorkerApplicationBuilder builder)
    {
        foreach (var type in Middleware)
        {
            builder.Use(next => context => ((IFunctionsWorkerMiddleware)context.InstanceServices.GetRequiredService(type)).Invoke(context, next));
        }
    }
}

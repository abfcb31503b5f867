using System.Net;
using System.Reflection;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Functions.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Testing;

/// <summary>
/// The app's HTTP functions served by Kestrel on 127.0.0.1 (a port of its own), as the Functions host and worker
/// would serve them: every <c>[Function]</c> method with an <c>[HttpTrigger]</c> parameter in the app's assembly
/// is found by reflection and routed by its trigger's methods and route; the function class is created per request
/// from the app's real service registration (<see cref="ServiceRegistration.AddFashionFunctions"/>) on the given
/// storage, inside the app's worker middleware in Program's order (<see cref="HttpPipeline"/>): what it returns is
/// executed and what it throws is answered by the app's <see cref="ErrorMappingMiddleware"/>. Function keys are not
/// checked (the host does that). Functions added to the app are served without changes here. <see cref="Client"/>
/// sends <c>X-Requested-With</c>, as the page and the documented clients do.
/// </summary>
public sealed class AppServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private AppServer(WebApplication app, Uri baseAddress)
    {
        this.app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) };
        Client.DefaultRequestHeaders.Add(RequestForgeryGuardMiddleware.HeaderName, "tests");
    }

    public Uri BaseAddress { get; }

    /// <summary>A client for this server (its base address set).</summary>
    public HttpClient Client { get; }

    /// <summary>The app's services (singletons shared with every request).</summary>
    public IServiceProvider Services => app.Services;

    /// <summary>The HTTP functions served: name, methods, route template.</summary>
    public static IReadOnlyList<HttpFunction> Functions { get; } = Discover();

    /// <summary>
    /// Starts the server. <paramref name="settings"/> are configuration keys as the app reads them
    /// ("FashionFunctions:MaxRequestBytes"); <paramref name="configure"/> may replace services after the app's
    /// registration (a TimeProvider, a storage client with a fault policy).
    /// </summary>
    public static async Task<AppServer> StartAsync(string storageConnectionString, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(AppSettings(storageConnectionString, settings)).Build();
        var startupFetch = StartupModelFetch.Begin(configuration); // first, as in the app's Program
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddConfiguration(configuration);
        builder.Services.AddFashionFunctions(builder.Configuration);
        builder.Services.AddSingleton(startupFetch);
        configure?.Invoke(builder.Services);

        var app = builder.Build();
        foreach (var function in Functions)
        {
            app.MapMethods("/" + function.Route, function.Methods, context => InvokeAsync(function, context)).WithDisplayName(function.Name);
        }

        await app.StartAsync().ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new AppServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>The settings the app runs with in tests, with <paramref name="overrides"/> applied.</summary>
    public static Dictionary<string, string?> AppSettings(string storageConnectionString, IDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            [ServiceRegistration.StorageConnection] = storageConnectionString,
            ["FashionFunctions:DatasetSeedSource"] = "/usr/share/datasets/fashion-mnist",
            // Off unless a test asks for it: its background storage calls would race tests that count or
            // fail storage calls, or that expect no model to be loaded before their first request.
            ["FashionFunctions:WarmUpOnStart"] = "false",
            // A checkpoint after every epoch: the resume and takeover tests stop runs after a given epoch.
            ["FashionFunctions:CheckpointIntervalSeconds"] = "0",
            // Budgets out of the way of tests that do not test them (those set their own).
            ["FashionFunctions:MaxActiveJobsPerOwner"] = "1000",
            ["FashionFunctions:MaxActiveJobs"] = "1000",
            ["FashionFunctions:MaxRunningSweepsPerOwner"] = "1000",
            ["FashionFunctions:MaxRunningSweeps"] = "1000",
            ["FashionFunctions:MaxSweepCost"] = "100000",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Runs the function inside the app's own worker middleware (<see cref="HttpPipeline"/>), then executes
    /// what it returned, as the worker and its ASP.NET Core integration do.</summary>
    private static async Task InvokeAsync(HttpFunction function, HttpContext context)
    {
        object? result = null;
        FunctionExecutionDelegate pipeline = async _ =>
        {
            object instance = ActivatorUtilities.CreateInstance(context.RequestServices, function.Method.DeclaringType!);
            object? returned;
            try
            {
                returned = function.Method.Invoke(instance, function.Method.GetParameters().Select(p => Bind(p, context)).ToArray());
            }
            catch (TargetInvocationException e) when (e.InnerException is { } thrown)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(thrown);
                throw;
            }

            result = await ResultOf(returned).ConfigureAwait(false);
        };
        foreach (var type in HttpPipeline.Middleware.Reverse())
        {
            var middleware = (IFunctionsWorkerMiddleware)context.RequestServices.GetRequiredService(type);
            var inner = pipeline;
            pipeline = invocation => middleware.Invoke(invocation, inner);
        }

        await pipeline(new HttpFunctionContext(context, function.Name)).ConfigureAwait(false);
        await ExecuteAsync(result, context).ConfigureAwait(false);
    }

    private static object? Bind(ParameterInfo parameter, HttpContext context) => parameter.ParameterType switch
    {
        var t when t == typeof(HttpRequest) => context.Request,
        var t when t == typeof(HttpContext) => context,
        var t when t == typeof(CancellationToken) => context.RequestAborted,
        var t when t == typeof(string) => context.GetRouteValue(parameter.Name!)?.ToString(),
        var t => throw new NotSupportedException(
            $"{parameter.Member.DeclaringType!.Name}.{parameter.Member.Name}: the test server cannot bind a {t.Name} parameter; teach AppServer.Bind."),
    };

    private static async Task<object?> ResultOf(object? returned)
    {
        if (returned is not Task task)
        {
            return returned;
        }

        await task.ConfigureAwait(false);
        var type = task.GetType();
        return type.IsGenericType ? type.GetProperty(nameof(Task<object>.Result))!.GetValue(task) : null;
    }

    private static Task ExecuteAsync(object? result, HttpContext context) => result switch
    {
        null => Task.CompletedTask,
        IResult http => http.ExecuteAsync(context),
        _ => throw new NotSupportedException($"{result.GetType().Name}: the app's HTTP functions return IResult (TypedResults)."),
    };

    private static List<HttpFunction> Discover() =>
        typeof(ServiceRegistration).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            .Select(method => (Method: method, Function: method.GetCustomAttribute<FunctionAttribute>(),
                Trigger: method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
            .Where(x => x.Function is not null && x.Trigger is not null)
            .Select(x => new HttpFunction(x.Function!.Name, x.Trigger!.Methods ?? ["get", "post"], x.Trigger.Route ?? x.Function.Name, x.Trigger.AuthLevel, x.Method))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
}

/// <summary>An HTTP-triggered function as the host would route it.</summary>
public sealed record HttpFunction(string Name, IReadOnlyList<string> Methods, string Route, AuthorizationLevel AuthLevel, MethodInfo Method);

using System.Reflection;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Functions.Tests;

/// <summary>The worker middleware itself: what it catches, what it leaves to the host, the answer it sets.</summary>
public class ErrorMappingMiddlewareTests
{
    [Fact]
    public async Task An_http_functions_exception_becomes_the_invocation_result_as_problem_details()
    {
        var http = NewHttpContext("/api/models/x");
        var context = new FakeFunctionContext(http);

        await new ErrorMappingMiddleware(NullLogger<ErrorMappingMiddleware>.Instance)
            .Invoke(context, _ => throw new ModelNotFoundException("x"));

        var result = Assert.IsAssignableFrom<IActionResult>(context.GetInvocationResult().Value);
        await result.ExecuteResultAsync(new ActionContext(http, new RouteData(), new ActionDescriptor()));
        Assert.Equal(404, http.Response.StatusCode);
        Assert.StartsWith("application/problem+json", http.Response.ContentType);
    }

    [Fact]
    public async Task Our_faults_answer_500_with_a_trace_id_and_no_internal_text()
    {
        var http = NewHttpContext("/api/classify");
        var context = new FakeFunctionContext(http);

        await new ErrorMappingMiddleware(NullLogger<ErrorMappingMiddleware>.Instance)
            .Invoke(context, _ => throw new CorruptStoredDataException("models/current.json", "secret internal detail"));

        await ((IActionResult)context.GetInvocationResult().Value!).ExecuteResultAsync(new ActionContext(http, new RouteData(), new ActionDescriptor()));
        http.Response.Body.Position = 0;
        string body = await new StreamReader(http.Response.Body).ReadToEndAsync();
        Assert.Equal(500, http.Response.StatusCode);
        Assert.Contains("\"traceId\"", body);
        Assert.DoesNotContain("secret internal detail", body);
        Assert.DoesNotContain("current.json", body);
    }

    [Fact]
    public async Task A_non_http_functions_exception_goes_on_to_the_host()
    {
        var context = new FakeFunctionContext(null);
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new ErrorMappingMiddleware(NullLogger<ErrorMappingMiddleware>.Instance).Invoke(context, _ => throw new InvalidOperationException("queue message failed")));
    }

    private static DefaultHttpContext NewHttpContext(string path)
    {
        var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = services };
        http.Request.Path = path;
        http.Response.Body = new MemoryStream();
        return http;
    }

    /// <summary>A function invocation as the worker hands it to middleware: the ASP.NET Core integration's HttpContext
    /// in Items, and the worker's (internal) bindings feature holding the invocation result.</summary>
    private sealed class FakeFunctionContext : FunctionContext
    {
        public FakeFunctionContext(HttpContext? http)
        {
            if (http is not null)
            {
                Items["HttpRequestContext"] = http;
            }

            var bindingsType = typeof(FunctionContext).Assembly.GetType("Microsoft.Azure.Functions.Worker.Context.Features.IFunctionBindingsFeature", throwOnError: true)!;
            var proxy = DispatchProxy.Create(bindingsType, typeof(BindingsProxy));
            ((Features)Features).Set(bindingsType, proxy);
        }

        public override string InvocationId => "test-invocation";
        public override string FunctionId => "test-function";
        public override TraceContext TraceContext => throw new NotSupportedException();
        public override BindingContext BindingContext => throw new NotSupportedException();
        public override RetryContext RetryContext => throw new NotSupportedException();
        public override IServiceProvider InstanceServices { get; set; } = new ServiceCollection().BuildServiceProvider();
        public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();
        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
        public override IInvocationFeatures Features { get; } = new Features();
    }

    public class BindingsProxy : DispatchProxy
    {
        private object? invocationResult;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod!.Name switch
        {
            "get_InvocationResult" => invocationResult,
            "set_InvocationResult" => invocationResult = args![0],
            _ => throw new NotSupportedException(targetMethod.Name),
        };
    }

    private sealed class Features : IInvocationFeatures
    {
        private readonly Dictionary<Type, object> features = [];

        public T? Get<T>() => features.TryGetValue(typeof(T), out var f) ? (T)f : default;

        public void Set<T>(T instance) => features[typeof(T)] = instance!;

        public void Set(Type type, object instance) => features[type] = instance;

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => features.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

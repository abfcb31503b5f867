using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Testing;

/// <summary>
/// An HTTP function's invocation as worker middleware sees it under the ASP.NET Core integration: the request's
/// HttpContext in <see cref="FunctionContext.Items"/> (where <c>GetHttpContext()</c> finds it), or none for another
/// trigger. Only what the app's middleware reads is provided.
/// </summary>
public sealed class HttpFunctionContext(HttpContext? http, string functionName) : FunctionContext
{
    // The key the worker's ASP.NET Core integration stores the request under, and GetHttpContext() reads.
    private const string HttpContextKey = "HttpRequestContext";

    public override string InvocationId { get; } = Guid.NewGuid().ToString();
    public override string FunctionId => functionName;
    public override TraceContext TraceContext => throw new NotSupportedException();
    public override BindingContext BindingContext => throw new NotSupportedException();
    public override RetryContext RetryContext => throw new NotSupportedException();
    public override IServiceProvider InstanceServices { get; set; } = http?.RequestServices ?? EmptyServices.Instance;
    public override FunctionDefinition FunctionDefinition { get; } = new NamedFunction(functionName);
    public override IDictionary<object, object> Items { get; set; } =
        http is null ? new Dictionary<object, object>() : new Dictionary<object, object> { [HttpContextKey] = http };
    public override IInvocationFeatures Features => throw new NotSupportedException();
    public override CancellationToken CancellationToken => http?.RequestAborted ?? CancellationToken.None;

    /// <summary>A function as middleware sees it: its name (what the app's middleware reads).</summary>
    private sealed class NamedFunction(string name) : FunctionDefinition
    {
        public override string Name => name;
        public override string Id => name;
        public override string PathToAssembly => throw new NotSupportedException();
        public override string EntryPoint => throw new NotSupportedException();
        public override System.Collections.Immutable.ImmutableArray<FunctionParameter> Parameters => [];
        public override System.Collections.Immutable.IImmutableDictionary<string, BindingMetadata> InputBindings => throw new NotSupportedException();
        public override System.Collections.Immutable.IImmutableDictionary<string, BindingMetadata> OutputBindings => throw new NotSupportedException();
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}

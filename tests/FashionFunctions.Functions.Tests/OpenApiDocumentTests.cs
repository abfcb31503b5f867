using System.Reflection;
using FashionFunctions.Functions.Web;
using Microsoft.Azure.Functions.Worker;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace FashionFunctions.Functions.Tests;

/// <summary>The OpenAPI document served at /api/openapi.json: valid OpenAPI 3.1, and it describes exactly the
/// API routes the functions declare (so adding a route without documenting it turns this red).</summary>
public class OpenApiDocumentTests
{
    private static readonly Lazy<ReadResult> Read = new(() =>
    {
        var asset = StaticAssets.Embedded.Find(StaticAssets.OpenApiPath) ?? throw new InvalidOperationException("openapi.json is not embedded");
        using var stream = new MemoryStream(asset.Content);
        return OpenApiDocument.Load(stream, "json");
    });

    [Fact]
    public void The_document_reads_as_OpenAPI_3_1_without_errors_or_warnings_and_passes_validation()
    {
        var result = Read.Value;
        Assert.Empty(result.Diagnostic!.Errors.Select(e => $"{e.Pointer}: {e.Message}"));
        Assert.Empty(result.Diagnostic.Warnings.Select(e => $"{e.Pointer}: {e.Message}"));
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, result.Diagnostic.SpecificationVersion);
        Assert.NotNull(result.Document);
        Assert.Empty(result.Document!.Validate(ValidationRuleSet.GetDefaultRuleSet())!.Select(e => $"{e.Pointer}: {e.Message}"));
    }

    [Fact]
    public void Every_API_route_and_method_the_functions_declare_is_documented_and_nothing_else_is()
    {
        var declared = DeclaredApiOperations().ToHashSet();
        var documented = Read.Value.Document!.Paths
            .SelectMany(p => p.Value.Operations!.Select(o => $"{o.Key.Method.ToUpperInvariant()} {p.Key}"))
            .ToHashSet();

        Assert.True(declared.Count >= 10, "the reflection found too few routes: " + string.Join(", ", declared));
        Assert.Empty(declared.Except(documented).Select(r => "not documented: " + r));
        Assert.Empty(documented.Except(declared).Select(r => "documented but no function serves it: " + r));
    }

    [Fact]
    public void Every_error_response_is_problem_json()
    {
        var errors = Read.Value.Document!.Paths
            .SelectMany(p => p.Value.Operations!.SelectMany(o => o.Value.Responses!.Select(r => (Where: $"{o.Key} {p.Key} {r.Key}", Response: r.Value))))
            .Where(r => r.Where.Split(' ')[2][0] is '4' or '5' && !r.Where.StartsWith("GET /api/health", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, r => Assert.True(r.Response.Content?.ContainsKey("application/problem+json") == true, r.Where));
    }

    /// <summary>"POST /api/classify", … from the [Function]/[HttpTrigger] attributes of the app's assembly.</summary>
    private static IEnumerable<string> DeclaredApiOperations() =>
        from method in typeof(Hosting.ServiceRegistration).Assembly.GetTypes().SelectMany(t => t.GetMethods())
        where method.GetCustomAttribute<FunctionAttribute>() is not null
        from trigger in method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).Where(a => a is not null)
        where trigger!.Route is { } route && route.StartsWith("api/", StringComparison.Ordinal)
        from verb in trigger!.Methods ?? []
        select $"{verb.ToUpperInvariant()} /{trigger.Route}";
}

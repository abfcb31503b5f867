using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Tests;

/// <summary>The host enforces keys; these tests pin which functions ask for one.</summary>
public class AuthorizationLevelTests
{
    private static IEnumerable<(string Function, AuthorizationLevel Level)> HttpFunctions() =>
        typeof(Hosting.ServiceRegistration).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .Select(m => (Function: m.GetCustomAttribute<FunctionAttribute>()?.Name, Trigger: m.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
            .Where(x => x.Function is not null && x.Trigger is not null)
            .Select(x => (x.Function!, x.Trigger!.AuthLevel));

    /// <summary>The only functions anyone may call without a key. Adding one is a decision: add it here.</summary>
    private static readonly HashSet<string> Anonymous = ["Health", "HealthLive", "HealthReady", .. Functions.WebPageFunction.Names];

    [Fact]
    public void Only_the_listed_functions_are_anonymous_and_every_other_endpoint_needs_a_function_key()
    {
        var functions = HttpFunctions().ToList();
        Assert.True(functions.Count > Anonymous.Count, "no HTTP functions found by reflection");
        Assert.All(Anonymous, name => Assert.Contains(functions, f => f.Function == name));
        Assert.All(functions, f => Assert.Equal(Anonymous.Contains(f.Function) ? AuthorizationLevel.Anonymous : AuthorizationLevel.Function, f.Level));
    }
}

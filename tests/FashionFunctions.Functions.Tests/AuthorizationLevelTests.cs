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

    [Fact]
    public void Only_health_is_anonymous_and_every_other_endpoint_needs_a_function_key()
    {
        var functions = HttpFunctions().ToList();
        Assert.Equal(8, functions.Count);
        Assert.Equal(AuthorizationLevel.Anonymous, functions.Single(f => f.Function == "Health").Level);
        Assert.All(functions.Where(f => f.Function != "Health"), f => Assert.Equal(AuthorizationLevel.Function, f.Level));
    }
}

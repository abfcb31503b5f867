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
    public void Only_health_and_the_page_are_anonymous_and_every_other_endpoint_needs_a_function_key()
    {
        var functions = HttpFunctions().ToList();
        static bool Public(string name) => name.StartsWith("Health", StringComparison.Ordinal) || Functions.WebPageFunction.Names.Contains(name);
        Assert.Contains(functions, f => f.Function == "Health");
        Assert.All(functions.Where(f => Public(f.Function)), f => Assert.Equal(AuthorizationLevel.Anonymous, f.Level));
        Assert.All(functions.Where(f => !Public(f.Function)), f => Assert.Equal(AuthorizationLevel.Function, f.Level));
    }
}

using FashionFunctions.Functions.Http.Access;
using FashionFunctions.Testing;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Tests;

/// <summary>Rights are the app's to check (<see cref="RightsMiddleware"/>), for every HTTP function.</summary>
public class RouteRightsTests
{
    [Fact]
    public void Every_http_function_has_a_rule_and_every_rule_names_an_http_function()
    {
        var functions = AppServer.Functions.Select(f => f.Name).ToHashSet();
        Assert.True(functions.Count > 10, "no HTTP functions found by reflection");
        Assert.Empty(functions.Except(RouteRights.ByFunction.Keys));
        Assert.Empty(RouteRights.ByFunction.Keys.Except(functions));
    }

    [Fact]
    public void The_host_lets_every_request_through_to_the_app_which_decides_who_may_call()
    {
        // A host key check in front would stop signed-in callers (Entra ID), who carry a token and no key.
        Assert.All(AppServer.Functions, f => Assert.Equal(AuthorizationLevel.Anonymous, f.AuthLevel));
    }
}

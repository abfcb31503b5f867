using System.Net;

namespace FashionFunctions.Functions.Tests;

/// <summary>The in-test server serves what the app ships: every HTTP function, routed and answered by its own code.</summary>
[Trait("Category", "Azurite")]
public class AppServerTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    public static TheoryData<string> FunctionNames() => [.. AppServer.Functions.Select(f => f.Name)];

    [Fact]
    public void Every_http_function_of_the_app_is_served_under_api()
    {
        Assert.Contains(AppServer.Functions, f => f.Name == "Classify" && f.Route == "api/classify" && f.Methods.SequenceEqual(["post"]));
        Assert.All(AppServer.Functions.Where(f => !Functions.WebPageFunction.Names.Contains(f.Name)), f => Assert.StartsWith("api/", f.Route));
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public async Task Each_function_answers_through_its_own_code_not_an_unrouted_404(string name)
    {
        var function = AppServer.Functions.Single(f => f.Name == name);
        string path = System.Text.RegularExpressions.Regex.Replace(function.Route, @"\{[^}]+\?\}", "");
        path = System.Text.RegularExpressions.Regex.Replace(path, @"\{[^}]+\}", "no-such-thing");
        var answer = await app.SendAsync(function.Methods[0].ToUpperInvariant(), path);

        // Kestrel's own 404/405 have no body; every function answers JSON, problem+json or its own type.
        Assert.False(string.IsNullOrEmpty(answer.ContentType), $"{name}: {answer.Status} without a body");
        Assert.NotEqual(500, answer.Status);
    }

    [Fact]
    public async Task An_unknown_route_is_a_plain_404()
    {
        using var response = await app.Client.GetAsync("api/no-such-route");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

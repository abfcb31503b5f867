using System.Text.RegularExpressions;
using FashionFunctions.Functions.Functions;
using FashionFunctions.Functions.Tests.Support;
using FashionFunctions.Functions.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace FashionFunctions.Functions.Tests;

/// <summary>The page and its files as the WebPage/WebAsset functions serve them: ETags, 304s, caching.</summary>
public partial class WebPageTests
{
    private static readonly IServiceProvider Services = new ServiceCollection().AddLogging().BuildServiceProvider();
    private readonly WebPageFunction function = new();

    [Fact]
    public async Task The_page_is_revalidated_on_every_load_and_links_assets_by_fingerprinted_names_cached_for_a_year()
    {
        var page = await GetAsync("/", r => function.Page(r));
        Assert.Equal(200, page.Status);
        Assert.Equal("text/html", page.ContentType);
        Assert.Equal("no-cache", page.Headers.CacheControl.ToString());
        Assert.Matches("^\"[0-9a-f]{16}\"$", page.Headers.ETag.ToString());
        Assert.Contains("default-src 'self'", page.Headers.ContentSecurityPolicy.ToString());

        var script = FingerprintedScript().Match(page.Body);
        Assert.True(script.Success, "index.html should link assets/app.<hash>.js: " + page.Body);
        var hashed = await GetAsync("/" + script.Value, r => function.Asset(r, script.Value["assets/".Length..]));
        var plain = await GetAsync("/assets/app.js", r => function.Asset(r, "app.js"));
        Assert.Equal(200, hashed.Status);
        Assert.Equal(StaticAssetResult.ImmutableCaching, hashed.Headers.CacheControl.ToString());
        Assert.Equal("no-cache", plain.Headers.CacheControl.ToString());
        Assert.Equal(plain.Body, hashed.Body);
        Assert.Equal(plain.Headers.ETag.ToString(), hashed.Headers.ETag.ToString());
        Assert.Contains(plain.Headers.ETag.ToString().Trim('"'), script.Value);
        Assert.Equal("nosniff", hashed.Headers.XContentTypeOptions.ToString());
    }

    [Fact]
    public async Task A_request_naming_the_current_ETag_gets_304_without_a_body_and_a_stale_one_gets_the_file()
    {
        var first = await GetAsync("/assets/app.css", r => function.Asset(r, "app.css"));
        string etag = first.Headers.ETag.ToString();

        var revalidated = await GetAsync("/assets/app.css", r => function.Asset(r, "app.css"), ("If-None-Match", etag));
        Assert.Equal(304, revalidated.Status);
        Assert.Equal("", revalidated.Body);
        Assert.Equal(etag, revalidated.Headers.ETag.ToString());

        var listed = await GetAsync("/assets/app.css", r => function.Asset(r, "app.css"), ("If-None-Match", $"\"0000000000000000\", W/{etag}"));
        Assert.Equal(304, listed.Status);

        var stale = await GetAsync("/assets/app.css", r => function.Asset(r, "app.css"), ("If-None-Match", "\"0000000000000000\""));
        Assert.Equal(200, stale.Status);
        Assert.Equal(first.Body, stale.Body);
        Assert.Equal("text/css", stale.ContentType);
    }

    [Fact]
    public async Task A_head_request_gets_the_headers_and_no_body()
    {
        var request = HttpCall.Request(Services, "HEAD", "/assets/app.js");
        var answer = await HttpCall.AnswerAsync(request, Task.FromResult(function.Asset(request, "app.js")));
        Assert.Equal(200, answer.Status);
        Assert.Equal("", answer.Body);
        Assert.True(request.HttpContext.Response.ContentLength > 1000);
    }

    [Fact]
    public async Task An_unknown_file_is_a_404_problem()
    {
        var answer = await GetAsync("/assets/nothing.js", r => function.Asset(r, "nothing.js"));
        answer.AssertProblem(404);
    }

    [Fact]
    public async Task The_OpenAPI_document_is_served_as_json()
    {
        var answer = await GetAsync("/api/openapi.json", r => function.OpenApi(r));
        Assert.Equal(200, answer.Status);
        Assert.Equal("application/json", answer.ContentType);
        Assert.Equal("3.1.1", answer.Json.GetProperty("openapi").GetString());
    }

    [Fact]
    public void The_page_loads_nothing_from_other_sites()
    {
        foreach (var asset in StaticAssets.Embedded.All.Where(a => a.Path is "index.html" or "assets/app.js" or "assets/app.css"))
        {
            string text = System.Text.Encoding.UTF8.GetString(asset.Content).Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal);
            Assert.DoesNotMatch("(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}", text);
        }
    }

    [Fact]
    public void The_page_script_never_puts_the_key_in_a_url_and_marks_every_call_as_its_own()
    {
        string script = System.Text.Encoding.UTF8.GetString(StaticAssets.Embedded.All.Single(a => a.Path == "assets/app.js").Content);
        Assert.DoesNotContain("code=", script, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("new EventSource", script); // it cannot send headers, so the key would have to go in its URL
        Assert.Contains("headers.set(\"x-functions-key\", key)", script);
        Assert.Contains("headers.set(\"X-Requested-With\"", script);
    }

    private static async Task<HttpAnswer> GetAsync(string path, Func<Microsoft.AspNetCore.Http.HttpRequest, Microsoft.AspNetCore.Http.IResult> call, params (string Name, string Value)[] headers)
    {
        var request = HttpCall.Request(Services, "GET", path, headers: headers.ToDictionary(h => h.Name, h => h.Value));
        return await HttpCall.AnswerAsync(request, Task.FromResult(call(request)));
    }

    [GeneratedRegex(@"assets/app\.[0-9a-f]{16}\.js")]
    private static partial Regex FingerprintedScript();
}

using System.Net.Http.Headers;
using System.Text;
using FashionFunctions.Functions.Http;

namespace FashionFunctions.Functions.Tests;

/// <summary>
/// What a page on another site can make a browser send to an instance without keys (a local one), and the headers
/// every answer carries; through the app's worker middleware, over real sockets. The client here sends only what
/// a browser sends for a cross-site form or a no-cors fetch: no X-Requested-With.
/// </summary>
[Trait("Category", "Azurite")]
public class RequestForgeryAndHeadersTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    private HttpClient Browserish() => new() { BaseAddress = app.Server.BaseAddress };

    private int Writes() => app.StorageRequests.CountWhere(r => !r.StartsWith("GET ", StringComparison.Ordinal) && !r.StartsWith("HEAD ", StringComparison.Ordinal));

    private static HttpContent? Body(string? contentType, string? body)
    {
        if (body is null)
        {
            return null;
        }

        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return content;
    }

    public static TheoryData<string, string?, string?> CrossSiteForms() => new()
    {
        { "api/training-jobs", "application/x-www-form-urlencoded", "epochs=1" },
        { "api/training-jobs", "text/plain", """{"epochs": 1}""" },
        { "api/training-jobs", null, null },
        { "api/classify", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"images\"; filename=\"a.png\"\r\n\r\nx\r\n--b--\r\n" },
        { "api/models/fmnist-20260101-000000-abc/promote", null, null },
        { "api/sweeps", "text/plain;charset=UTF-8", """{"grid": {"epochs": [1, 2]}}""" },
    };

    [Theory]
    [MemberData(nameof(CrossSiteForms))]
    public async Task A_post_a_page_on_another_site_could_send_unasked_is_400_naming_the_header_and_stores_nothing(string path, string? contentType, string? body)
    {
        using var client = Browserish();
        int writes = Writes();

        using var response = await client.PostAsync(path, Body(contentType, body));
        var answer = await HttpAnswer.FromAsync(response);

        answer.AssertProblem(400);
        Assert.Equal(RequestForgeryGuardMiddleware.HeaderName, answer.Json.GetProperty("field").GetString());
        Assert.Equal(writes, Writes());
    }

    [Fact]
    public async Task The_same_posts_go_through_with_the_header_or_with_a_json_body()
    {
        using var client = Browserish();
        using var json = await client.PostAsync("api/training-jobs", new StringContent("""{"epochs": 1}""", Encoding.UTF8, "application/json"));
        Assert.Equal(202, (int)json.StatusCode);

        using var bodiless = new HttpRequestMessage(HttpMethod.Post, "api/training-jobs");
        bodiless.Headers.Add(RequestForgeryGuardMiddleware.HeaderName, "curl");
        using var accepted = await client.SendAsync(bodiless);
        Assert.Equal(202, (int)accepted.StatusCode);

        using var textPlain = new HttpRequestMessage(HttpMethod.Post, "api/training-jobs") { Content = Body("text/plain", "{}") };
        textPlain.Headers.Add(RequestForgeryGuardMiddleware.HeaderName, "curl");
        using var refusedByTheFunction = await client.SendAsync(textPlain);
        Assert.Equal(415, (int)refusedByTheFunction.StatusCode); // past the guard, the function's own rule
    }

    [Fact]
    public async Task Every_answer_says_nosniff_and_hsts_successes_problems_streams_and_the_page_alike()
    {
        using var client = Browserish();
        string job = (await app.SendJsonAsync("POST", "api/training-jobs", "{}")).Json.GetProperty("id").GetString()!;
        using var events = new CancellationTokenSource();
        var answers = new List<HttpResponseMessage>
        {
            await client.GetAsync("api/health/live"),
            await client.GetAsync(""),
            await client.GetAsync("api/training-jobs/job-20000101-000000-000-00000000"), // 404 problem
            await client.PostAsync("api/training-jobs", null), // the guard's 400
            await client.GetAsync($"api/training-jobs/{job}/events", HttpCompletionOption.ResponseHeadersRead, events.Token),
        };

        Assert.Equal([200, 200, 404, 400, 200], answers.Select(a => (int)a.StatusCode));
        Assert.All(answers, a =>
        {
            Assert.Equal("nosniff", string.Join(",", a.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal(SecurityHeadersMiddleware.StrictTransportSecurity, string.Join(",", a.Headers.GetValues("Strict-Transport-Security")));
        });
        await events.CancelAsync();
        answers.ForEach(a => a.Dispose());
    }
}

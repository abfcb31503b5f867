using System.Collections.Concurrent;
using FashionFunctions.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FashionFunctions.Browser.Tests;

/// <summary>
/// The page behind function keys, as on Azure: the browser's requests pass through a route that answers 401, as the
/// Functions host does, to any call of a function-level route that carries no valid key, and lets the rest through to
/// the app's functions.
/// </summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Browser")]
[Trait("Category", "Azurite")]
public class FunctionKeyTests(BrowserApp app)
{
    private const string Key = "a-function-key";

    /// <summary>The API routes anyone may call (health, the OpenAPI document, who-am-I).</summary>
    private static readonly HashSet<string> Anonymous = AppServer.Functions
        .Where(f => Functions.Http.Access.RouteRights.ByFunction[f.Name] is null && f.Route.StartsWith("api/", StringComparison.Ordinal))
        .Select(f => "/" + f.Route)
        .ToHashSet();

    static FunctionKeyTests() => SetDefaultExpectTimeout(30_000);

    /// <summary>Every API call the page made: path, the key it carried (header or code parameter), if any, and
    /// whether that key was in the URL.</summary>
    private readonly ConcurrentQueue<(string Path, string? Key, bool KeyInUrl)> calls = new();

    private Task RequireKeysAsync(IPage page) => page.RouteAsync("**/api/**", async route =>
    {
        var url = new Uri(route.Request.Url);
        string? inUrl = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url.Query).GetValueOrDefault("code").FirstOrDefault();
        string? key = route.Request.Headers.GetValueOrDefault("x-functions-key") ?? inUrl;
        calls.Enqueue((url.AbsolutePath, key, inUrl is not null));
        if (Anonymous.Contains(url.AbsolutePath) || key == Key)
        {
            await route.ContinueAsync();
        }
        else
        {
            await route.FulfillAsync(new RouteFulfillOptions { Status = 401 });
        }
    });

    /// <summary>The page, once its first calls were refused and it shows the key dialog.</summary>
    private static async Task<(IPage Page, ILocator Dialog)> KeyAskedForAsync(PageSession session)
    {
        var dialog = session.Page.Locator("#key-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        return (session.Page, dialog);
    }

    [Fact]
    public async Task The_page_asks_for_the_key_once_keeps_it_for_the_tab_and_sends_it_with_every_call()
    {
        await using var session = await app.OpenAsync("function-key", beforeLoad: async page =>
        {
            await RequireKeysAsync(page);
            await page.AddInitScriptAsync("""
                window.keyPrompts = 0;
                const showModal = HTMLDialogElement.prototype.showModal;
                HTMLDialogElement.prototype.showModal = function () { window.keyPrompts++; return showModal.call(this); };
                """);
        });
        var (page, dialog) = await KeyAskedForAsync(session); // the models and jobs lists were refused at load
        await page.Locator("#key-input").FillAsync(Key);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.Locator("#model-list tbody tr")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#models-error")).ToBeHiddenAsync();
        await Expect(page.Locator("#train-error")).ToBeHiddenAsync();
        await Expect(page.Locator("#jobs tbody tr")).Not.ToHaveCountAsync(0);
        Assert.Equal(1, await page.EvaluateAsync<int>("window.keyPrompts")); // both lists refused at load, one prompt
        Assert.Equal(Key, await page.EvaluateAsync<string>("sessionStorage.getItem('fashion-functions-key')"));

        int before = calls.Count;
        await page.Locator("#file").SetInputFilesAsync(Path.Combine(RepoRoot.Path, "samples", "trouser.png"));
        await Expect(page.Locator("#answer-label")).ToHaveTextAsync("Trouser");
        await Expect(dialog).ToBeHiddenAsync(); // not asked again
        var later = calls.Skip(before).Where(c => !Anonymous.Contains(c.Path)).ToList();
        Assert.Contains(later, c => c.Path == "/api/classify");
        Assert.All(later, c => Assert.Equal(Key, c.Key));
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task A_job_is_followed_through_its_event_stream_with_the_key_in_a_header_never_in_a_url()
    {
        using var created = await app.Server.Client.PostAsync("api/training-jobs",
            new StringContent("""{"epochs": 1, "trainLimit": 3000, "seed": 4, "promote": false}""", System.Text.Encoding.UTF8, "application/json"));
        string jobId = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await using var session = await app.OpenAsync("function-key-events", beforeLoad: RequireKeysAsync);
        var (page, dialog) = await KeyAskedForAsync(session);
        await page.Locator("#key-input").FillAsync(Key);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = $"Show job {jobId}" }).ClickAsync();
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("queued");
        string events = $"/api/training-jobs/{jobId}/events";
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!calls.Any(c => c.Path == events) && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        await app.RunJobAsync(jobId);

        await Expect(page.Locator("#job-status")).ToHaveTextAsync("succeeded");
        await Expect(page.Locator("#job-loss svg circle.point")).ToHaveCountAsync(1);
        var followed = calls.Where(c => c.Path.StartsWith($"/api/training-jobs/{jobId}", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(followed);
        Assert.All(followed, c => Assert.Equal((events, Key, false), c)); // the stream, its key in the header; no polling
        Assert.DoesNotContain(calls, c => c.KeyInUrl);
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Cancelling_the_key_dialog_leaves_the_page_saying_what_was_refused_and_stores_nothing()
    {
        await using var session = await app.OpenAsync("function-key-cancelled", beforeLoad: RequireKeysAsync);
        var (page, dialog) = await KeyAskedForAsync(session);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.Locator("#models-error")).ToBeVisibleAsync();
        await Expect(page.Locator("#models-error")).ToContainTextAsync("401");
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('fashion-functions-key')"));
        Assert.DoesNotContain(calls, c => c.Key is not null);
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task A_wrong_key_is_refused_and_asked_for_again_on_the_next_call()
    {
        await using var session = await app.OpenAsync("function-key-wrong", beforeLoad: RequireKeysAsync);
        var (page, dialog) = await KeyAskedForAsync(session);
        await page.Locator("#key-input").FillAsync("not-the-key");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();
        await Expect(page.Locator("#models-error")).ToBeVisibleAsync(); // retried once with it, refused again

        await page.Locator("#refresh-jobs").ClickAsync();
        await Expect(dialog).ToBeVisibleAsync();
        await page.Locator("#key-input").FillAsync(Key);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();

        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.Locator("#jobs tbody tr")).Not.ToHaveCountAsync(0);
        Assert.Equal(Key, await page.EvaluateAsync<string>("sessionStorage.getItem('fashion-functions-key')"));
        session.AssertNoScriptErrors();
    }
}

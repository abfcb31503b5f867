using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FashionFunctions.Browser.Tests;

/// <summary>The header's status line on an app of its own that starts empty: what a first visit sees, and how the
/// line follows a job that makes its model current.</summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Browser")]
[Trait("Category", "Azurite")]
public sealed class StatusLineTests(BrowserApp app)
{
    static StatusLineTests() => SetDefaultExpectTimeout(30_000);

    [Fact]
    public async Task A_first_visit_to_a_fresh_app_logs_no_console_error_and_the_status_line_says_there_is_no_model_yet()
    {
        await using var fresh = await FreshApp.StartAsync();
        await using var session = await app.OpenAsync("first-visit", server: fresh.Server);
        var page = session.Page;

        await Expect(page.Locator("#health")).Not.ToBeEmptyAsync();
        await Expect(page.Locator("#model-list tbody")).ToContainTextAsync("No models yet");
        await Expect(page.Locator("#jobs tbody")).ToContainTextAsync("No jobs yet");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        session.AssertNoConsoleErrors();
        session.AssertNoScriptErrors();
        await Expect(page.Locator("#health")).ToHaveTextAsync("Healthy · no model yet: train one below");
    }

    [Fact]
    public async Task The_status_line_names_the_model_a_job_started_from_the_page_made_current_once_the_job_succeeds()
    {
        await using var fresh = await FreshApp.StartAsync();
        await using var session = await app.OpenAsync("status-line-after-job", server: fresh.Server);
        var page = session.Page;
        var health = page.Locator("#health");
        await Expect(health).Not.ToBeEmptyAsync();
        Assert.DoesNotContain("fmnist-", await health.TextContentAsync());

        var form = page.Locator("#train-form");
        await form.GetByLabel("Epochs").FillAsync("1");
        await form.GetByLabel("Train on first N images").FillAsync("3000");
        await Expect(form.GetByLabel("Make it current when done")).ToBeCheckedAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Start training" }).ClickAsync();
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("queued");
        string jobId = (await page.Locator("#job-id").TextContentAsync())!;
        await BrowserApp.RunJobAsync(fresh.Server, jobId);

        var job = await fresh.Server.Client.GetFromJsonAsync<JsonElement>($"api/training-jobs/{jobId}");
        Assert.True(job.GetProperty("promoted").GetBoolean());
        string modelId = job.GetProperty("modelId").GetString()!;
        await Expect(page.Locator("#job-status")).ToHaveTextAsync("succeeded");
        await Expect(health).ToHaveTextAsync($"Healthy · current model {modelId}");
        session.AssertNoScriptErrors();
    }
}

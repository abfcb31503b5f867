using System.Net.Http.Json;
using System.Text.Json;
using FashionFunctions.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FashionFunctions.Browser.Tests;

/// <summary>The shipping page, driven in headless Chromium against the app's functions and a real Azurite.</summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Browser")]
[Trait("Category", "Azurite")]
public class PageTests(BrowserApp app)
{
    private static readonly string Samples = Path.Combine(RepoRoot.Path, "samples");

    static PageTests() => SetDefaultExpectTimeout(30_000);

    [Fact]
    public async Task Uploading_a_test_image_shows_its_label_ten_bars_and_what_the_model_saw()
    {
        await using var session = await app.OpenAsync("classify-upload");
        var page = session.Page;

        await page.Locator("#file").SetInputFilesAsync(Path.Combine(Samples, "trouser.png"));

        await Expect(page.Locator("#answer-label")).ToHaveTextAsync("Trouser");
        await Expect(page.Locator("#probabilities li")).ToHaveCountAsync(10);
        await Expect(page.Locator("#probabilities .bar[role=meter]")).ToHaveCountAsync(10);
        await Expect(page.Locator("#answer-model")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^fmnist-"));
        await Expect(page.Locator("#model-input")).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^data:image/png;base64,"));
        Assert.Equal(28, await page.Locator("#model-input").EvaluateAsync<int>("img => img.naturalWidth"));
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Drawing_on_the_canvas_and_classifying_it_gets_an_answer()
    {
        await using var session = await app.OpenAsync("classify-drawing");
        var page = session.Page;
        var box = (await page.Locator("#canvas").BoundingBoxAsync())!;

        // Two legs of a pair of trousers.
        foreach (float x in new[] { 0.38f, 0.62f })
        {
            await page.Mouse.MoveAsync(box.X + box.Width * 0.5f, box.Y + box.Height * 0.15f);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(box.X + box.Width * x, box.Y + box.Height * 0.9f, new MouseMoveOptions { Steps = 12 });
            await page.Mouse.UpAsync();
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Classify drawing" }).ClickAsync();

        await Expect(page.Locator("#answer")).ToBeVisibleAsync();
        await Expect(page.Locator("#probabilities li")).ToHaveCountAsync(10);
        Assert.Contains(await page.Locator("#answer-label").TextContentAsync(), Core.Data.FashionMnistClasses.Names);
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_shows_the_problem_detail_instead_of_an_answer()
    {
        byte[] notAnImage = "this is a shopping list, not a photo"u8.ToArray();
        var direct = await app.Server.Client.PostAsync("api/classify", new ByteArrayContent(notAnImage) { Headers = { ContentType = new("image/png") } });
        string detail = (await direct.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;

        await using var session = await app.OpenAsync("classify-bad-file");
        var page = session.Page;
        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "list.png", MimeType = "image/png", Buffer = notAnImage });

        var error = page.Locator("#classify-error");
        await Expect(error).ToBeVisibleAsync();
        await Expect(error).ToContainTextAsync(detail);
        await Expect(page.Locator("#answer")).ToBeHiddenAsync();
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task A_one_epoch_job_started_from_the_page_shows_its_curve_and_final_state()
    {
        await using var session = await app.OpenAsync("train-job");
        var page = session.Page;
        var form = page.Locator("#train-form");
        Assert.Equal("10", await form.GetByLabel("Epochs").InputValueAsync());
        Assert.Equal("32", await form.GetByLabel("Batch size").InputValueAsync());
        Assert.Equal("0.001", await form.GetByLabel("Learning rate").InputValueAsync());
        await form.GetByLabel("Epochs").FillAsync("1");
        await form.GetByLabel("Train on first N images").FillAsync("3000");
        await form.GetByLabel("Make it current when done").UncheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Start training" }).ClickAsync();

        await Expect(page.Locator("#job-status")).ToHaveTextAsync("queued");
        string jobId = (await page.Locator("#job-id").TextContentAsync())!;
        await app.RunJobAsync(jobId);

        await Expect(page.Locator("#job-status")).ToHaveTextAsync("succeeded");
        await Expect(page.Locator("#job-loss svg circle.point")).ToHaveCountAsync(1);
        await Expect(page.Locator("#job-accuracy svg circle.point")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator($"#jobs tr[data-job='{jobId}'] .status")).ToHaveTextAsync("succeeded");
        await Expect(page.Locator("#cancel-job")).ToBeHiddenAsync();
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Opening_a_model_shows_its_curves_per_class_accuracy_and_a_confusion_matrix_of_the_whole_test_set()
    {
        await using var session = await app.OpenAsync("model-detail");
        var page = session.Page;

        await page.Locator("#model-list button[data-action=open]").First.ClickAsync();

        var matrix = page.Locator("#pane-0 table.confusion");
        await Expect(matrix.Locator("tbody tr")).ToHaveCountAsync(10);
        await Expect(matrix.Locator("tbody td")).ToHaveCountAsync(100);
        var counts = await matrix.Locator("tbody td").AllTextContentsAsync();
        Assert.Equal(10_000, counts.Sum(int.Parse));
        await Expect(page.Locator("#pane-0 .per-class li")).ToHaveCountAsync(10);
        await Expect(page.Locator("#pane-0 .chart svg")).ToHaveCountAsync(2);
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Trying_a_sample_then_promoting_a_model_marks_it_current_with_two_models_side_by_side()
    {
        var models = (await app.Server.Client.GetFromJsonAsync<JsonElement>("api/models")).GetProperty("items").EnumerateArray().ToArray();
        if (models!.Length < 2)
        {
            await app.TrainAsync("""{"epochs": 1, "trainLimit": 3000, "seed": 5, "promote": false}""");
            models = (await app.Server.Client.GetFromJsonAsync<JsonElement>("api/models")).GetProperty("items").EnumerateArray().ToArray();
        }

        string current = models!.Single(m => m.GetProperty("current").GetBoolean()).GetProperty("modelId").GetString()!;
        string other = models!.First(m => !m.GetProperty("current").GetBoolean()).GetProperty("modelId").GetString()!;

        await using var session = await app.OpenAsync("models-compare-promote");
        var page = session.Page;
        await page.Locator("#samples button[data-sample='photo.jpg']").ClickAsync();
        await Expect(page.Locator("#probabilities li")).ToHaveCountAsync(10);
        await page.Locator($"#model-list tr[data-model='{current}'] button[data-action=open]").ClickAsync();
        await page.Locator($"#model-list tr[data-model='{other}'] button[data-action=compare]").ClickAsync();
        await Expect(page.Locator("#pane-0 h3")).ToContainTextAsync(current);
        await Expect(page.Locator("#pane-1 h3")).ToContainTextAsync(other);
        await Expect(page.Locator("#pane-1 table.confusion tbody td")).ToHaveCountAsync(100);

        await page.Locator("#pane-1 button.promote").ClickAsync();

        await Expect(page.Locator($"#model-list tr[data-model='{other}'] .badge")).ToHaveTextAsync("current");
        await Expect(page.Locator($"#model-list tr[data-model='{current}'] .badge")).ToHaveCountAsync(0);
        await Expect(page.Locator("#pane-1 button.promote")).ToBeDisabledAsync();
        var after = (await app.Server.Client.GetFromJsonAsync<JsonElement>("api/models")).GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(other, after!.Single(m => m.GetProperty("current").GetBoolean()).GetProperty("modelId").GetString());
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task The_page_fits_a_360_pixel_wide_phone_screen()
    {
        await using var session = await app.OpenAsync("phone-360", width: 360, height: 780);
        var page = session.Page;
        await page.Locator("#file").SetInputFilesAsync(Path.Combine(Samples, "photo.jpg"));
        await Expect(page.Locator("#probabilities li")).ToHaveCountAsync(10);

        int scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        string wide = await page.EvaluateAsync<string>("""
            [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 361)
              .slice(0, 8).map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className + " " + Math.round(e.getBoundingClientRect().right)).join(", ")
            """);
        Assert.True(scrollWidth <= 360, $"the page is {scrollWidth} px wide at a 360 px viewport: {wide}");
        session.AssertNoScriptErrors();
    }
}

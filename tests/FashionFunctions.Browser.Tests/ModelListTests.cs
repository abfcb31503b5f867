using System.Net.Http.Json;
using System.Text.Json;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FashionFunctions.Browser.Tests;

/// <summary>The Models tab and the model picker a page at a time, and deleting a model from the page.</summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Browser")]
[Trait("Category", "Azurite")]
public class ModelListTests(BrowserApp app)
{
    static ModelListTests() => SetDefaultExpectTimeout(30_000);

    /// <summary>Copies of the fixture's model, newer than every other (so they fill the first pages), newest last.</summary>
    private async Task<List<string>> SaveCopiesAsync(string prefix, int count)
    {
        var registry = app.Server.Get<BlobModelRegistry>();
        var models = await app.Server.Client.GetFromJsonAsync<JsonElement>("api/models");
        var template = await registry.LoadAsync(models.GetProperty("items")[0].GetProperty("modelId").GetString()!);
        var ids = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D2}").ToList();
        var newest = DateTimeOffset.UtcNow.AddYears(1);
        for (int i = 0; i < count; i++)
        {
            await registry.SaveAsync(ModelArtifact.Create(template.Weights, template.Manifest with { ModelId = ids[i], CreatedAt = newest.AddMinutes(i) }));
        }

        return ids;
    }

    private async Task DeleteAsync(IEnumerable<string> ids)
    {
        foreach (string id in ids)
        {
            await app.Server.Client.DeleteAsync($"api/models/{id}");
        }
    }

    [Fact]
    public async Task The_model_list_and_the_picker_show_a_page_and_load_more_on_request()
    {
        var copies = await SaveCopiesAsync("fmnist-paged", 21);
        try
        {
            await using var session = await app.OpenAsync("models-more");
            var page = session.Page;

            await Expect(page.Locator("#model-list tbody tr")).ToHaveCountAsync(20);
            await Expect(page.Locator("#more-models")).ToBeVisibleAsync();
            await Expect(page.Locator("#classify-model option")).ToHaveCountAsync(1 + 20 + 1); // current, a page, "More models…"

            await page.Locator("#classify-model").SelectOptionAsync("more:");
            await Expect(page.Locator("#classify-model option[value='fmnist-paged-00']")).ToHaveCountAsync(1);
            await Expect(page.Locator("#classify-model")).ToHaveValueAsync("");
            await Expect(page.Locator($"#model-list tr[data-model='fmnist-paged-00']")).ToHaveCountAsync(1);

            string[] shown = await page.Locator("#model-list tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.model)");
            Assert.True(shown.Length > 21, $"the second page added the rest: {shown.Length} rows");
            Assert.Equal(shown.Length, shown.Distinct().Count());
            session.AssertNoScriptErrors();
        }
        finally
        {
            await DeleteAsync(copies);
        }
    }

    [Fact]
    public async Task Deleting_a_model_from_the_page_asks_first_then_takes_it_off_the_list_and_the_picker()
    {
        string id = (await SaveCopiesAsync("fmnist-doomed", 1)).Single();
        await using var session = await app.OpenAsync("models-delete");
        var page = session.Page;
        var row = page.Locator($"#model-list tr[data-model='{id}']");
        await row.Locator("button[data-action=open]").ClickAsync();
        await Expect(page.Locator("#pane-0 h3")).ToContainTextAsync(id);

        string? asked = null;
        page.Dialog += DismissOnce;
        await page.Locator("#pane-0 button.delete").ClickAsync();
        await Expect(row).ToHaveCountAsync(1); // dismissed: nothing deleted
        Assert.Contains(id, asked);
        Assert.Equal(200, (int)(await app.Server.Client.GetAsync($"api/models/{id}")).StatusCode);

        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await page.Locator("#pane-0 button.delete").ClickAsync();

        await Expect(row).ToHaveCountAsync(0);
        await Expect(page.Locator($"#classify-model option[value='{id}']")).ToHaveCountAsync(0);
        await Expect(page.Locator("#pane-0")).ToBeHiddenAsync();
        Assert.Equal(404, (int)(await app.Server.Client.GetAsync($"api/models/{id}")).StatusCode);
        session.AssertNoScriptErrors();

        void DismissOnce(object? sender, IDialog dialog)
        {
            page.Dialog -= DismissOnce;
            asked = dialog.Message;
            _ = dialog.DismissAsync();
        }
    }

    [Fact]
    public async Task The_current_model_offers_no_delete()
    {
        var models = await app.Server.Client.GetFromJsonAsync<JsonElement>("api/models?limit=100");
        string current = models.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("current").GetBoolean()).GetProperty("modelId").GetString()!;
        await using var session = await app.OpenAsync("models-current-no-delete");
        var page = session.Page;

        await page.Locator($"#model-list tr[data-model='{current}'] button[data-action=open]").ClickAsync();

        await Expect(page.Locator("#pane-0 button.promote")).ToBeDisabledAsync();
        await Expect(page.Locator("#pane-0 button.delete")).ToHaveCountAsync(0);
    }
}

using System.Security.Cryptography;
using System.Text;
using FashionFunctions.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FashionFunctions.Browser.Tests;

/// <summary>
/// The page served by the app in <c>Keys</c> mode (named keys, the app's own rights table): once a key is entered it
/// says who the caller is and offers only what that caller may do.
/// </summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Browser")]
[Trait("Category", "Azurite")]
public sealed class RolesOnThePageTests(BrowserApp app) : IAsyncLifetime
{
    private AppServer keys = null!;
    private string otherModel = null!;

    static RolesOnThePageTests() => SetDefaultExpectTimeout(30_000);

    private static string KeyOf(string name) => $"page-key-of-{name}";

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?> { ["FashionFunctions:Auth:Mode"] = "Keys" };
        foreach (string role in new[] { "classifier", "trainer", "admin" })
        {
            settings[$"FashionFunctions:Auth:Keys:{role}"] = $"{role}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(KeyOf(role))))}";
        }

        keys = await AppServer.StartAsync(app.ConnectionString, settings);
        otherModel = (await app.TrainAsync("""{"epochs": 1, "trainLimit": 3000, "seed": 11, "promote": false}""")).GetProperty("modelId").GetString()!;
    }

    public async Task DisposeAsync() => await keys.DisposeAsync();

    /// <summary>The page on the keys server, the key entered when the first call is refused, the other model's pane open.</summary>
    private async Task<PageSession> SignedInAsync(string role)
    {
        var session = await app.OpenAsync($"roles-{role}", server: keys);
        var page = session.Page;
        await Expect(page.Locator("#who")).ToContainTextAsync("No key yet");
        var dialog = page.Locator("#key-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await page.Locator("#key-input").FillAsync(KeyOf(role));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use key" }).ClickAsync();
        await Expect(page.Locator("#who")).ToContainTextAsync($"Signed in as key:{role}, {role}");
        await page.Locator($"#model-list tr[data-model='{otherModel}'] button[data-action='open']").ClickAsync();
        await Expect(page.Locator("#pane-0 h3")).ToContainTextAsync(otherModel);
        return session;
    }

    [Fact]
    public async Task A_classifier_is_told_its_role_and_offered_neither_training_nor_promotion_nor_deletion()
    {
        await using var session = await SignedInAsync("classifier");
        var page = session.Page;

        await Expect(page.Locator("#who")).ToContainTextAsync("you may classify");
        await Expect(page.Locator("#train")).ToBeHiddenAsync();
        await Expect(page.Locator("nav a[href='#train']")).ToBeHiddenAsync();
        await Expect(page.Locator("#pane-0 button.promote")).ToHaveCountAsync(0);
        await Expect(page.Locator("#pane-0 button.delete")).ToHaveCountAsync(0);
        await page.Locator("#file").SetInputFilesAsync(Path.Combine(RepoRoot.Path, "samples", "trouser.png"));
        await Expect(page.Locator("#answer-label")).ToHaveTextAsync("Trouser");
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task A_trainer_starts_a_job_from_the_page_without_being_offered_to_make_it_current()
    {
        await using var session = await SignedInAsync("trainer");
        var page = session.Page;

        await Expect(page.Locator("#who")).ToContainTextAsync("you may classify, train");
        await Expect(page.Locator("#train-form input[name='promote']")).ToBeHiddenAsync();
        await Expect(page.Locator("#pane-0 button.promote")).ToHaveCountAsync(0);
        await page.Locator("#train-form input[name='epochs']").FillAsync("1");
        await page.Locator("#train-form input[name='trainLimit']").FillAsync("1000");
        await page.Locator("#train-form button[type='submit']").ClickAsync();

        await Expect(page.Locator("#job")).ToBeVisibleAsync();
        await Expect(page.Locator("#train-error")).ToBeHiddenAsync();
        session.AssertNoScriptErrors();
    }

    [Fact]
    public async Task An_admin_is_offered_training_promotion_and_deletion()
    {
        await using var session = await SignedInAsync("admin");
        var page = session.Page;

        await Expect(page.Locator("#who")).ToContainTextAsync("you may classify, train, promote, delete models");
        await Expect(page.Locator("#train")).ToBeVisibleAsync();
        await Expect(page.Locator("#pane-0 button.promote")).ToBeEnabledAsync();
        await Expect(page.Locator("#pane-0 button.delete")).ToBeVisibleAsync();
        session.AssertNoScriptErrors();
    }
}

using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Testing;
using Microsoft.Playwright;

namespace FashionFunctions.Browser.Tests;

/// <summary>
/// One real Azurite, the app's functions on the in-test server, a model trained through the job API and the
/// core's runner (the in-test server has no queue trigger), and headless Chromium from Debian's package.
/// </summary>
public sealed class BrowserApp : IAsyncLifetime
{
    public const string QuickJob = """{"epochs": 1, "trainLimit": 6000, "seed": 3}""";

    private readonly AzuriteProcess azurite = new();
    private IPlaywright? playwright;

    public AppServer Server { get; private set; } = null!;

    public string ConnectionString => azurite.ConnectionString;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>$CHROMIUM_PATH, else Debian's /usr/bin/chromium (scripts/setup.sh installs it).</summary>
    public static string ChromiumPath =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";

    /// <summary>Where each test leaves its screenshot: TestResults/screenshots beside this project.</summary>
    public static string ScreenshotDirectory { get; } =
        Path.Combine(RepoRoot.Path, "tests", "FashionFunctions.Browser.Tests", "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium not found at {ChromiumPath}. Run scripts/setup.sh (it installs Debian's chromium package) or set CHROMIUM_PATH.");
        }

        await azurite.InitializeAsync();
        Server = await AppServer.StartAsync(azurite.ConnectionString);
        await TrainAsync();
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await azurite.DisposeAsync();
    }

    /// <summary>The page, loaded in a fresh browser context; disposing it saves a screenshot named for the test.
    /// <paramref name="beforeLoad"/> prepares the page before it is loaded (routes, say); <paramref name="server"/>
    /// serves it instead of this fixture's app (a <see cref="FreshApp"/>, say).</summary>
    public async Task<PageSession> OpenAsync(string screenshotName, int width = 1280, int height = 900, Func<IPage, Task>? beforeLoad = null,
        AppServer? server = null)
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions
        {
            BaseURL = (server ?? Server).BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var session = new PageSession(page, Path.Combine(ScreenshotDirectory, screenshotName + ".png"));
        if (beforeLoad is not null)
        {
            await beforeLoad(page);
        }

        await page.GotoAsync("/");
        return session;
    }

    /// <summary>Submits a job over HTTP and runs it to the end with the core's runner, as the queue trigger would.</summary>
    public async Task<JsonElement> TrainAsync(string json = QuickJob)
    {
        var response = await Server.Client.PostAsync("api/training-jobs", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        string id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await RunJobAsync(id);
        return await Server.Client.GetFromJsonAsync<JsonElement>($"api/training-jobs/{id}");
    }

    public Task RunJobAsync(string jobId) => RunJobAsync(Server, jobId);

    public static Task RunJobAsync(AppServer server, string jobId) =>
        server.Get<TrainingJobRunner>().RunAsync(new TrainingJobMessage(jobId).ToJson(), dequeueCount: 1, maxDequeueCount: 3, CancellationToken.None);
}

/// <summary>A page under test: the script errors it raised, what it logged as errors to the console (failed loads
/// among them), and a full-page screenshot when done.</summary>
public sealed class PageSession : IAsyncDisposable
{
    private readonly List<string> scriptErrors = [];
    private readonly ConcurrentQueue<string> consoleErrors = new();
    private readonly string screenshotPath;

    public PageSession(IPage page, string screenshotPath)
    {
        Page = page;
        this.screenshotPath = screenshotPath;
        page.PageError += (_, message) => scriptErrors.Add(message);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                consoleErrors.Enqueue($"{message.Text} ({message.Location})");
            }
        };
    }

    public IPage Page { get; }

    public void AssertNoScriptErrors() => Assert.True(scriptErrors.Count == 0, "script errors on the page: " + string.Join("; ", scriptErrors));

    public void AssertNoConsoleErrors() => Assert.True(consoleErrors.IsEmpty, "console errors on the page: " + string.Join("; ", consoleErrors));

    public async ValueTask DisposeAsync()
    {
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshotPath, FullPage = true });
        await Page.Context.CloseAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserApp>
{
    public const string Name = "browser";
}

using System.Diagnostics;
using System.Text;
using FashionFunctions.Testing;

namespace FashionFunctions.EndToEnd.Tests;

/// <summary>
/// The real Functions host serving the app on a free port: `func start` in the app's folder, or the command in
/// FASHION_FUNC_START (run through bash in that folder, with --port N appended).
/// </summary>
public sealed class FunctionsHost : IAsyncLifetime
{
    public const string StartVariable = "FASHION_FUNC_START";

    private readonly AzuriteProcess azurite = new();
    private readonly StringBuilder output = new();
    private Process? process;

    public int Port { get; } = FreePort.Next();
    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The command that starts the host, or null with the reason it cannot be found.</summary>
    public static (string? Command, string Reason) FindCommand()
    {
        if (Environment.GetEnvironmentVariable(StartVariable) is { Length: > 0 } custom)
        {
            return (custom, $"using {StartVariable}");
        }

        string local = Path.Combine(RepoRoot.Path, "tools", "func", "node_modules", ".bin", "func");
        if (File.Exists(local))
        {
            return ($"'{local}' start", "using tools/func");
        }

        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(directory, "func")))
            {
                return ("func start", "using func on PATH");
            }
        }

        return (null, "Azure Functions Core Tools (func) is not installed and FASHION_FUNC_START is not set; "
            + "install Core Tools, or set FASHION_FUNC_START to a command that serves the app (run in src/FashionFunctions.Functions, --port N appended).");
    }

    public async Task InitializeAsync()
    {
        var (command, _) = FindCommand();
        if (command is null)
        {
            return; // the tests skip
        }

        await azurite.InitializeAsync();
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Path.Combine(RepoRoot.Path, "src", "FashionFunctions.Functions"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"exec {command} --port {Port}");
        start.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
        start.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        start.Environment["FashionFunctions__DatasetSeedSource"] = "/usr/share/datasets/fashion-mnist";
        start.Environment["FashionFunctions__ModelCacheRevalidateSeconds"] = "1";
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        Http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.Add("X-Requested-With", "tests"); // as documented clients do (multipart, bodiless POSTs)
        if (Environment.GetEnvironmentVariable("FASHION_FUNC_KEY") is { Length: > 0 } key)
        {
            Http.DefaultRequestHeaders.Add("x-functions-key", key);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The Functions host exited with code {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await Http.GetAsync("api/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"The Functions host did not answer /api/health within 4 minutes:\n{Output}");
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        Http?.Dispose();
        await azurite.DisposeAsync();
    }
}

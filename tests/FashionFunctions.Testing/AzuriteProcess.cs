using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace FashionFunctions.Testing;

/// <summary>
/// A real Azurite process on loopback, in memory, stopped on dispose. Azurite binds port 0 for each service and
/// reports the port the system gave it, so no other process can take a port between a probe and the bind (test
/// projects run in parallel). Found at $AZURITE_BIN, else tools/azurite/node_modules/.bin/azurite
/// (scripts/setup.sh installs it there).
/// </summary>
public sealed partial class AzuriteProcess : IAsyncLifetime
{
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder output = new();
    private readonly Dictionary<string, TaskCompletionSource<int>> listening = new()
    {
        ["Blob"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
        ["Queue"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
        ["Table"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
    };

    private Process? process;

    public int BlobPort { get; private set; }
    public int QueuePort { get; private set; }
    public int TablePort { get; private set; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";

    public static string Executable =>
        Environment.GetEnvironmentVariable("AZURITE_BIN") is { Length: > 0 } configured
            ? configured
            : System.IO.Path.Combine(RepoRoot.Path, "tools", "azurite", "node_modules", ".bin", "azurite");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"Azurite not found at {Executable}. Run scripts/setup.sh (it runs npm ci in tools/azurite) or set AZURITE_BIN.");
        }

        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[]
        {
            "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", "0",
            "--queueHost", "127.0.0.1", "--queuePort", "0",
            "--tableHost", "127.0.0.1", "--tablePort", "0",
        })
        {
            start.ArgumentList.Add(arg);
        }

        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => OnOutput(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            foreach (var port in listening.Values)
            {
                port.TrySetException(new InvalidOperationException("Azurite exited before it listened."));
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            var ports = await Task.WhenAll(listening.Values.Select(p => p.Task)).WaitAsync(StartTimeout);
            (BlobPort, QueuePort, TablePort) = (ports[0], ports[1], ports[2]);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            await DisposeAsync();
            throw new InvalidOperationException($"Azurite did not listen within {StartTimeout.TotalSeconds} s ({e.Message}). Its output:\n{Output}");
        }
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

    public Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }

        process?.Dispose();
        process = null;
        return Task.CompletedTask;
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }

        if (ListeningLine().Match(line) is { Success: true } match && listening.TryGetValue(match.Groups["service"].Value, out var port))
        {
            port.TrySetResult(int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}

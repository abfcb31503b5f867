using System.Diagnostics;
using System.Text;
using Xunit;

namespace FashionFunctions.Testing;

/// <summary>
/// A real Azurite process on loopback ports of its own, in memory, stopped on dispose. Found at
/// $AZURITE_BIN, else tools/azurite/node_modules/.bin/azurite (scripts/setup.sh installs it there).
/// </summary>
public sealed class AzuriteProcess : IAsyncLifetime
{
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly StringBuilder output = new();
    private Process? process;

    public int BlobPort { get; } = FreePort.Next();
    public int QueuePort { get; } = FreePort.Next();
    public int TablePort { get; } = FreePort.Next();

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
            "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl",
            "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(),
            "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(),
            "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(),
        })
        {
            start.ArgumentList.Add(arg);
        }

        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        foreach (int port in new[] { BlobPort, QueuePort, TablePort })
        {
            if (!await FreePort.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(60)))
            {
                await DisposeAsync();
                throw new InvalidOperationException($"Azurite did not listen on port {port} within 60 s. Its output:\n{output}");
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
}

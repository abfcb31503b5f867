using System.Diagnostics;
using FashionFunctions.Testing;

namespace FashionFunctions.Functions.Tests.Support;

/// <summary>The app's HTTP functions served by a child process (tests/FashionFunctions.AppServer.TestHost).</summary>
public sealed class AppServerProcess : IDisposable
{
    private readonly Process process;

    private AppServerProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Id => process.Id;

    public static async Task<AppServerProcess> StartAsync(string storageConnectionString)
    {
        string dll = RepoRoot.TestHostDll("FashionFunctions.AppServer.TestHost", "app-server.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(storageConnectionString);
        var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            process.Kill();
            throw new InvalidOperationException($"app-server did not start: {line} {await stderr}");
        }

        return new AppServerProcess(process, new Uri(line["listening ".Length..]));
    }

    /// <summary>The shared objects mapped into the process now.</summary>
    public string MappedFiles() => File.ReadAllText($"/proc/{process.Id}/maps");

    public void Dispose()
    {
        process.StandardInput.Close();
        if (!process.WaitForExit(10_000))
        {
            process.Kill();
        }

        process.Dispose();
    }
}

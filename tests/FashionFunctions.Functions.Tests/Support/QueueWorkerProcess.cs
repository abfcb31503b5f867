using System.Collections.Concurrent;
using System.Diagnostics;
using FashionFunctions.Testing;

namespace FashionFunctions.Functions.Tests.Support;

/// <summary>
/// The job worker test host (tests/FashionFunctions.JobWorker.TestHost) serving the training queue in its own
/// process: one more "instance" of the app consuming the queue with the app's real runner, as the Functions host
/// would (one message at a time). <see cref="Lines"/> is what it printed ("outcome: Succeeded", log lines).
/// </summary>
public sealed class QueueWorkerProcess : IDisposable
{
    private readonly Process process;

    public ConcurrentQueue<string> Lines { get; } = new();

    public QueueWorkerProcess(string connectionString, int heartbeatSeconds = 1, int claimExpirySeconds = 90)
    {
        string dll = JobWorkerProcess.Executable;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { dll, connectionString, $"{heartbeatSeconds}", $"{claimExpirySeconds}", "serve" })
        {
            start.ArgumentList.Add(arg);
        }

        process = Process.Start(start) ?? throw new InvalidOperationException("The job worker did not start.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { Lines.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Lines.Enqueue("stderr: " + e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        process.Dispose();
    }
}

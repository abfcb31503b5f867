using System.Diagnostics;
using System.Text;
using FashionFunctions.Testing;

namespace FashionFunctions.Functions.Tests.Support;

/// <summary>A worker as a child process (tests/FashionFunctions.JobWorker.TestHost) that a test can SIGKILL.</summary>
public sealed class JobWorkerProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    /// <summary>What makes libtorch and .NET run the kernels an AVX2-only CPU runs, on a CPU with AVX-512.</summary>
    public static readonly IReadOnlyDictionary<string, string> Avx2CodePath = new Dictionary<string, string>
    {
        ["MKL_ENABLE_INSTRUCTIONS"] = "AVX2",
        ["ATEN_CPU_CAPABILITY"] = "avx2",
        ["DOTNET_EnableAVX512"] = "0",
    };

    private JobWorkerProcess(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Executable);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string Executable => RepoRoot.TestHostDll("FashionFunctions.JobWorker.TestHost", "job-worker.dll");

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

    /// <summary>One delivery of <paramref name="message"/>.</summary>
    public static JobWorkerProcess Run(string connection, string message, int dequeueCount, double heartbeatSeconds, double claimExpirySeconds, IReadOnlyDictionary<string, string>? environment = null) =>
        new([connection, Invariant(heartbeatSeconds), Invariant(claimExpirySeconds), "run", message, dequeueCount.ToString()], environment);

    /// <summary>Receives from the training queue until killed, as a Functions instance would.</summary>
    public static JobWorkerProcess Serve(string connection, double heartbeatSeconds, double claimExpirySeconds) =>
        new([connection, Invariant(heartbeatSeconds), Invariant(claimExpirySeconds), "serve"]);

    public async Task<string> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        process.WaitForExit(); // drains the redirected output
        return Output;
    }

    /// <summary>SIGKILL: no finally blocks, no last writes.</summary>
    public void Kill()
    {
        process.Kill();
        process.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
        }

        process.Dispose();
    }

    private static string Invariant(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

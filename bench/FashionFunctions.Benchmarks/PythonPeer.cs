using System.Diagnostics;
using System.Text.Json;

namespace FashionFunctions.Benchmarks;

/// <summary>Runs a peer script in bench/peers with Debian's python3 and reads its one JSON line.</summary>
internal static class PythonPeer
{
    public const string Python = "/usr/bin/python3";

    public static (TrainerRun? Run, string Note) Train(string script, string dataDirectory, int epochs, long seed, string peersDirectory)
    {
        if (!File.Exists(Python))
        {
            return (null, $"{Python} not found (scripts/bench.sh installs python3-torch and python3-sklearn)");
        }

        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = peersDirectory };
        foreach (string arg in new[] { script, "--data", dataDirectory, "--epochs", epochs.ToString(), "--seed", seed.ToString() })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string last = stderr.Result.Trim().Split('\n').LastOrDefault() ?? "";
            return (null, $"{script} failed: {last}");
        }

        using var json = JsonDocument.Parse(stdout.Result.Trim().Split('\n')[^1]);
        var seconds = json.RootElement.GetProperty("epochSeconds").EnumerateArray().Select(e => e.GetDouble()).ToList();
        string version = json.RootElement.TryGetProperty("version", out var v) ? v.GetString() ?? "" : "";
        return (new TrainerRun(seconds, json.RootElement.GetProperty("testAccuracy").GetDouble()), version);
    }
}

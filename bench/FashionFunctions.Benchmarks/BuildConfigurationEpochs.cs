using System.Diagnostics;
using System.Text.Json;
using FashionFunctions.Testing;

namespace FashionFunctions.Benchmarks;

/// <summary>The CLI's epoch times built Debug and built Release, the two trained in alternation.</summary>
internal sealed record BuildConfigurationResult(int EpochsPerRun, int RunsPerConfiguration, IReadOnlyList<double> DebugEpochSeconds, IReadOnlyList<double> ReleaseEpochSeconds)
{
    public double DebugMedianSeconds => Statistics.Median(DebugEpochSeconds);
    public double ReleaseMedianSeconds => Statistics.Median(ReleaseEpochSeconds);

    /// <summary>Debug's median epoch over Release's; the target is at most 1.2.</summary>
    public double DebugOverRelease => DebugMedianSeconds / ReleaseMedianSeconds;
}

/// <summary>
/// <c>func start</c>, which scripts/run.sh serves the app with, builds Debug; so a job through the app runs a Debug
/// build of FashionFunctions.Core, and the trainer's hand-vectorised kernels are fast only when optimised. Core is
/// therefore optimised in every configuration. This runs <c>fashion train</c> from the Debug and the Release build
/// of the CLI (scripts/bench.sh builds both) and compares their epochs, leaving out each process's first epoch
/// (JIT compilation and first use of every buffer).
/// </summary>
internal static class BuildConfigurationEpochs
{
    public const double Target = 1.2;

    public static (BuildConfigurationResult? Result, string Note) Run(string dataDirectory, int epochs, int runsPerConfiguration = 2)
    {
        string[] configurations = ["Debug", "Release"];
        var cli = configurations.ToDictionary(c => c, c => Path.Combine(RepoRoot.Path, "src", "FashionFunctions.Cli", "bin", c, "net10.0", "fashion.dll"));
        if (cli.Values.FirstOrDefault(p => !File.Exists(p)) is { } missing)
        {
            return (null, $"skipped: {missing} not built (scripts/bench.sh builds the CLI in Debug and Release)");
        }

        var seconds = configurations.ToDictionary(c => c, _ => new List<double>());
        int measured = Math.Max(3, epochs);
        for (int run = 0; run < runsPerConfiguration; run++)
        {
            foreach (string configuration in configurations)
            {
                var (epochSeconds, error) = Train(cli[configuration], dataDirectory, measured);
                if (error is not null)
                {
                    return (null, $"{configuration} CLI failed: {error}");
                }

                seconds[configuration].AddRange(epochSeconds.Skip(1));
            }
        }

        return (new BuildConfigurationResult(measured, runsPerConfiguration, seconds["Debug"], seconds["Release"]), "");
    }

    private static (IReadOnlyList<double> EpochSeconds, string? Error) Train(string cliDll, string dataDirectory, int epochs)
    {
        string output = Directory.CreateTempSubdirectory("fashion-bench-model-").FullName;
        try
        {
            string dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
            var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { cliDll, "train", "--epochs", epochs.ToString(), "--data", dataDirectory, "--output", output })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                return ([], (stderr.Result.Trim().Split('\n').LastOrDefault() ?? "") + $" (exit {process.ExitCode})");
            }

            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "manifest.json")));
            return (manifest.RootElement.GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty("durationSeconds").GetDouble()).ToList(), null);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}

using System.Text.Json;
using FashionFunctions.Testing;

namespace FashionFunctions.Benchmarks;

/// <summary>
/// The CLI's epoch times built Debug and built Release, and a job's through the app built Debug (empty when it was
/// not measured), all trained in alternation.
/// </summary>
internal sealed record BuildConfigurationResult(int EpochsPerRun, int RunsPerConfiguration, IReadOnlyList<double> DebugEpochSeconds,
    IReadOnlyList<double> ReleaseEpochSeconds, IReadOnlyList<double> AppJobEpochSeconds)
{
    public double DebugMedianSeconds => Statistics.Median(DebugEpochSeconds);
    public double ReleaseMedianSeconds => Statistics.Median(ReleaseEpochSeconds);
    public double? AppJobMedianSeconds => AppJobEpochSeconds.Count == 0 ? null : Statistics.Median(AppJobEpochSeconds);

    /// <summary>Debug's median epoch over Release's; the target is at most 1.2.</summary>
    public double DebugOverRelease => DebugMedianSeconds / ReleaseMedianSeconds;

    /// <summary>The app job's median epoch over the Release CLI's; the target is at most 1.2.</summary>
    public double? AppJobOverRelease => AppJobMedianSeconds / ReleaseMedianSeconds;
}

/// <summary>
/// <c>func start</c>, which scripts/run.sh serves the app with, builds Debug; so a job through the app runs a Debug
/// build of FashionFunctions.Core, and the trainer's hand-vectorised kernels are fast only when optimised. Core is
/// therefore optimised in every configuration. This runs <c>fashion train</c> from the Debug and the Release build
/// of the CLI (scripts/bench.sh builds both) and compares their epochs, leaving out each process's first epoch
/// (JIT compilation and first use of every buffer). With Azurite, it also runs a job through the app built Debug
/// (the app-server test host: the HTTP submit and the queue-triggered function, the app's own services and default
/// checkpoint interval; what <c>func start</c> runs, without the host process, which trains nothing).
/// </summary>
internal static class BuildConfigurationEpochs
{
    public const double Target = 1.2;

    public static string AppServerDebugBuild => Path.Combine(RepoRoot.Path, "tests", "FashionFunctions.AppServer.TestHost", "bin", "Debug", "net10.0", "app-server.dll");

    public static (BuildConfigurationResult? Result, string Note) Run(string dataDirectory, int epochs, string? azuriteConnection, int runsPerConfiguration = 3)
    {
        string[] configurations = ["Debug", "Release"];
        var cli = configurations.ToDictionary(c => c, c => Path.Combine(RepoRoot.Path, "src", "FashionFunctions.Cli", "bin", c, "net10.0", "fashion.dll"));
        if (cli.Values.FirstOrDefault(p => !File.Exists(p)) is { } missing)
        {
            return (null, $"skipped: {missing} not built (scripts/bench.sh builds the CLI in Debug and Release)");
        }

        string note = azuriteConnection is null ? "the app job was not run (no Azurite)"
            : !File.Exists(AppServerDebugBuild) ? $"the app job was not run: {AppServerDebugBuild} not built (scripts/bench.sh builds it Debug)"
            : "";
        bool appJob = note.Length == 0;
        var seconds = configurations.Append("App").ToDictionary(c => c, _ => new List<double>());
        int measured = Math.Max(4, epochs);
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

            if (appJob)
            {
                var (epochSeconds, error) = TrainThroughTheApp(azuriteConnection!, measured);
                if (error is not null)
                {
                    return (null, $"the app job failed: {error}");
                }

                seconds["App"].AddRange(epochSeconds.Skip(1));
            }
        }

        return (new BuildConfigurationResult(measured, runsPerConfiguration, seconds["Debug"], seconds["Release"], seconds["App"]), note);
    }

    private static (IReadOnlyList<double> EpochSeconds, string? Error) TrainThroughTheApp(string azuriteConnection, int epochs)
    {
        var (output, error) = RunDotnet([AppServerDebugBuild, azuriteConnection, "train", epochs.ToString()]);
        if (error is not null)
        {
            return ([], error);
        }

        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith("epochs ", StringComparison.Ordinal));
        return line is null ? ([], "it printed no epochs") : (JsonSerializer.Deserialize<List<double>>(line["epochs ".Length..])!, null);
    }

    private static (string Output, string? Error) RunDotnet(IEnumerable<string> args)
    {
        var result = ChildProcess.Run(ChildProcess.Dotnet, args);
        return result.ExitCode == 0 ? (result.StandardOutput, null) : ("", $"{result.LastErrorLine} (exit {result.ExitCode})");
    }

    private static (IReadOnlyList<double> EpochSeconds, string? Error) Train(string cliDll, string dataDirectory, int epochs)
    {
        string output = Directory.CreateTempSubdirectory("fashion-bench-model-").FullName;
        try
        {
            var (_, error) = RunDotnet([cliDll, "train", "--epochs", epochs.ToString(), "--data", dataDirectory, "--output", output]);
            if (error is not null)
            {
                return ([], error);
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

using System.Diagnostics;

namespace FashionFunctions.Core.Tests.Support;

internal sealed record CliResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs the real CLI (the built fashion.dll) as a child process.</summary>
internal static class CliRunner
{
    public static CliResult RunIn(string cliDirectory, params string[] args) =>
        RunIn(cliDirectory, new Dictionary<string, string>(), args);

    public static CliResult RunIn(string cliDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(Path.Combine(cliDirectory, "fashion.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The CLI did not finish within 3 minutes: " + string.Join(' ', args));
        }

        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static CliResult Run(params string[] args) => RunIn(RepoPaths.CliOutput, args);
}

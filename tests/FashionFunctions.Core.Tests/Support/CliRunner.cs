using FashionFunctions.Testing;

namespace FashionFunctions.Core.Tests.Support;

/// <summary>Runs the real CLI (the built fashion.dll) as a child process.</summary>
internal static class CliRunner
{
    public static ChildProcessResult RunIn(string cliDirectory, params string[] args) =>
        RunIn(cliDirectory, new Dictionary<string, string>(), args);

    public static ChildProcessResult RunIn(string cliDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        ChildProcess.Run("dotnet", [Path.Combine(cliDirectory, "fashion.dll"), .. args], Path.GetTempPath(), environment, TimeSpan.FromMinutes(3));

    public static ChildProcessResult Run(params string[] args) => RunIn(RepoPaths.CliOutput, args);
}

using System.Reflection;
using FashionFunctions.Testing;

namespace FashionFunctions.Infra.Tests;

/// <summary>The Bicep CLI from the Azure.Bicep.CommandLine.linux-x64 NuGet package (PackageDownload in the csproj).</summary>
internal static class BicepCli
{
    public static string Version { get; } = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepVersion").Value!;

    public static string Executable
    {
        get
        {
            string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            return Path.Combine(packages, "azure.bicep.commandline.linux-x64", Version, "tools", "bicep");
        }
    }

    public static ChildProcessResult Run(params string[] args)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"The Bicep CLI is not at {Executable}; dotnet restore downloads it.");
        }

        // NuGet does not keep the executable bit of package files.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Executable, File.GetUnixFileMode(Executable) | UnixFileMode.UserExecute);
        }

        return ChildProcess.Run(Executable, args);
    }
}

namespace FashionFunctions.Core.Tests.Support;

internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string DebianDataset => FashionFunctions.Core.Data.LocalDirectoryDatasetSource.DebianPackageDirectory;

    public static string CliOutput
    {
        get
        {
            string configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(Root, "src", "FashionFunctions.Cli", "bin", configuration, "net10.0");
        }
    }

    public static string NuGetPackages =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public static string OriginalTorchSharpNative =>
        Path.Combine(NuGetPackages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "FashionFunctions.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("FashionFunctions.sln not found above " + AppContext.BaseDirectory);
    }
}

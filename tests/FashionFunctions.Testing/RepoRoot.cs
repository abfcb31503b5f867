namespace FashionFunctions.Testing;

public static class RepoRoot
{
    public static string Path { get; } = Find();

    /// <summary>A test host's entry assembly, built in the configuration the running tests were built in.</summary>
    public static string TestHostDll(string project, string assembly) =>
        System.IO.Path.Combine(Path, "tests", project, "bin",
            AppContext.BaseDirectory.Contains($"{System.IO.Path.DirectorySeparatorChar}Debug{System.IO.Path.DirectorySeparatorChar}") ? "Debug" : "Release",
            "net10.0", assembly);

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "FashionFunctions.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("FashionFunctions.sln not found above " + AppContext.BaseDirectory);
    }
}

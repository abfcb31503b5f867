using FashionFunctions.Build;
using static TorchSharp.torch;

namespace FashionFunctions.Core.Native;

/// <summary>
/// Loads TorchSharp's native library once and turns a failure into one actionable message, instead of the
/// TypeInitializationException that the first use of <c>torch</c> would throw somewhere deep in a request.
/// </summary>
public static class TorchRuntime
{
    public const string NativeLibraryName = "libLibTorchSharp.so";

    private static readonly Lazy<Exception?> LoadFailure = new(() => Probe(() =>
    {
        using var scope = NewDisposeScope();
        ones(2).sum().item<float>();
    }));

    /// <summary>Throws <see cref="TorchUnavailableException"/> when the native library does not load.</summary>
    public static void EnsureAvailable()
    {
        if (LoadFailure.Value is { } failure)
        {
            throw Explain(failure, AppContext.BaseDirectory);
        }
    }

    /// <summary>Runs <paramref name="probe"/> and returns what it threw, or null.</summary>
    internal static Exception? Probe(Action probe)
    {
        try
        {
            probe();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    internal static TorchUnavailableException Explain(Exception failure, string baseDirectory)
    {
        Exception root = failure;
        while (root.InnerException is not null)
        {
            root = root.InnerException;
        }

        string advice = DescribeUnpatchedLibrary(baseDirectory)
            ?? "Check that the TorchSharp-cpu package's native libraries were copied next to the application (dotnet build or dotnet publish does this).";
        return new TorchUnavailableException(
            $"TorchSharp's native library could not be loaded: {root.Message.Trim()} {advice}", failure);
    }

    /// <summary>Names the GLIBCXX versions a copy of the library in <paramref name="baseDirectory"/> still needs
    /// strictly, if any, with the fix.</summary>
    internal static string? DescribeUnpatchedLibrary(string baseDirectory)
    {
        if (!Directory.Exists(baseDirectory))
        {
            return null;
        }

        foreach (string path in Directory.EnumerateFiles(baseDirectory, NativeLibraryName, SearchOption.AllDirectories))
        {
            var strict = ElfVersionNeeds.Read(path)
                .Where(n => !n.IsWeak && n.Version.StartsWith("GLIBCXX_3.4.3", StringComparison.Ordinal) && n.Version != "GLIBCXX_3.4.30")
                .Select(n => n.Version)
                .Distinct()
                .ToList();
            if (strict.Count > 0)
            {
                return $"{path} requires {string.Join(", ", strict)}, which this system's libstdc++ may lack (Debian 12 stops at GLIBCXX_3.4.30). "
                    + "Build or publish with this repository's MSBuild files (dotnet build / dotnet publish), which mark that requirement weak, or install a libstdc++ from GCC 13 or newer.";
            }
        }

        return null;
    }
}

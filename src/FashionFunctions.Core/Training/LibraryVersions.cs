namespace FashionFunctions.Core.Training;

/// <summary>The versions that shaped a model, recorded in its manifest.</summary>
public static class LibraryVersions
{
    public static IReadOnlyDictionary<string, string> Current { get; } = new Dictionary<string, string>
    {
        ["dotnet"] = Environment.Version.ToString(),
        ["torchsharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown",
        ["libtorch"] = TorchSharp.torch.__version__,
        ["fashionFunctions"] = typeof(LibraryVersions).Assembly.GetName().Version?.ToString() ?? "unknown",
    };
}

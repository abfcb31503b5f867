namespace FashionFunctions.Core.Data;

/// <summary>The training and test splits, and the SHA-256 of each uncompressed file they were read from.</summary>
public sealed record FashionMnistDataset(
    FashionMnistSplit Train,
    FashionMnistSplit Test,
    IReadOnlyDictionary<string, string> Sha256ByFile,
    string Source)
{
    /// <summary>True when every file is byte for byte the canonical Fashion-MNIST release.</summary>
    public bool IsCanonical => FashionMnistFile.All.All(f => Sha256ByFile.TryGetValue(f.Name, out var sha) && sha == f.Sha256);
}

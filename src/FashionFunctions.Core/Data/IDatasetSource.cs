namespace FashionFunctions.Core.Data;

/// <summary>Where the four IDX files come from: a directory, blob storage, a download.</summary>
public interface IDatasetSource
{
    /// <summary>Human-readable location, for logs and manifests.</summary>
    string Description { get; }

    /// <summary>Opens the file, gzip-compressed or raw. Throws <see cref="InvalidDatasetException"/> when missing.</summary>
    Task<Stream> OpenAsync(FashionMnistFile file, CancellationToken cancellationToken);
}

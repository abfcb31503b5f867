using Azure;
using Azure.Storage.Blobs;
using FashionFunctions.Core.Data;

namespace FashionFunctions.Core.Storage;

/// <summary>The IDX files as blobs under a prefix (gzip or raw, as in a local directory).</summary>
public sealed class BlobDatasetSource(BlobContainerClient container, string prefix = StorageNames.DatasetPrefix) : IDatasetSource
{
    public string Description => $"{container.Uri.AbsoluteUri.TrimEnd('/')}/{prefix}";

    public async Task<Stream> OpenAsync(FashionMnistFile file, CancellationToken cancellationToken)
    {
        foreach (string name in new[] { file.GzipName, file.Name })
        {
            try
            {
                var download = await container.GetBlobClient(prefix + name).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
                return download.Value.Content.ToStream();
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
            }
        }

        throw new InvalidDatasetException(file.Name, $"not found in {Description} (looked for {file.GzipName} and {file.Name}).");
    }
}

using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FashionFunctions.Core.Data;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// Copies the four dataset files into blob storage from another source (the local Debian package, or the
/// verified download) when they are missing. Existing blobs are never overwritten, so concurrent seeders and
/// re-runs are harmless.
/// </summary>
public sealed class DatasetBlobSeeder(BlobContainerClient container, ILogger<DatasetBlobSeeder> logger, string prefix = StorageNames.DatasetPrefix)
{
    /// <summary>Returns how many files were uploaded (0 when all were there).</summary>
    public async Task<int> EnsureSeededAsync(IDatasetSource from, CancellationToken cancellationToken = default)
    {
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        int uploaded = 0;
        foreach (var file in FashionMnistFile.All)
        {
            if (await ExistsAsync(file, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            byte[] original;
            await using (var stream = await from.OpenAsync(file, cancellationToken).ConfigureAwait(false))
            using (var buffer = new MemoryStream())
            {
                await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                original = buffer.ToArray();
            }

            // Never seed a corrupt file: it must decompress and parse.
            IdxReader.Parse(IdxReader.ReadAllUncompressed(new MemoryStream(original), file.Name), file.Kind, file.Name);
            bool isGzip = original is [0x1f, 0x8b, ..];
            try
            {
                await container.GetBlobClient(prefix + (isGzip ? file.GzipName : file.Name)).UploadAsync(
                    new BinaryData(original),
                    new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                    cancellationToken).ConfigureAwait(false);
                uploaded++;
                logger.LogInformation("Seeded {File} from {Source}", file.GzipName, from.Description);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // Another seeder got there first; its copy stands.
            }
        }

        return uploaded;
    }

    private async Task<bool> ExistsAsync(FashionMnistFile file, CancellationToken cancellationToken)
    {
        foreach (string name in new[] { file.GzipName, file.Name })
        {
            if (await container.GetBlobClient(prefix + name).ExistsAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        return false;
    }
}

using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// Training checkpoints as blobs: <c>{jobId}/epoch-{k:D4}-{runToken}.ckpt</c>. Each run writes its own blobs
/// (never overwriting another run's), and the job record names the one to resume from; that record write is
/// conditional on the run's claim, so a run that lost its job can leave an orphan blob but never a wrong pointer.
/// </summary>
public sealed class CheckpointStore(BlobContainerClient container)
{
    private volatile bool created;

    public static string BlobName(string jobId, int epoch, string runToken) => $"{jobId}/epoch-{epoch:D4}-{runToken}.ckpt";

    public async Task WriteAsync(string blobName, byte[] checkpoint, CancellationToken cancellationToken = default)
    {
        if (!created)
        {
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            created = true;
        }

        await container.GetBlobClient(blobName).UploadAsync(new BinaryData(checkpoint), overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The checkpoint's bytes, or null when it is gone.</summary>
    public async Task<byte[]?> ReadAsync(string blobName, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await container.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The names of a job's checkpoint blobs.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var names = new List<string>();
        try
        {
            await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, jobId + "/", cancellationToken).ConfigureAwait(false))
            {
                names.Add(blob.Name);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }

        return names;
    }

    public Task DeleteAllAsync(string jobId, CancellationToken cancellationToken = default) =>
        DeleteWhereAsync(jobId, _ => true, cancellationToken);

    /// <summary>Deletes the checkpoints one run wrote, but the one named <paramref name="keep"/> (the record's).</summary>
    public Task DeleteRunAsync(string jobId, string runToken, string? keep, CancellationToken cancellationToken = default) =>
        DeleteWhereAsync(jobId, name => name != keep && name.EndsWith($"-{runToken}.ckpt", StringComparison.Ordinal), cancellationToken);

    public async Task DeleteAsync(string blobName, CancellationToken cancellationToken = default) =>
        await container.GetBlobClient(blobName).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

    private async Task DeleteWhereAsync(string jobId, Func<string, bool> which, CancellationToken cancellationToken)
    {
        foreach (string name in (await ListAsync(jobId, cancellationToken).ConfigureAwait(false)).Where(which))
        {
            await DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }
}

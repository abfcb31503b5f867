using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// Models in blob storage: <c>{modelId}/manifest.json</c> and the weights file it names (<c>model.safetensors</c>,
/// or <c>model-{runToken}.safetensors</c> from a training job), and <c>current.json</c> naming the model served
/// by default. The manifest is written last, so a model whose manifest exists is complete. The pointer is only ever changed by conditional (ETag) writes.
/// </summary>
public sealed class BlobModelRegistry(BlobContainerClient container) : IModelSource
{
    private const int MaxPointerRetries = 10;

    public async Task SaveAsync(ModelArtifact artifact, CancellationToken cancellationToken = default)
    {
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await container.GetBlobClient(WeightsBlob(artifact.ModelId, artifact.Manifest.WeightsFile))
            .UploadAsync(new BinaryData(artifact.WeightsFile), overwrite: true, cancellationToken).ConfigureAwait(false);
        await container.GetBlobClient(ManifestBlob(artifact.ModelId))
            .UploadAsync(new BinaryData(artifact.ManifestJson()), overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ModelArtifact> LoadAsync(string modelId, CancellationToken cancellationToken = default)
    {
        // The manifest names its weights blob: read it first, so that a model republished meanwhile (a job's
        // takeover writes weights under a new name, then the manifest) still yields a matching pair.
        byte[] manifest = await DownloadAsync(ManifestBlob(modelId), modelId, cancellationToken).ConfigureAwait(false);
        string weightsFile = ModelArtifact.ParseManifest(manifest).WeightsFile;
        byte[] weights = await DownloadAsync(WeightsBlob(modelId, weightsFile), modelId, cancellationToken).ConfigureAwait(false);
        return ModelArtifact.FromBytes(weights, manifest);
    }

    public async Task<ModelManifest> GetManifestAsync(string modelId, CancellationToken cancellationToken = default) =>
        ModelArtifact.ParseManifest(await DownloadAsync(ManifestBlob(modelId), modelId, cancellationToken).ConfigureAwait(false));

    /// <summary>Every complete model's manifest, newest first.</summary>
    public async Task<IReadOnlyList<ModelManifest>> ListAsync(CancellationToken cancellationToken = default)
    {
        var manifests = new List<ModelManifest>();
        if (!await container.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return manifests;
        }

        await foreach (var blob in container.GetBlobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (blob.Name.EndsWith("/" + ModelArtifact.ManifestFileName, StringComparison.Ordinal))
            {
                string modelId = blob.Name[..blob.Name.IndexOf('/')];
                try
                {
                    manifests.Add(await GetManifestAsync(modelId, cancellationToken).ConfigureAwait(false));
                }
                catch (InvalidModelException)
                {
                    // A foreign or damaged blob is not a model; listing goes on.
                }
            }
        }

        return manifests.OrderByDescending(m => m.CreatedAt).ToList();
    }

    public async Task<VersionedPointer?> GetCurrentAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var download = await container.GetBlobClient(StorageNames.CurrentModelBlob).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return new VersionedPointer(ParsePointer(download.Value.Content), download.Value.Details.ETag.ToString());
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>A pointer we cannot read is our fault (500), never "no model yet" and never the caller's.</summary>
    private static CurrentModelPointer ParsePointer(BinaryData content)
    {
        CurrentModelPointer? pointer;
        try
        {
            pointer = content.ToObjectFromJson<CurrentModelPointer>(ModelJson.Options);
        }
        catch (JsonException e)
        {
            throw new CorruptStoredDataException($"{StorageNames.ModelContainer}/{StorageNames.CurrentModelBlob}", "not valid JSON", e);
        }

        return pointer is { ModelId: { } id } && ModelId.IsValid(id)
            ? pointer
            : throw new CorruptStoredDataException($"{StorageNames.ModelContainer}/{StorageNames.CurrentModelBlob}", "does not name a valid model id");
    }

    /// <summary>The pointer's ETag without downloading it; null when there is none. Cheap enough to poll.</summary>
    public async Task<string?> GetCurrentETagAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var properties = await container.GetBlobClient(StorageNames.CurrentModelBlob).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return properties.Value.ETag.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Makes <paramref name="modelId"/> current. With <paramref name="onlyIfNewer"/> (automatic promotion after
    /// training) a model older than the current one leaves the pointer alone, so that jobs finishing out of
    /// order cannot roll it back. Every write is conditional on the ETag just read; a lost race is re-read and
    /// retried. Returns the pointer in force afterwards.
    /// </summary>
    public async Task<CurrentModelPointer> PromoteAsync(string modelId, bool onlyIfNewer = false, CancellationToken cancellationToken = default)
    {
        var manifest = await GetManifestAsync(modelId, cancellationToken).ConfigureAwait(false);
        var blob = container.GetBlobClient(StorageNames.CurrentModelBlob);
        for (int attempt = 0; attempt < MaxPointerRetries; attempt++)
        {
            var current = await GetCurrentAsync(cancellationToken).ConfigureAwait(false);
            if (current is not null && (current.Pointer.ModelId == modelId || (onlyIfNewer && current.Pointer.ModelCreatedAt > manifest.CreatedAt)))
            {
                return current.Pointer;
            }

            var pointer = new CurrentModelPointer(modelId, manifest.CreatedAt, DateTimeOffset.UtcNow);
            var conditions = current is null
                ? new BlobRequestConditions { IfNoneMatch = ETag.All }
                : new BlobRequestConditions { IfMatch = new ETag(current.ETag) };
            try
            {
                await blob.UploadAsync(
                    BinaryData.FromObjectAsJson(pointer, ModelJson.Options),
                    new BlobUploadOptions { Conditions = conditions, HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
                    cancellationToken).ConfigureAwait(false);
                return pointer;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Someone else changed the pointer between our read and write: read again.
            }
        }

        throw new InvalidOperationException($"Could not update {StorageNames.CurrentModelBlob} after {MaxPointerRetries} attempts; too many concurrent promotions.");
    }

    async Task<CurrentModelRef?> IModelSource.GetCurrentModelAsync(CancellationToken cancellationToken) =>
        await GetCurrentAsync(cancellationToken).ConfigureAwait(false) is { } current ? new CurrentModelRef(current.Pointer.ModelId, current.ETag) : null;

    private async Task<byte[]> DownloadAsync(string blobName, string modelId, CancellationToken cancellationToken)
    {
        if (!ModelId.IsValid(modelId))
        {
            throw new ModelNotFoundException(modelId);
        }

        try
        {
            var download = await container.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return download.Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new ModelNotFoundException(modelId);
        }
    }

    private static string WeightsBlob(string modelId, string weightsFile) =>
        weightsFile.Length is > 0 and <= 100 && !weightsFile.Contains('/') && !weightsFile.Contains('\\') && weightsFile.EndsWith(".safetensors", StringComparison.Ordinal)
            ? $"{modelId}/{weightsFile}"
            : throw new InvalidModelException($"Model {modelId}: the manifest names an unusable weights file '{weightsFile}'.");

    private static string ManifestBlob(string modelId) => $"{modelId}/{ModelArtifact.ManifestFileName}";
}

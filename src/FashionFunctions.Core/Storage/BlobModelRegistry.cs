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
/// With an <paramref name="index"/> (the app's registry; a reader such as the start-up fetch needs none) every model
/// saved also gets its row in the model index, which the list pages through (docs/models.md).
/// </summary>
public sealed partial class BlobModelRegistry(BlobContainerClient container, TableModelIndex? index = null) : IModelSource
{
    /// <summary>Manifest metadata saying a delete has begun (<see cref="DeleteAsync"/>).</summary>
    private const string DeletingMetadata = "deleting";
    private static readonly TimeSpan StaleDeletingMark = TimeSpan.FromMinutes(10);
    private const int MaxPointerRetries = 10;
    private const int ParallelBackfillReads = 8;

    /// <summary>Saves the model and indexes it; its job and sweep are inferred from its id (<see cref="ModelSummary.Inferred"/>).</summary>
    public Task SaveAsync(ModelArtifact artifact, CancellationToken cancellationToken = default) =>
        PublishAsync(artifact, ModelSummary.Inferred(artifact.Manifest), cancellationToken);

    /// <summary>Saves a job's model: weights, then the manifest naming them, then its index row (idempotent: a
    /// takeover publishing the same model again moves its row, never adds a second).</summary>
    public Task PublishAsync(ModelArtifact artifact, string jobId, string? sweepId, CancellationToken cancellationToken = default) =>
        PublishAsync(artifact, ModelSummary.Of(artifact.Manifest, jobId, sweepId), cancellationToken);

    private async Task PublishAsync(ModelArtifact artifact, ModelSummary summary, CancellationToken cancellationToken)
    {
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await container.GetBlobClient(WeightsBlob(artifact.ModelId, artifact.Manifest.WeightsFile))
            .UploadAsync(new BinaryData(artifact.WeightsFile), overwrite: true, cancellationToken).ConfigureAwait(false);
        await container.GetBlobClient(ManifestBlob(artifact.ModelId))
            .UploadAsync(new BinaryData(artifact.ManifestJson()), overwrite: true, cancellationToken).ConfigureAwait(false);
        if (index is not null)
        {
            await index.PutAsync(summary, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
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

    /// <summary>Whether the model's manifest is stored (a model without one is incomplete or being deleted).</summary>
    public async Task<bool> ExistsAsync(string modelId, CancellationToken cancellationToken = default) =>
        ModelId.IsValid(modelId) && (await container.GetBlobClient(ManifestBlob(modelId)).ExistsAsync(cancellationToken).ConfigureAwait(false)).Value;

    public async Task<ModelManifest> GetManifestAsync(string modelId, CancellationToken cancellationToken = default) =>
        ModelArtifact.ParseManifest(await DownloadAsync(ManifestBlob(modelId), modelId, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// One page of the model index, newest first, and the current model's id — one range query for the first page.
    /// A store whose index was never filled (its models were published before the index existed) is filled from the
    /// manifests first, once (<see cref="BackfillIndexAsync"/>).
    /// </summary>
    public async Task<ModelPage> ListAsync(int limit, string? next = null, CancellationToken cancellationToken = default)
    {
        var models = Index;
        if (next is not null)
        {
            var rest = models.ReadPageAsync(limit, next, cancellationToken);
            var head = models.ReadHeadAsync(cancellationToken);
            await Task.WhenAll(rest, head).ConfigureAwait(false);
            return new ModelPage(rest.Result.Page.Items, rest.Result.Page.Next, head.Result?.CurrentModelId);
        }

        var first = await models.ReadPageAsync(limit, next: null, cancellationToken).ConfigureAwait(false);
        if (first.Head is not { Backfilled: true })
        {
            await BackfillIndexAsync(cancellationToken).ConfigureAwait(false);
            first = await models.ReadPageAsync(limit, next: null, cancellationToken).ConfigureAwait(false);
        }

        return new ModelPage(first.Page.Items, first.Page.Next, first.Head?.CurrentModelId);
    }

    /// <summary>
    /// Fills the index from every manifest in the container and copies the current pointer into it, then marks it
    /// filled. A model that has a row keeps it (its publisher knew its job), one that has none gets one; so running
    /// it again, two first lists racing, or a run stopped half-way and run again leave the same index. Returns how
    /// many models it added.
    /// </summary>
    public async Task<int> BackfillIndexAsync(CancellationToken cancellationToken = default)
    {
        var models = Index;
        int indexed = 0;
        if (await container.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            await Parallel.ForEachAsync(ManifestModelIdsAsync(cancellationToken),
                new ParallelOptions { MaxDegreeOfParallelism = ParallelBackfillReads, CancellationToken = cancellationToken },
                async (modelId, ct) =>
                {
                    ModelManifest manifest;
                    try
                    {
                        manifest = await GetManifestAsync(modelId, ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is InvalidModelException or ModelNotFoundException)
                    {
                        return; // a foreign or damaged blob, or a model deleted meanwhile, is not indexed
                    }

                    if (await models.PutAsync(ModelSummary.Inferred(manifest), onlyIfAbsent: true, ct).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref indexed);
                    }
                }).ConfigureAwait(false);
        }

        await SyncCurrentCopyAsync(cancellationToken).ConfigureAwait(false);
        await models.MarkBackfilledAsync(cancellationToken).ConfigureAwait(false);
        return indexed;
    }

    /// <summary>
    /// Deletes a model: its manifest first (from then on it can be neither loaded nor promoted), every other blob
    /// under its id (the weights, and any a superseded run left), then its index row — so a delete stopped half-way
    /// leaves the model listed, and deleting it again (or the next retention run) finishes the job. The current
    /// model is refused (<see cref="ModelIsCurrentException"/>); an unknown one is <see cref="ModelNotFoundException"/>.
    /// <para>Fenced against a promotion of the same model: the delete marks the manifest, then reads the pointer;
    /// a promotion writes the pointer, then reads the mark (<see cref="PromoteAsync"/>). Whichever looks second sees
    /// the other and backs off (409 here, a reverted pointer there), so the pointer never names a deleted model.</para>
    /// </summary>
    public async Task DeleteAsync(string modelId, CancellationToken cancellationToken = default)
    {
        if (!ModelId.IsValid(modelId))
        {
            throw new ModelNotFoundException(modelId);
        }

        if ((await GetCurrentAsync(cancellationToken).ConfigureAwait(false))?.Pointer.ModelId == modelId)
        {
            throw new ModelIsCurrentException(modelId);
        }

        bool marked = await MarkDeletingAsync(modelId, cancellationToken).ConfigureAwait(false);
        bool found;
        try
        {
            if ((await GetCurrentAsync(cancellationToken).ConfigureAwait(false))?.Pointer.ModelId == modelId)
            {
                throw new ModelIsCurrentException(modelId);
            }

            found = await DeleteBlobIfExistsAsync(ManifestBlob(modelId), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (marked)
        {
            await UnmarkDeletingAsync(modelId).ConfigureAwait(false); // refused, failed or cancelled before the point of no return
            throw;
        }

        if (await container.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, modelId + "/", cancellationToken).ConfigureAwait(false))
            {
                found |= await DeleteBlobIfExistsAsync(blob.Name, cancellationToken).ConfigureAwait(false);
            }
        }

        if (index is not null)
        {
            found |= await index.RemoveAsync(modelId, cancellationToken).ConfigureAwait(false);
        }

        if (!found)
        {
            throw new ModelNotFoundException(modelId);
        }
    }

    /// <summary>Marks the model's manifest as being deleted (<see cref="DeletingMetadata"/>); false when there is no
    /// manifest to mark.</summary>
    private async Task<bool> MarkDeletingAsync(string modelId, CancellationToken cancellationToken)
    {
        var manifest = container.GetBlobClient(ManifestBlob(modelId));
        for (int attempt = 0; attempt < MaxPointerRetries; attempt++)
        {
            try
            {
                var properties = (await manifest.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
                await manifest.SetMetadataAsync(new Dictionary<string, string>(properties.Metadata) { [DeletingMetadata] = "true" },
                    new BlobRequestConditions { IfMatch = properties.ETag }, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return false;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Changed between our read and write (another delete marking it too): read again.
            }
        }

        throw new RecordContentionException(ManifestBlob(modelId), MaxPointerRetries);
    }

    /// <summary>Takes the mark off again, best-effort (a mark left behind goes stale, <see cref="StaleDeletingMark"/>):
    /// the metadata as it is now without the mark, on condition that nothing changed it meanwhile.</summary>
    private async Task UnmarkDeletingAsync(string modelId)
    {
        var manifest = container.GetBlobClient(ManifestBlob(modelId));
        try
        {
            var properties = (await manifest.GetPropertiesAsync().ConfigureAwait(false)).Value;
            var metadata = new Dictionary<string, string>(properties.Metadata);
            if (metadata.Remove(DeletingMetadata))
            {
                await manifest.SetMetadataAsync(metadata, new BlobRequestConditions { IfMatch = properties.ETag }).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException)
        {
        }
    }

    /// <summary>Whether the model's manifest is gone or marked as being deleted. A mark older than
    /// <see cref="StaleDeletingMark"/> (its writer died between marking and deleting) no longer counts; both instants
    /// are the storage service's (the blob's last change and the answer's date).</summary>
    private async Task<bool> IsBeingDeletedAsync(string modelId, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await container.GetBlobClient(ManifestBlob(modelId)).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var now = properties.GetRawResponse().Headers.Date ?? properties.Value.LastModified;
            return properties.Value.Metadata.ContainsKey(DeletingMetadata) && now - properties.Value.LastModified < StaleDeletingMark;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return true;
        }
    }

    private TableModelIndex Index => index ?? throw new InvalidOperationException("This registry was made without the model index.");

    /// <summary>The id of every model with a manifest blob.</summary>
    private async IAsyncEnumerable<string> ManifestModelIdsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var blob in container.GetBlobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (blob.Name.EndsWith("/" + ModelArtifact.ManifestFileName, StringComparison.Ordinal))
            {
                yield return blob.Name[..blob.Name.IndexOf('/')];
            }
        }
    }

    private async Task<bool> DeleteBlobIfExistsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await container.GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false; // no container
        }
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

using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Storage;

/// <summary>The current-model pointer (<see cref="StorageNames.CurrentModelBlob"/>): reading it, promoting a model,
/// and keeping the model index's copy of it in step.</summary>
public sealed partial class BlobModelRegistry
{
    /// <summary>
    /// Makes the index's copy of the current pointer agree with the pointer, however promotions interleave: each
    /// promotion copies what it wrote, then reads the pointer again and copies once more if it has moved on, so
    /// the last copy made names the last model promoted. Retention runs it too, to repair a copy a worker died
    /// before making.
    /// </summary>
    public async Task SyncCurrentCopyAsync(CancellationToken cancellationToken = default)
    {
        if (index is not null)
        {
            await CopyCurrentAsync((await GetCurrentAsync(cancellationToken).ConfigureAwait(false))?.Pointer.ModelId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CopyCurrentAsync(string? copy, CancellationToken cancellationToken)
    {
        if (index is null)
        {
            return;
        }

        for (int attempt = 0; attempt < MaxPointerRetries; attempt++)
        {
            await index.SetCurrentAsync(copy, cancellationToken).ConfigureAwait(false);
            string? now = (await GetCurrentAsync(cancellationToken).ConfigureAwait(false))?.Pointer.ModelId;
            if (now == copy)
            {
                return;
            }

            copy = now;
        }
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
        (VersionedPointer? Replaced, bool Attempted) ours = (null, false); // our last write, which may have landed unanswered
        for (int attempt = 0; attempt < MaxPointerRetries; attempt++)
        {
            var current = await GetCurrentAsync(cancellationToken).ConfigureAwait(false);
            if (current is not null && (current.Pointer.ModelId == modelId || (onlyIfNewer && current.Pointer.ModelCreatedAt > manifest.CreatedAt)))
            {
                if (ours.Attempted && current.Pointer.ModelId == modelId)
                {
                    await FenceAgainstDeleteAsync(modelId, ours.Replaced, new ETag(current.ETag), cancellationToken).ConfigureAwait(false);
                }

                await CopyCurrentAsync(current.Pointer.ModelId, cancellationToken).ConfigureAwait(false);
                return current.Pointer;
            }

            var pointer = new CurrentModelPointer(modelId, manifest.CreatedAt, DateTimeOffset.UtcNow);
            var conditions = current is null
                ? new BlobRequestConditions { IfNoneMatch = ETag.All }
                : new BlobRequestConditions { IfMatch = new ETag(current.ETag) };
            try
            {
                ours = (current, true);
                var written = await blob.UploadAsync(
                    BinaryData.FromObjectAsJson(pointer, ModelJson.Options),
                    new BlobUploadOptions { Conditions = conditions, HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
                    cancellationToken).ConfigureAwait(false);
                await FenceAgainstDeleteAsync(modelId, current, written.Value.ETag, cancellationToken).ConfigureAwait(false);
                await CopyCurrentAsync(modelId, cancellationToken).ConfigureAwait(false);
                return pointer;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Someone else changed the pointer between our read and write (or our write landed and its answer
                // was lost): read again.
            }
        }

        throw new InvalidOperationException($"Could not update {StorageNames.CurrentModelBlob} after {MaxPointerRetries} attempts; too many concurrent promotions.");
    }

    /// <summary>The promotion's half of the fence with <see cref="DeleteAsync"/>: having written the pointer (version
    /// <paramref name="ours"/>), reads the model's mark; if a delete has begun, puts <paramref name="replaced"/> back
    /// and throws <see cref="ModelNotFoundException"/>.</summary>
    private async Task FenceAgainstDeleteAsync(string modelId, VersionedPointer? replaced, ETag ours, CancellationToken cancellationToken)
    {
        if (await IsBeingDeletedAsync(modelId, cancellationToken).ConfigureAwait(false))
        {
            await RevertPointerAsync(replaced, ours, cancellationToken).ConfigureAwait(false);
            throw new ModelNotFoundException(modelId);
        }
    }

    /// <summary>The automatic promotion after training (<see cref="PromoteAsync"/> with <c>onlyIfNewer</c>): true when
    /// the model is current afterwards; false when a newer one is, or when the model has been deleted meanwhile.</summary>
    public async Task<bool> PromoteIfNewerAsync(string modelId, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await PromoteAsync(modelId, onlyIfNewer: true, cancellationToken).ConfigureAwait(false)).ModelId == modelId;
        }
        catch (ModelNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Puts back the pointer a promotion replaced (or removes the one it created), unless it has changed
    /// since. The model put back is fenced as a promotion is: if a delete of it has begun meanwhile (it was not current
    /// while ours was), the pointer is removed instead of naming it.</summary>
    private async Task RevertPointerAsync(VersionedPointer? previous, ETag ours, CancellationToken cancellationToken)
    {
        var blob = container.GetBlobClient(StorageNames.CurrentModelBlob);
        var conditions = new BlobRequestConditions { IfMatch = ours };
        try
        {
            if (previous is not null)
            {
                var restored = await blob.UploadAsync(
                    BinaryData.FromObjectAsJson(previous.Pointer, ModelJson.Options),
                    new BlobUploadOptions { Conditions = conditions, HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } },
                    cancellationToken).ConfigureAwait(false);
                if (!await IsBeingDeletedAsync(previous.Pointer.ModelId, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                conditions = new BlobRequestConditions { IfMatch = restored.Value.ETag };
            }

            await blob.DeleteAsync(conditions: conditions, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            // Promoted again (or removed) meanwhile: that write stands.
        }
        finally
        {
            await SyncCurrentCopyAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

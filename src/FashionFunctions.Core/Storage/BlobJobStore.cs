using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// Job records as JSON blobs (<c>jobs/{id}.json</c>), updated only by conditional (ETag) writes, and
/// idempotency keys (<c>idempotency/{sha256 of key}</c>) mapping a client's key to the job it created.
/// </summary>
public sealed class BlobJobStore(BlobContainerClient container)
{
    private volatile bool created;

    /// <summary>Creates the container on first use; later calls cost nothing.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        if (!created)
        {
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            created = true;
        }
    }

    /// <summary>Stores a new record; returns false when one with that id exists already.</summary>
    public async Task<bool> TryCreateAsync(TrainingJob job, CancellationToken cancellationToken = default)
    {
        try
        {
            await Blob(job.Id).UploadAsync(Serialize(job), Conditional(IfNoneMatch: true, null), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    public async Task<(TrainingJob Job, string ETag)?> GetAsync(string jobId, CancellationToken cancellationToken = default)
    {
        if (!TrainingJob.IsValidId(jobId))
        {
            return null;
        }

        try
        {
            var download = await Blob(jobId).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            var job = download.Value.Content.ToObjectFromJson<TrainingJob>(ModelJson.Options)!;
            return (job, download.Value.Details.ETag.ToString());
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Replaces the record if it is still at <paramref name="etag"/>; returns the new ETag, or null if
    /// someone else changed it first.</summary>
    public async Task<string?> TryUpdateAsync(TrainingJob job, string etag, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await Blob(job.Id).UploadAsync(Serialize(job), Conditional(IfNoneMatch: false, etag), cancellationToken).ConfigureAwait(false);
            return response.Value.ETag.ToString();
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }

    /// <summary>The most recent jobs first.</summary>
    public async Task<IReadOnlyList<TrainingJob>> ListAsync(int limit, CancellationToken cancellationToken = default)
    {
        var names = new List<string>();
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, StorageNames.JobRecordPrefix, cancellationToken).ConfigureAwait(false))
        {
            names.Add(blob.Name);
        }

        // Ids begin with their creation time, so the name order is the creation order.
        var jobs = new List<TrainingJob>();
        foreach (string name in names.OrderByDescending(n => n, StringComparer.Ordinal).Take(limit))
        {
            string id = name[StorageNames.JobRecordPrefix.Length..^".json".Length];
            if (await GetAsync(id, cancellationToken).ConfigureAwait(false) is { } found)
            {
                jobs.Add(found.Job);
            }
        }

        return jobs;
    }

    /// <summary>Claims <paramref name="idempotencyKey"/> for <paramref name="jobId"/>; if another job claimed it
    /// first, returns that job's id and the claim's version.</summary>
    public async Task<(string OwnerJobId, string ClaimETag)> ClaimIdempotencyKeyAsync(string idempotencyKey, string jobId, CancellationToken cancellationToken = default)
    {
        var blob = IdempotencyBlob(idempotencyKey);
        try
        {
            var created = await blob.UploadAsync(BinaryData.FromString(jobId), Conditional(IfNoneMatch: true, null), cancellationToken).ConfigureAwait(false);
            return (jobId, created.Value.ETag.ToString());
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            var existing = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return (existing.Value.Content.ToString(), existing.Value.Details.ETag.ToString());
        }
    }

    /// <summary>Moves a claim whose job never got a record (its request died in between) to
    /// <paramref name="jobId"/>; false when the claim changed meanwhile.</summary>
    public async Task<bool> TryTakeOverIdempotencyKeyAsync(string idempotencyKey, string claimETag, string jobId, CancellationToken cancellationToken = default)
    {
        try
        {
            await IdempotencyBlob(idempotencyKey).UploadAsync(BinaryData.FromString(jobId), Conditional(IfNoneMatch: false, claimETag), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    private BlobClient IdempotencyBlob(string idempotencyKey) =>
        container.GetBlobClient(StorageNames.IdempotencyPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey))));

    private BlobClient Blob(string jobId) => container.GetBlobClient($"{StorageNames.JobRecordPrefix}{jobId}.json");

    private static BinaryData Serialize(TrainingJob job) => BinaryData.FromObjectAsJson(job, ModelJson.Options);

    private static BlobUploadOptions Conditional(bool IfNoneMatch, string? etag) => new()
    {
        HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        Conditions = IfNoneMatch ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = new ETag(etag!) },
    };
}

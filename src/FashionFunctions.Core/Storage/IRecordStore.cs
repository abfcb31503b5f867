using Azure;

namespace FashionFunctions.Core.Storage;

/// <summary>Where <see cref="RecordUpdater{T}"/> reads and conditionally writes one kind of record.</summary>
public interface IRecordStore<T> where T : class
{
    Task<Stored<T>?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Replaces the record if it is still at <paramref name="etag"/>; null if someone else changed it first.</summary>
    Task<Stored<T>?> TryReplaceAsync(T record, ETag etag, CancellationToken cancellationToken = default);
}

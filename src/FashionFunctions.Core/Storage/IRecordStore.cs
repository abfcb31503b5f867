namespace FashionFunctions.Core.Storage;

/// <summary>Where <see cref="RecordUpdater{T}"/> reads and conditionally writes one kind of record.</summary>
public interface IRecordStore<T> where T : class
{
    Task<Stored<T>?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Replaces the record if it is still the version <paramref name="stored"/> read; null if someone else
    /// changed it first.</summary>
    Task<Stored<T>?> TryReplaceAsync(Stored<T> stored, T record, CancellationToken cancellationToken = default);

    /// <summary>Deletes the record (with the rows stored with it) if it is still the version <paramref name="stored"/>
    /// read; false if someone else changed it first, true once it is gone.</summary>
    Task<bool> TryDeleteAsync(Stored<T> stored, CancellationToken cancellationToken = default);
}

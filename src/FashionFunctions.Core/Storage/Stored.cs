using Azure;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// A record as read: the version every conditional write must name, and two instants on the storage service's
/// clock — when the row was last written and when it was read — so that "how long since anyone wrote it" never
/// compares two machines' clocks.
/// </summary>
public sealed record Stored<T>(T Record, ETag ETag, DateTimeOffset WrittenAt, DateTimeOffset ReadAt)
{
    /// <summary>The row keys of the rows stored with the record, which go with it (its idempotency key's).</summary>
    public IReadOnlyList<string> Companions { get; init; } = [];

    /// <summary>How long the row had gone unwritten when it was read, by the service's clock.</summary>
    public TimeSpan Unwritten => ReadAt - WrittenAt;
}

/// <summary>One page of a listing, newest first; <see cref="Next"/> continues it (null: the end).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);

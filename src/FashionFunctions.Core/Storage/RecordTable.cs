using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Storage;

/// <summary>How one kind of record is laid out in a table row: its JSON beside the columns that queries filter on
/// or that only the lifecycle sees. While <see cref="Marked"/> holds for a record (a job or sweep that is running),
/// the partition also has a marker row for it, so that finding those records is a range query over the markers.</summary>
internal sealed record RecordRow<T>(
    string Partition,
    Func<T, string> IdOf,
    Func<string, string> RowKeyOf,
    Func<T, IReadOnlyDictionary<string, object?>> Columns,
    Func<T, TableEntity, T> WithColumns,
    Func<T, bool>? Marked = null);

/// <summary>
/// Records of one kind as table rows in one partition (the one entity reader): <c>Record</c> holds the record
/// as compact JSON, <c>WriteId</c> a fresh id for every write, so that a write whose answer was lost (the
/// client retried it and the service refused the retry: 409 or 412) is recognised as our own when the row is
/// read back. Reads of a table that does not exist yet answer "nothing".
/// <para>Two kinds of rows live and die with a record, in the same transactions as its own row: its companions
/// (rows added with it, such as its idempotency key's, named in its <c>Companions</c> column and deleted with it)
/// and, while <see cref="RecordRow{T}.Marked"/> holds, its marker <c>r-{row key}</c>.</para>
/// </summary>
internal sealed class RecordTable<T>(TableClient table, RecordRow<T> row) where T : class
{
    private const string RecordColumn = "Record";
    private const string WriteIdColumn = "WriteId";
    private const string CompanionsColumn = "Companions";
    private const string MarkerPrefix = "r-";
    private const string MarkersEnd = "r.";

    /// <summary>Among the markers, sorting first: says every marked record has its marker (records marked before
    /// markers existed were given theirs).</summary>
    private const string MarkersCompleteRowKey = "r-!";
    private const int ParallelReads = 8;
    private static readonly JsonSerializerOptions RecordJson = new(ModelJson.Options) { WriteIndented = false };
    private volatile bool created;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (!created)
        {
            await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            created = true;
        }
    }

    public TableEntity ToEntity(T record, out string writeId) => ToEntity(record, [], out writeId);

    private TableEntity ToEntity(T record, IReadOnlyList<string> companions, out string writeId)
    {
        writeId = Guid.NewGuid().ToString("N");
        var entity = new TableEntity(row.Partition, row.RowKeyOf(row.IdOf(record)))
        {
            ["Id"] = row.IdOf(record),
            [WriteIdColumn] = writeId,
            [RecordColumn] = JsonSerializer.SerializeToUtf8Bytes(record, RecordJson),
        };
        if (companions.Count > 0)
        {
            entity[CompanionsColumn] = string.Join('/', companions); // '/' is never part of a row key
        }

        foreach (var (name, value) in row.Columns(record))
        {
            entity[name] = value;
        }

        return entity;
    }

    public async Task<Stored<T>?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var (entity, readAt) = await GetEntityAsync(row.RowKeyOf(id), cancellationToken).ConfigureAwait(false);
        return entity is null ? null : FromEntity(entity, readAt);
    }

    /// <summary>Any row of the partition (an idempotency key's, say), or null.</summary>
    public async Task<(TableEntity? Entity, DateTimeOffset ReadAt)> GetEntityAsync(string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            var response = await table.GetEntityIfExistsAsync<TableEntity>(row.Partition, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var readAt = ServiceTime(response.GetRawResponse());
            return (response.HasValue ? response.Value : null, readAt);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (null, DateTimeOffset.UtcNow); // the table does not exist yet
        }
    }

    /// <summary>
    /// Replaces the record if its row is still the version <paramref name="stored"/> read; null if someone else
    /// wrote it first. A change that marks or unmarks the record writes or deletes its marker in the same
    /// transaction; every other write (a heartbeat, say) is one plain update.
    /// </summary>
    public async Task<Stored<T>?> TryReplaceAsync(Stored<T> stored, T record, CancellationToken cancellationToken)
    {
        var entity = ToEntity(record, stored.Companions, out string writeId);
        bool was = IsMarked(stored.Record), will = IsMarked(record);
        try
        {
            if (was != will)
            {
                var marker = new TableEntity(row.Partition, MarkerRowKey(entity.RowKey)) { ["Id"] = row.IdOf(record) };
                var actions = new List<TableTransactionAction>
                {
                    new(TableTransactionActionType.UpdateReplace, entity, stored.ETag),
                    will ? new(TableTransactionActionType.UpsertReplace, marker) : new(TableTransactionActionType.Delete, marker, ETag.All),
                };
                try
                {
                    var answer = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                    return Written(record, stored, answer.Value[0].Headers.ETag, ServiceTime(answer.GetRawResponse()));
                }
                catch (TableTransactionFailedException e) when (e.Status == 404 && !will)
                {
                    // Marked before markers existed and not given one yet: nothing to delete.
                }
            }

            var response = await table.UpdateEntityAsync(entity, stored.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return Written(record, stored, response.Headers.ETag, ServiceTime(response));
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return await OwnWriteAsync(entity.RowKey, writeId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Adds the record's row and <paramref name="companions"/> (rows of the same partition, e.g. an idempotency
    /// key's) in one transaction, with its marker if it is marked. True when stored — also when the answer was lost
    /// and a retry found our own row; false when a row was there already.
    /// </summary>
    public async Task<bool> TryAddAsync(T record, IReadOnlyList<TableEntity> companions, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var entity = ToEntity(record, companions.Select(c => c.RowKey).ToList(), out string writeId);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, entity) };
        actions.AddRange(companions.Select(c => new TableTransactionAction(TableTransactionActionType.Add, c)));
        if (IsMarked(record))
        {
            actions.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(row.Partition, MarkerRowKey(entity.RowKey)) { ["Id"] = row.IdOf(record) }));
        }

        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            return await OwnWriteAsync(entity.RowKey, writeId, cancellationToken).ConfigureAwait(false) is not null;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return await OwnWriteAsync(entity.RowKey, writeId, cancellationToken).ConfigureAwait(false) is not null;
        }
    }

    /// <summary>
    /// Deletes the record's row if it is still the version <paramref name="stored"/> read, with its companions and
    /// its marker, in one transaction. False if someone wrote it since; true once it is gone (also when it already was).
    /// </summary>
    public async Task<bool> TryDeleteAsync(Stored<T> stored, CancellationToken cancellationToken)
    {
        string rowKey = row.RowKeyOf(row.IdOf(stored.Record));
        List<string> others = IsMarked(stored.Record) ? [.. stored.Companions, MarkerRowKey(rowKey)] : [.. stored.Companions];
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Delete, new TableEntity(row.Partition, rowKey), stored.ETag) };
        actions.AddRange(others.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(row.Partition, k), ETag.All)));
        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status == 412)
        {
            return false;
        }
        catch (TableTransactionFailedException e) when (e.Status == 404)
        {
            // One of the rows is gone already (the record's, by an earlier delete whose answer was lost, or a
            // companion): delete what is left one by one.
            if (!await DeleteRowAsync(rowKey, stored.ETag, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            foreach (string other in others)
            {
                await DeleteRowAsync(other, ETag.All, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
    }

    /// <summary>
    /// Every record for which <see cref="RecordRow{T}.Marked"/> holds: a range query over the markers, then a point
    /// read of each (its row's own timestamp is what the caller judges). The first time, in a partition whose records
    /// predate markers, the records between <paramref name="fromRowKey"/> and <paramref name="toRowKey"/> matching
    /// <paramref name="filter"/> are given theirs. A marker whose record no longer holds is deleted, unless rewritten since.
    /// </summary>
    public async IAsyncEnumerable<Stored<T>> MarkedAsync(string fromRowKey, string toRowKey, string filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (markers, complete) = await ReadMarkersAsync(cancellationToken).ConfigureAwait(false);
        if (!complete)
        {
            await MarkExistingAsync(fromRowKey, toRowKey, filter, cancellationToken).ConfigureAwait(false);
            (markers, _) = await ReadMarkersAsync(cancellationToken).ConfigureAwait(false);
        }

        var found = new Stored<T>?[markers.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, markers.Count), new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (i, ct) => found[i] = await GetAsync(markers[i].GetString("Id"), ct).ConfigureAwait(false)).ConfigureAwait(false);
        for (int i = 0; i < markers.Count; i++)
        {
            if (found[i] is { } stored && IsMarked(stored.Record))
            {
                yield return stored;
            }
            else
            {
                await DeleteRowAsync(markers[i].RowKey, markers[i].ETag, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<(List<TableEntity> Markers, bool Complete)> ReadMarkersAsync(CancellationToken cancellationToken)
    {
        var markers = new List<TableEntity>();
        bool complete = false;
        try
        {
            await foreach (var entity in table.QueryAsync<TableEntity>(RangeFilter(MarkerPrefix, MarkersEnd), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (entity.RowKey == MarkersCompleteRowKey)
                {
                    complete = true;
                }
                else
                {
                    markers.Add(entity);
                }
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            complete = true; // no table yet: nothing marked, nothing from before markers
        }

        return (markers, complete);
    }

    /// <summary>Once per partition: marks the records stored before markers existed, then says so.</summary>
    private async Task MarkExistingAsync(string fromRowKey, string toRowKey, string filter, CancellationToken cancellationToken)
    {
        await foreach (var stored in QueryAsync(fromRowKey, toRowKey, filter, cancellationToken).ConfigureAwait(false))
        {
            if (IsMarked(stored.Record))
            {
                string id = row.IdOf(stored.Record);
                await table.UpsertEntityAsync(new TableEntity(row.Partition, MarkerRowKey(row.RowKeyOf(id))) { ["Id"] = id }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            }
        }

        await table.UpsertEntityAsync(new TableEntity(row.Partition, MarkersCompleteRowKey), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    private bool IsMarked(T record) => row.Marked?.Invoke(record) ?? false;

    private static string MarkerRowKey(string rowKey) => MarkerPrefix + rowKey;

    private static Stored<T> Written(T record, Stored<T> before, ETag? etag, DateTimeOffset at) =>
        new(record, etag ?? throw new InvalidOperationException("The table answered without an ETag."), at, at) { Companions = before.Companions };

    /// <summary>False when the row is there at another version; true when deleted or not there.</summary>
    private async Task<bool> DeleteRowAsync(string rowKey, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(row.Partition, rowKey, etag, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return e.Status == 404;
        }
    }

    /// <summary>
    /// One page of the rows between two row keys, in row-key order. The page's <see cref="Page{T}.Next"/> is a
    /// <see cref="PageToken"/> naming the last row returned, so the next page is a key-range query after it — the
    /// same on every storage service — and a token that names no position in this range is refused.
    /// </summary>
    public async Task<Page<T>> ReadPageAsync(string fromRowKey, string toRowKey, int limit, string? next, CancellationToken cancellationToken, string? columnFilter = null) =>
        (await ReadPageAsync(fromRowKey, toRowKey, limit, next, headRowKey: null, cancellationToken, columnFilter).ConfigureAwait(false)).Page;

    /// <summary>
    /// As above; the first page's query also returns the row <paramref name="headRowKey"/> (not a record: a row of
    /// the listing's own, at or after <paramref name="fromRowKey"/> and before every record), so that what the
    /// listing needs beside its records costs no second round trip.
    /// </summary>
    public async Task<(Page<T> Page, TableEntity? Head)> ReadPageAsync(string fromRowKey, string toRowKey, int limit, string? next, string? headRowKey, CancellationToken cancellationToken, string? columnFilter = null)
    {
        string? after = PageToken.Decode(next, fromRowKey, toRowKey);
        string filter = (after is null
            ? RangeFilter(fromRowKey, toRowKey)
            : TableClient.CreateQueryFilter($"PartitionKey eq {row.Partition} and RowKey gt {after} and RowKey lt {toRowKey}"))
            + (columnFilter is null ? "" : $" and ({columnFilter})");
        var rows = new List<(string RowKey, T Record)>();
        TableEntity? head = null;
        int wanted = limit + 1 + (after is null && headRowKey is not null ? 1 : 0); // one more tells whether another page follows
        try
        {
            await foreach (var page in table.QueryAsync<TableEntity>(filter, wanted, cancellationToken: cancellationToken).AsPages(pageSizeHint: wanted).ConfigureAwait(false))
            {
                var readAt = ServiceTime(page.GetRawResponse());
                foreach (var entity in page.Values)
                {
                    if (entity.RowKey == headRowKey)
                    {
                        head = entity;
                    }
                    else
                    {
                        rows.Add((entity.RowKey, FromEntity(entity, readAt).Record));
                    }
                }

                if (rows.Count > limit)
                {
                    break;
                }
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No table yet: nothing stored.
        }

        var items = rows.Take(limit).Select(r => r.Record).ToList();
        return (new Page<T>(items, rows.Count > limit ? PageToken.Encode(rows[limit - 1].RowKey) : null), head);
    }

    /// <summary>Deletes a row if it is unchanged since read (its ETag); false when it changed or is gone.</summary>
    public async Task<bool> TryDeleteEntityAsync(string rowKey, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(row.Partition, rowKey, etag, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>Every row between two row keys matching an optional OData filter over the columns, page after page.</summary>
    public async IAsyncEnumerable<Stored<T>> QueryAsync(string fromRowKey, string toRowKey, string? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string query = RangeFilter(fromRowKey, toRowKey) + (filter is null ? "" : $" and ({filter})");
        await using var pages = table.QueryAsync<TableEntity>(query, cancellationToken: cancellationToken).AsPages().GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await pages.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                yield break;
            }

            var readAt = ServiceTime(pages.Current.GetRawResponse());
            foreach (var entity in pages.Current.Values)
            {
                yield return FromEntity(entity, readAt);
            }
        }
    }

    private string RangeFilter(string fromRowKey, string toRowKey) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {row.Partition} and RowKey ge {fromRowKey} and RowKey lt {toRowKey}");

    private async Task<Stored<T>?> OwnWriteAsync(string rowKey, string writeId, CancellationToken cancellationToken)
    {
        var (entity, readAt) = await GetEntityAsync(rowKey, cancellationToken).ConfigureAwait(false);
        return entity is not null && entity.GetString(WriteIdColumn) == writeId ? FromEntity(entity, readAt) : null;
    }

    private Stored<T> FromEntity(TableEntity entity, DateTimeOffset readAt)
    {
        string id = entity.GetString("Id");
        string where = $"{table.Name}/{row.Partition}/{id}";
        T? record;
        try
        {
            record = JsonSerializer.Deserialize<T>(entity.GetBinary(RecordColumn), RecordJson);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentNullException)
        {
            throw new CorruptStoredDataException(where, "the stored record is not valid JSON.", e);
        }

        if (record is null || row.IdOf(record) != id)
        {
            throw new CorruptStoredDataException(where, "the stored record does not describe this row.");
        }

        return new Stored<T>(row.WithColumns(record, entity), entity.ETag, entity.Timestamp ?? readAt, readAt)
        {
            Companions = entity.GetString(CompanionsColumn) is { Length: > 0 } companions ? companions.Split('/') : [],
        };
    }

    /// <summary>The service's clock, from the answer's Date header (whole seconds).</summary>
    private static DateTimeOffset ServiceTime(Response response) => response.Headers.Date ?? DateTimeOffset.UtcNow;
}

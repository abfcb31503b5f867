using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Storage;

/// <summary>How one kind of record is laid out in a table row: its JSON beside the columns that queries filter on
/// or that only the lifecycle sees; and its <see cref="Markers"/>, rows that exist while a condition holds for it
/// (a job or sweep that is running, say), so that finding those records is a range query over the markers.</summary>
internal sealed record RecordRow<T>(
    string Partition,
    Func<T, string> IdOf,
    Func<string, string> RowKeyOf,
    Func<T, IReadOnlyDictionary<string, object?>> Columns,
    Func<T, TableEntity, T> WithColumns,
    IReadOnlyList<RecordMarker<T>>? Markers = null);

/// <summary>
/// Records of one kind as table rows in one partition (the one entity reader): <c>Record</c> holds the record
/// as compact JSON, <c>WriteId</c> a fresh id for every write, so that a write whose answer was lost (the
/// client retried it and the service refused the retry: 409 or 412) is recognised as our own when the row is
/// read back. Reads of a table that does not exist yet answer "nothing".
/// <para>Two kinds of rows live and die with a record, in the same transactions as its own row: its companions
/// (rows added with it, such as its idempotency key's, named in its <c>Companions</c> column and deleted with it)
/// and its markers (<see cref="RecordMarker{T}"/>, in <c>RecordTable.Markers.cs</c>) while each holds.</para>
/// </summary>
internal sealed partial class RecordTable<T>(TableClient table, RecordRow<T> row) where T : class
{
    private const string RecordColumn = "Record";
    private const string WriteIdColumn = "WriteId";
    private const string CompanionsColumn = "Companions";
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
    /// wrote it first. A change that makes a marker hold or stop holding writes or deletes it in the same
    /// transaction; every other write (a heartbeat, say) is one plain update.
    /// </summary>
    public async Task<Stored<T>?> TryReplaceAsync(Stored<T> stored, T record, CancellationToken cancellationToken)
    {
        var entity = ToEntity(record, stored.Companions, out string writeId);
        var markerChanges = MarkerChanges(stored.Record, record, entity.RowKey);
        try
        {
            if (markerChanges.Count > 0)
            {
                try
                {
                    var answer = await table.SubmitTransactionAsync([new(TableTransactionActionType.UpdateReplace, entity, stored.ETag), .. markerChanges], cancellationToken).ConfigureAwait(false);
                    return Written(record, stored, answer.Value[0].Headers.ETag, ServiceTime(answer.GetRawResponse()));
                }
                catch (TableTransactionFailedException e) when (e.Status == 404
                    && e.FailedTransactionActionIndex is int failed && failed > 0 && markerChanges[failed - 1].ActionType == TableTransactionActionType.Delete)
                {
                    // A marker to delete is not there: the record was stored before its kind of marker existed and
                    // not given one yet. The record's write alone, then the markers one by one.
                    var written = await table.UpdateEntityAsync(entity, stored.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                    await ApplyOneByOneAsync(markerChanges, cancellationToken).ConfigureAwait(false);
                    return Written(record, stored, written.Headers.ETag, ServiceTime(written));
                }
            }

            var response = await table.UpdateEntityAsync(entity, stored.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return Written(record, stored, response.Headers.ETag, ServiceTime(response));
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Our write may have landed with its answer lost; if so, its markers are made to agree (again) one by one.
            var own = await OwnWriteAsync(entity.RowKey, writeId, cancellationToken).ConfigureAwait(false);
            if (own is not null)
            {
                await ApplyOneByOneAsync(markerChanges, cancellationToken).ConfigureAwait(false);
            }

            return own;
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
        actions.AddRange(MarkerChanges(before: null, record, entity.RowKey));

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
        string id = row.IdOf(stored.Record), rowKey = row.RowKeyOf(id);
        var companions = await OwnCompanionsAsync(stored, id, cancellationToken).ConfigureAwait(false);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Delete, new TableEntity(row.Partition, rowKey), stored.ETag) };
        actions.AddRange(companions.Select(c => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(row.Partition, c.RowKey), c.ETag)));
        actions.AddRange(MarkerRowKeysOf(stored.Record, rowKey).Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(row.Partition, k), ETag.All)));
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

            foreach (var (other, etag) in companions)
            {
                await DeleteRowAsync(other, etag, cancellationToken).ConfigureAwait(false);
            }

            foreach (string marker in MarkerRowKeysOf(stored.Record, rowKey))
            {
                await DeleteRowAsync(marker, ETag.All, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
    }

    /// <summary>The record's companions that still name it (in <see cref="IdempotencyKeys.RecordIdColumn"/>), with their versions: a
    /// companion row reused since by another record (an idempotency key that expired and named a new one) is not ours
    /// to delete.</summary>
    private async Task<List<(string RowKey, ETag ETag)>> OwnCompanionsAsync(Stored<T> stored, string id, CancellationToken cancellationToken)
    {
        var own = new List<(string, ETag)>();
        foreach (string key in stored.Companions)
        {
            var (companion, _) = await GetEntityAsync(key, cancellationToken).ConfigureAwait(false);
            if (companion is not null && (companion.GetString(IdempotencyKeys.RecordIdColumn) ?? companion.GetString("JobId") ?? id) == id)
            {
                own.Add((key, companion.ETag));
            }
        }

        return own;
    }

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

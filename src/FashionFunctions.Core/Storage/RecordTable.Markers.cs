using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;

namespace FashionFunctions.Core.Storage;

/// <summary>The markers of <see cref="RecordRow{T}.Markers"/>: writing them with the record, and finding records by them.</summary>
internal sealed partial class RecordTable<T>
{
    private const int ParallelReads = 8;

    /// <summary>
    /// Every record <paramref name="marker"/> holds for: a range query over the markers, then a point read of each
    /// (its row's own timestamp is what the caller judges). A marker whose record no longer holds is deleted, unless
    /// rewritten since.
    /// </summary>
    public async IAsyncEnumerable<Stored<T>> MarkedAsync(RecordMarker<T> marker, string fromRowKey, string toRowKey, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var markers = await MarkersAsync(marker, fromRowKey, toRowKey, cancellationToken).ConfigureAwait(false);
        var found = new Stored<T>?[markers.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, markers.Count), new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (i, ct) => found[i] = await GetAsync(markers[i].GetString("Id"), ct).ConfigureAwait(false)).ConfigureAwait(false);
        for (int i = 0; i < markers.Count; i++)
        {
            if (found[i] is { } stored && marker.Holds(stored.Record))
            {
                yield return stored;
            }
            else
            {
                await DeleteRowAsync(markers[i].RowKey, markers[i].ETag, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The marker rows of <paramref name="marker"/> (each with the record's id and the marker's columns), without
    /// reading the records: one range query. The first time, in a partition whose records predate this kind of
    /// marker, the records between <paramref name="fromRowKey"/> and <paramref name="toRowKey"/> are given theirs.
    /// </summary>
    public async Task<List<TableEntity>> MarkersAsync(RecordMarker<T> marker, string fromRowKey, string toRowKey, CancellationToken cancellationToken)
    {
        var (markers, complete) = await ReadMarkersAsync(marker, cancellationToken).ConfigureAwait(false);
        if (!complete)
        {
            await MarkExistingAsync(marker, fromRowKey, toRowKey, cancellationToken).ConfigureAwait(false);
            (markers, _) = await ReadMarkersAsync(marker, cancellationToken).ConfigureAwait(false);
        }

        return markers;
    }

    /// <summary>What a change from <paramref name="before"/> (null: a new record) to <paramref name="after"/> does to
    /// the markers: an upsert for each that starts holding, a delete for each that stops.</summary>
    private List<TableTransactionAction> MarkerChanges(T? before, T after, string rowKey)
    {
        var changes = new List<TableTransactionAction>();
        foreach (var marker in row.Markers ?? [])
        {
            bool was = before is not null && marker.Holds(before), will = marker.Holds(after);
            if (will && !was)
            {
                changes.Add(new(TableTransactionActionType.UpsertReplace, MarkerEntity(marker, after, rowKey)));
            }
            else if (was && !will)
            {
                changes.Add(new(TableTransactionActionType.Delete, new TableEntity(row.Partition, marker.RowKeyFor(rowKey)), ETag.All));
            }
        }

        return changes;
    }

    private IEnumerable<string> MarkerRowKeysOf(T record, string rowKey) =>
        (row.Markers ?? []).Where(m => m.Holds(record)).Select(m => m.RowKeyFor(rowKey));

    private async Task ApplyOneByOneAsync(List<TableTransactionAction> markerChanges, CancellationToken cancellationToken)
    {
        foreach (var change in markerChanges)
        {
            if (change.ActionType == TableTransactionActionType.Delete)
            {
                await DeleteRowAsync(change.Entity.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await table.UpsertEntityAsync((TableEntity)change.Entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private TableEntity MarkerEntity(RecordMarker<T> marker, T record, string rowKey)
    {
        var entity = new TableEntity(row.Partition, marker.RowKeyFor(rowKey)) { ["Id"] = row.IdOf(record) };
        foreach (var (name, value) in marker.Columns?.Invoke(record) ?? new Dictionary<string, object?>())
        {
            entity[name] = value;
        }

        return entity;
    }

    private async Task<(List<TableEntity> Markers, bool Complete)> ReadMarkersAsync(RecordMarker<T> marker, CancellationToken cancellationToken)
    {
        var markers = new List<TableEntity>();
        bool complete = false;
        try
        {
            await foreach (var entity in table.QueryAsync<TableEntity>(RangeFilter(marker.Prefix, marker.End), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (entity.RowKey == marker.CompleteRowKey)
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

    /// <summary>Once per partition and kind of marker: marks the records stored before it existed, then says so.</summary>
    private async Task MarkExistingAsync(RecordMarker<T> marker, string fromRowKey, string toRowKey, CancellationToken cancellationToken)
    {
        await foreach (var stored in QueryAsync(fromRowKey, toRowKey, marker.BackfillFilter, cancellationToken).ConfigureAwait(false))
        {
            if (marker.Holds(stored.Record))
            {
                var entity = MarkerEntity(marker, stored.Record, row.RowKeyOf(row.IdOf(stored.Record)));
                await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            }
        }

        await table.UpsertEntityAsync(new TableEntity(row.Partition, marker.CompleteRowKey), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }
}

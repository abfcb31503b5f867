using Azure;
using Azure.Data.Tables;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// The model index: one row per model with what the list shows (<see cref="ModelSummary"/>), in the jobs' table
/// (<see cref="StorageNames.JobTable"/>), partition <c>models</c>. Row keys:
/// <list type="bullet">
/// <item><c>m-{ticks to the end of time, 19 digits}-{modelId}</c>: the summary; ascending is newest first, so a
/// page is one range query.</item>
/// <item><c>id-{modelId}</c>: which <c>m-</c> row is the model's (and whether retention must keep it), so that
/// publishing a model again (a takeover) moves its row instead of adding a second one. The two rows change together
/// in one transaction.</item>
/// <item><c>m-!</c>: the head, sorting before every summary, so the first page's query reads it too: a copy of the
/// current model's id (written after every promotion; <see cref="BlobModelRegistry"/> keeps it in step) and whether
/// the index has been filled from the manifests of models published before it existed.</item>
/// </list>
/// </summary>
public sealed class TableModelIndex
{
    public const string Partition = "models";
    private const string ListingPrefix = "m-";
    private const string ListingEnd = "m.";
    private const string HeadRowKey = "m-!";
    private const string LookupPrefix = "id-";
    private const string LookupEnd = "id.";
    private const string ListingKeyColumn = "ListingKey";
    private const string PinnedColumn = "Pinned";
    private const string CurrentColumn = "CurrentModelId";
    private const string BackfilledColumn = "Backfilled";
    private const int MaxConflicts = 10;

    private readonly TableClient table;
    private readonly RecordTable<ModelSummary> listing;

    public TableModelIndex(TableServiceClient service, string tableName = StorageNames.JobTable)
    {
        table = service.GetTableClient(tableName);
        // A summary's "id" as the record table sees it is its listing row key: the row key depends on when the
        // model was made as well as on its id.
        listing = new RecordTable<ModelSummary>(table, new RecordRow<ModelSummary>(
            Partition, ListingKey, key => key, _ => new Dictionary<string, object?>(), (record, _) => record));
    }

    /// <summary>What the head row says.</summary>
    public sealed record Head(string? CurrentModelId, bool Backfilled);

    /// <summary>Adds or moves the model's row (idempotent: the same model published again has one row). With
    /// <paramref name="onlyIfAbsent"/>, a model that has a row keeps it as it is (the backfill: a row its publisher
    /// wrote knows more than the manifest does). True when it wrote the row.</summary>
    public async Task<bool> PutAsync(ModelSummary summary, bool onlyIfAbsent = false, CancellationToken cancellationToken = default)
    {
        await listing.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        string key = ListingKey(summary);
        string? gone = null; // a summary row the lookup named that was found deleted already
        for (int attempt = 0; attempt < MaxConflicts; attempt++)
        {
            var lookup = await GetLookupAsync(summary.ModelId, cancellationToken).ConfigureAwait(false);
            if (lookup is not null && onlyIfAbsent)
            {
                return false;
            }

            // The lookup row is written on condition of the version read (added, or updated at its ETag) even when it
            // already names this row, so that of two writers moving the same model one wins and the other reads again.
            var row = listing.ToEntity(summary, out _);
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpsertReplace, row) };
            string? previous = lookup?.GetString(ListingKeyColumn);
            var pointer = new TableEntity(Partition, LookupKey(summary.ModelId)) { [ListingKeyColumn] = key };
            actions.Add(lookup is null
                ? new(TableTransactionActionType.Add, pointer)
                : new(TableTransactionActionType.UpdateMerge, pointer, lookup.ETag));
            if (previous is not null && previous != key && previous != gone)
            {
                actions.Add(new(TableTransactionActionType.Delete, new TableEntity(Partition, previous), ETag.All));
            }

            try
            {
                await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
            {
                // Another writer added or moved the lookup row meanwhile: read it again.
            }
            catch (TableTransactionFailedException e) when (e.Status == 404 && previous is not null)
            {
                gone = previous; // the row the lookup named is gone already: move the lookup without deleting it
            }
        }

        throw new RecordContentionException(LookupKey(summary.ModelId), MaxConflicts);
    }

    /// <summary>Removes the model's rows; false when it had none.</summary>
    public async Task<bool> RemoveAsync(string modelId, CancellationToken cancellationToken = default)
    {
        for (int attempt = 0; attempt < MaxConflicts; attempt++)
        {
            var lookup = await GetLookupAsync(modelId, cancellationToken).ConfigureAwait(false);
            if (lookup is null)
            {
                return false;
            }

            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Delete, lookup, lookup.ETag) };
            if (lookup.GetString(ListingKeyColumn) is { } key)
            {
                actions.Add(new(TableTransactionActionType.Delete, new TableEntity(Partition, key), ETag.All));
            }

            try
            {
                await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status == 412)
            {
                // Moved meanwhile (published again): read it again.
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // One of the two is gone already (an earlier remove whose answer was lost, or a half-written store).
                foreach (var action in actions)
                {
                    await DeleteIfExistsAsync(action.Entity.RowKey, cancellationToken).ConfigureAwait(false);
                }

                return true;
            }
        }

        throw new RecordContentionException(LookupKey(modelId), MaxConflicts);
    }

    /// <summary>Newest first; the first page (no <paramref name="next"/>) also brings the head.</summary>
    public async Task<(Page<ModelSummary> Page, Head? Head)> ReadPageAsync(int limit, string? next, CancellationToken cancellationToken = default)
    {
        var (page, head) = await listing.ReadPageAsync(ListingPrefix, ListingEnd, limit, next, HeadRowKey, cancellationToken).ConfigureAwait(false);
        return (page, head is null ? null : HeadOf(head));
    }

    public async Task<Head?> ReadHeadAsync(CancellationToken cancellationToken = default)
    {
        var (entity, _) = await listing.GetEntityAsync(HeadRowKey, cancellationToken).ConfigureAwait(false);
        return entity is null ? null : HeadOf(entity);
    }

    /// <summary>Every summary, newest first.</summary>
    public async IAsyncEnumerable<ModelSummary> AllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var stored in listing.QueryAsync(ListingPrefix + "0", ListingEnd, filter: null, cancellationToken).ConfigureAwait(false))
        {
            yield return stored.Record;
        }
    }

    /// <summary>The ids of the models retention must keep whatever their age (a sweep's winner).</summary>
    public async Task<IReadOnlySet<string>> PinnedAsync(CancellationToken cancellationToken = default)
    {
        var pinned = new HashSet<string>();
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey ge {LookupPrefix} and RowKey lt {LookupEnd} and Pinned eq true");
        try
        {
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                pinned.Add(entity.RowKey[LookupPrefix.Length..]);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No table yet.
        }

        return pinned;
    }

    /// <summary>Marks the model as one retention keeps; false when the index has no such model.</summary>
    public async Task<bool> PinAsync(string modelId, CancellationToken cancellationToken = default)
    {
        try
        {
            await table.UpdateEntityAsync(new TableEntity(Partition, LookupKey(modelId)) { [PinnedColumn] = true }, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>Records which model is current (the copy the list reads); null: none.</summary>
    public async Task SetCurrentAsync(string? modelId, CancellationToken cancellationToken = default)
    {
        await listing.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(new TableEntity(Partition, HeadRowKey) { [CurrentColumn] = modelId ?? "" }, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkBackfilledAsync(CancellationToken cancellationToken = default)
    {
        await listing.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(new TableEntity(Partition, HeadRowKey) { [BackfilledColumn] = true }, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A model's two rows as <see cref="PutAsync"/> writes them for a model new to the index (the benchmark
    /// seeds large indexes with them, a hundred rows a transaction).</summary>
    internal IReadOnlyList<TableEntity> RowsOf(ModelSummary summary) =>
        [listing.ToEntity(summary, out _), new TableEntity(Partition, LookupKey(summary.ModelId)) { [ListingKeyColumn] = ListingKey(summary) }];

    /// <summary>The summary's row key: newest first, then by id (models made in the same tick keep one order).</summary>
    public static string ListingKey(ModelSummary summary) =>
        $"{ListingPrefix}{DateTimeOffset.MaxValue.UtcTicks - summary.CreatedAt.UtcTicks:D19}-{summary.ModelId}";

    private static string LookupKey(string modelId) => LookupPrefix + modelId;

    private static Head HeadOf(TableEntity entity) =>
        new(entity.GetString(CurrentColumn) is { Length: > 0 } id ? id : null, entity.GetBoolean(BackfilledColumn) ?? false);

    private async Task<TableEntity?> GetLookupAsync(string modelId, CancellationToken cancellationToken) =>
        (await listing.GetEntityAsync(LookupKey(modelId), cancellationToken).ConfigureAwait(false)).Entity;

    private async Task DeleteIfExistsAsync(string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(Partition, rowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }
}

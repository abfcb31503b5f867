using Azure;
using Azure.Data.Tables;
using FashionFunctions.Core.Sweeps;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// Sweep records and their idempotency keys in the jobs' table (<see cref="StorageNames.JobTable"/>), in their own
/// partition. Row keys: the id with every digit d written 9-d (<c>sweep-…</c>; ascending lists the newest sweep first) and
/// <c>k-{SHA-256 of the key}</c>. Every update is conditional on the ETag read.
/// </summary>
public sealed class TableSweepStore : IRecordStore<Sweep>
{
    public const string Partition = "sweeps";
    private const string SweepPrefix = "sweep-";
    private const string SweepsEnd = "sweep.";

    private static readonly RecordMarker<Sweep> Running = new("r-", s => s.Status == SweepStatus.Running,
        TableClient.CreateQueryFilter($"Status eq {nameof(SweepStatus.Running)}"));

    private readonly RecordTable<Sweep> records;
    private readonly RecordUpdater<Sweep> updater;

    public TableSweepStore(TableServiceClient service, ILogger<TableSweepStore>? logger = null, string tableName = StorageNames.JobTable)
    {
        records = new RecordTable<Sweep>(service.GetTableClient(tableName), new RecordRow<Sweep>(
            Partition, s => s.Id, RowKeys.NewestFirst, Columns, (record, _) => record, [Running]));
        updater = new RecordUpdater<Sweep>(this, SweepStateMachine.Instance, SweepStateMachine.Describe, logger ?? (ILogger)NullLogger.Instance);
    }

    /// <summary>The one way a sweep's record changes (<see cref="RecordUpdater{T}"/>, checked by
    /// <see cref="SweepStateMachine"/>). Null when the sweep does not exist.</summary>
    public Task<Stored<Sweep>?> UpdateAsync(string sweepId, Func<Stored<Sweep>, Sweep?> change, CancellationToken cancellationToken = default, Stored<Sweep>? known = null) =>
        updater.UpdateAsync(sweepId, change, cancellationToken, known);

    /// <summary>Stores a new sweep and, when given, its idempotency key in one transaction. Returns null when stored
    /// (also when only the answer to our write was lost); otherwise the key's existing row.</summary>
    public async Task<IdempotencyKeyRow?> CreateAsync(Sweep sweep, string? idempotencyKey = null, string requestHash = "", CancellationToken cancellationToken = default)
    {
        var keyRow = idempotencyKey is null ? [] : new[] { IdempotencyKeys.Row(Partition, idempotencyKey, sweep.Id, requestHash) };
        if (await records.TryAddAsync(sweep, keyRow, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return idempotencyKey is not null && await GetKeyAsync(idempotencyKey, cancellationToken).ConfigureAwait(false) is { } key && key.RecordId != sweep.Id
            ? key
            : throw new InvalidOperationException($"Sweep {sweep.Id} could not be stored: a row with its key exists and is not ours.");
    }

    public async Task<IdempotencyKeyRow?> GetKeyAsync(string idempotencyKey, CancellationToken cancellationToken = default)
    {
        var (entity, readAt) = await records.GetEntityAsync(IdempotencyKeys.RowKey(idempotencyKey), cancellationToken).ConfigureAwait(false);
        return IdempotencyKeys.Read(entity, readAt);
    }

    /// <summary>Forgets an expired key (unless it was rewritten since read), so that it can name a new request.</summary>
    public Task ForgetKeyAsync(string idempotencyKey, IdempotencyKeyRow key, CancellationToken cancellationToken = default) =>
        records.TryDeleteEntityAsync(IdempotencyKeys.RowKey(idempotencyKey), key.ETag, cancellationToken);

    public Task<Stored<Sweep>?> GetAsync(string sweepId, CancellationToken cancellationToken = default) =>
        Sweep.IsValidId(sweepId) ? records.GetAsync(sweepId, cancellationToken) : Task.FromResult<Stored<Sweep>?>(null);

    Task<Stored<Sweep>?> IRecordStore<Sweep>.TryReplaceAsync(Stored<Sweep> stored, Sweep sweep, CancellationToken cancellationToken) =>
        records.TryReplaceAsync(stored, sweep, cancellationToken);

    Task<bool> IRecordStore<Sweep>.TryDeleteAsync(Stored<Sweep> stored, CancellationToken cancellationToken) =>
        records.TryDeleteAsync(stored, cancellationToken);

    public Task<Page<Sweep>> ListAsync(int limit, string? next = null, CancellationToken cancellationToken = default, string? owner = null) =>
        records.ReadPageAsync(SweepPrefix, SweepsEnd, limit, next, cancellationToken, owner is null ? null : TableClient.CreateQueryFilter($"Owner eq {owner}"));

    /// <summary>Every sweep still running, through their markers (as for jobs): as costly with a thousand finished
    /// sweeps as with none.</summary>
    public IAsyncEnumerable<Stored<Sweep>> RunningAsync(CancellationToken cancellationToken = default) =>
        records.MarkedAsync(Running, SweepPrefix, SweepsEnd, cancellationToken);

    /// <summary>Every sweep, newest first (retention: a sweep's winner is kept, an old finished sweep expires).</summary>
    public IAsyncEnumerable<Stored<Sweep>> AllAsync(CancellationToken cancellationToken = default) =>
        records.QueryAsync(SweepPrefix, SweepsEnd, filter: null, cancellationToken);

    /// <summary>Deletes the sweep, with its idempotency key, if <paramref name="decide"/> says so and it is finished
    /// (<see cref="SweepStateMachine.AllowsRemoval"/>). True when deleted here.</summary>
    public Task<bool> RemoveAsync(string sweepId, Func<Stored<Sweep>, bool> decide, CancellationToken cancellationToken = default) =>
        Sweep.IsValidId(sweepId) ? updater.RemoveAsync(sweepId, decide, cancellationToken) : Task.FromResult(false);

    private static IReadOnlyDictionary<string, object?> Columns(Sweep sweep) => new Dictionary<string, object?>
    {
        ["Status"] = sweep.Status.ToString(),
        ["Owner"] = sweep.Owner,
    };
}

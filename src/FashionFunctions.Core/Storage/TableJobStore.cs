using Azure;
using Azure.Data.Tables;
using FashionFunctions.Core.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Core.Storage;

/// <summary>An idempotency key's row: the record it created and the hash of the request that created it.</summary>
public sealed record IdempotencyKeyRow(string RecordId, string RequestHash)
{
    /// <summary>When the key was stored (the table's own timestamp).</summary>
    public DateTimeOffset WrittenAt { get; init; }

    /// <summary>When it was read, by the table's clock too: the key's age needs no clock of ours.</summary>
    public DateTimeOffset ReadAt { get; init; }

    public TimeSpan Age => ReadAt - WrittenAt;

    public ETag ETag { get; init; }
}

/// <summary>
/// Job records and idempotency keys in one Azure table (<see cref="StorageNames.JobTable"/>), all in one
/// partition so that a job's row and its key's row are written in one entity-group transaction. Row keys:
/// <c>j-{id with every digit d written 9-d}</c> for jobs (ids begin with their creation time, so ascending row
/// keys list the newest job first; a sweep's jobs share its id as a prefix, so they are one row-key range) and
/// <c>k-{SHA-256 of the key}</c> for idempotency keys. A job row holds the record as compact JSON plus the
/// columns the lifecycle queries and fences on (status, run token, …). Every update is conditional on the ETag read.
/// </summary>
public sealed class TableJobStore : IRecordStore<TrainingJob>
{
    public const string Partition = "jobs";
    private const string JobPrefix = "j-";
    private const string JobsEnd = "j.";

    /// <summary>Held by a running job: how the watchdog finds them.</summary>
    private static readonly RecordMarker<TrainingJob> Running = new("r-", j => j.Status == TrainingJobStatus.Running,
        TableClient.CreateQueryFilter($"Status eq {nameof(TrainingJobStatus.Running)}"));

    /// <summary>Held by a queued or running job outside a sweep, with its owner: how the budget counts them.</summary>
    private static readonly RecordMarker<TrainingJob> Active = new("a-", j => j.SweepId is null && !j.IsFinished,
        TableClient.CreateQueryFilter($"Status eq {nameof(TrainingJobStatus.Queued)} or Status eq {nameof(TrainingJobStatus.Running)}"),
        j => new Dictionary<string, object?> { ["Owner"] = j.Owner });

    private readonly RecordTable<TrainingJob> records;
    private readonly RecordUpdater<TrainingJob> updater;

    public TableJobStore(TableServiceClient service, ILogger<TableJobStore>? logger = null, string tableName = StorageNames.JobTable)
    {
        records = new RecordTable<TrainingJob>(service.GetTableClient(tableName), new RecordRow<TrainingJob>(
            Partition, j => j.Id, JobRowKey, Columns, WithColumns, [Running, Active]));
        updater = new RecordUpdater<TrainingJob>(this, TrainingJobStateMachine.Instance, TrainingJobStateMachine.Describe, logger ?? (ILogger)NullLogger.Instance);
    }

    /// <summary>The one way a job's record changes (<see cref="RecordUpdater{T}"/>, checked by
    /// <see cref="TrainingJobStateMachine"/>). Null when the job does not exist.</summary>
    public Task<Stored<TrainingJob>?> UpdateAsync(string jobId, Func<Stored<TrainingJob>, TrainingJob?> change, CancellationToken cancellationToken = default, Stored<TrainingJob>? known = null) =>
        updater.UpdateAsync(jobId, change, cancellationToken, known);

    /// <summary>Creates the table on first use; later calls cost nothing.</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken = default) => records.EnsureCreatedAsync(cancellationToken);

    /// <summary>
    /// Stores a new job and, when given, its idempotency key in one transaction. Returns null when stored (also
    /// when only the answer to our write was lost); otherwise the key's existing row (another request stored a job
    /// under that key first). Storing a job whose id exists already (a sweep point created twice) is not an error.
    /// </summary>
    public async Task<IdempotencyKeyRow?> CreateAsync(TrainingJob job, string? idempotencyKey, string requestHash, CancellationToken cancellationToken = default)
    {
        var keyRow = idempotencyKey is null ? [] : new[] { IdempotencyKeys.Row(Partition, idempotencyKey, job.Id, requestHash) };
        if (await records.TryAddAsync(job, keyRow, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        if (idempotencyKey is not null && await GetKeyAsync(idempotencyKey, cancellationToken).ConfigureAwait(false) is { } key)
        {
            return key.RecordId == job.Id ? null : key;
        }

        return await GetAsync(job.Id, cancellationToken).ConfigureAwait(false) is not null
            ? null
            : throw new InvalidOperationException($"Job {job.Id} could not be stored: a row of its transaction exists, yet neither the job nor its key does.");
    }

    public async Task<IdempotencyKeyRow?> GetKeyAsync(string idempotencyKey, CancellationToken cancellationToken = default)
    {
        var (entity, readAt) = await records.GetEntityAsync(IdempotencyKeys.RowKey(idempotencyKey), cancellationToken).ConfigureAwait(false);
        return IdempotencyKeys.Read(entity, readAt);
    }

    /// <summary>Forgets an expired key (unless it was rewritten since read), so that it can name a new request.</summary>
    public Task ForgetKeyAsync(string idempotencyKey, IdempotencyKeyRow key, CancellationToken cancellationToken = default) =>
        records.TryDeleteEntityAsync(IdempotencyKeys.RowKey(idempotencyKey), key.ETag, cancellationToken);

    public Task<Stored<TrainingJob>?> GetAsync(string jobId, CancellationToken cancellationToken = default) =>
        TrainingJob.IsValidId(jobId) ? records.GetAsync(jobId, cancellationToken) : Task.FromResult<Stored<TrainingJob>?>(null);

    Task<Stored<TrainingJob>?> IRecordStore<TrainingJob>.TryReplaceAsync(Stored<TrainingJob> stored, TrainingJob job, CancellationToken cancellationToken) =>
        records.TryReplaceAsync(stored, job, cancellationToken);

    Task<bool> IRecordStore<TrainingJob>.TryDeleteAsync(Stored<TrainingJob> stored, CancellationToken cancellationToken) =>
        records.TryDeleteAsync(stored, cancellationToken);

    /// <summary>Newest first, <paramref name="limit"/> at most per page.</summary>
    public Task<Page<TrainingJob>> ListAsync(int limit, string? next = null, CancellationToken cancellationToken = default, string? owner = null) =>
        records.ReadPageAsync(JobPrefix, JobsEnd, limit, next, cancellationToken, owner is null ? null : TableClient.CreateQueryFilter($"Owner eq {owner}"));

    /// <summary>
    /// The owners of every queued or running job outside a sweep, one entry per job: one range query over their
    /// markers, or, <paramref name="verified"/>, also a read of each job (a marker the backfill of an older store
    /// left behind for a job that has finished since is then dropped, not counted).
    /// </summary>
    public async Task<List<string?>> ActiveJobOwnersAsync(bool verified = false, CancellationToken cancellationToken = default)
    {
        if (verified)
        {
            return await records.MarkedAsync(Active, JobPrefix, JobsEnd, cancellationToken).Select(s => s.Record.Owner).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        var markers = await records.MarkersAsync(Active, JobPrefix, JobsEnd, cancellationToken).ConfigureAwait(false);
        return [.. markers.Select(m => m.GetString("Owner"))];
    }

    /// <summary>A sweep's jobs: one row-key range, since their ids all begin with the sweep's.</summary>
    public IAsyncEnumerable<Stored<TrainingJob>> SweepJobsAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        string first = JobRowKey(Sweeps.Sweep.JobIdPrefix(sweepId));
        return records.QueryAsync(first, first + "~", filter: null, cancellationToken);
    }

    /// <summary>Every job whose record says it is running: a range query over their markers (written and deleted in
    /// the same transaction as the status), then a read of each — as costly with a million finished jobs as with none.</summary>
    public IAsyncEnumerable<Stored<TrainingJob>> RunningAsync(CancellationToken cancellationToken = default) =>
        records.MarkedAsync(Running, JobPrefix, JobsEnd, cancellationToken);

    /// <summary>Jobs created at or before <paramref name="instant"/>, newest first: one row-key range (the oldest end
    /// of the listing), so retention reads only the jobs old enough to expire.</summary>
    public IAsyncEnumerable<Stored<TrainingJob>> CreatedBeforeAsync(DateTimeOffset instant, CancellationToken cancellationToken = default) =>
        records.QueryAsync(JobRowKey($"job-{instant.UtcDateTime:yyyyMMdd-HHmmss-fff}"), JobsEnd, filter: null, cancellationToken);

    /// <summary>Deletes the job, with its idempotency key, if <paramref name="decide"/> says so (it may throw to
    /// refuse) and it is finished (<see cref="TrainingJobStateMachine.AllowsRemoval"/>). True when deleted here.</summary>
    public Task<bool> RemoveAsync(string jobId, Func<Stored<TrainingJob>, bool> decide, CancellationToken cancellationToken = default) =>
        TrainingJob.IsValidId(jobId) ? updater.RemoveAsync(jobId, decide, cancellationToken) : Task.FromResult(false);

    /// <summary>A job's row as <see cref="CreateAsync"/> writes it for a finished job (the benchmark seeds
    /// long histories with them, a hundred rows a transaction).</summary>
    internal TableEntity RowOf(TrainingJob job) => records.ToEntity(job, out _);

    /// <summary>Jobs are stored under the id with each digit d written as 9-d: ascending is newest first.</summary>
    public static string JobRowKey(string jobId) => JobPrefix + RowKeys.NewestFirst(jobId);

    private static IReadOnlyDictionary<string, object?> Columns(TrainingJob job) => new Dictionary<string, object?>
    {
        ["Status"] = job.Status.ToString(),
        ["Publishing"] = job.Publishing,
        ["CreatedAt"] = job.CreatedAt,
        ["HeartbeatAt"] = job.HeartbeatAt,
        ["SweepId"] = job.SweepId,
        ["InSweep"] = job.SweepId is not null,
        ["Owner"] = job.Owner,
        ["RunToken"] = job.RunToken,
        ["Enqueued"] = job.Enqueued,
        ["EnqueueReservedAt"] = job.EnqueueReservedAt,
        ["Checkpoint"] = job.Checkpoint,
        ["RecoveryQueuedFor"] = job.RecoveryQueuedFor,
        ["TraceParent"] = job.TraceParent,
    };

    private static TrainingJob WithColumns(TrainingJob record, TableEntity entity) => record with
    {
        RunToken = entity.GetString("RunToken"),
        Enqueued = entity.GetBoolean("Enqueued") ?? false,
        EnqueueReservedAt = entity.GetDateTimeOffset("EnqueueReservedAt"),
        Checkpoint = entity.GetString("Checkpoint"),
        RecoveryQueuedFor = entity.GetString("RecoveryQueuedFor"),
        TraceParent = entity.GetString("TraceParent"),
    };
}

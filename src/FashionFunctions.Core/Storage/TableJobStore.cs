using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Storage;

/// <summary>A job record as read, with the version every conditional write must name.</summary>
public sealed record StoredJob(TrainingJob Job, ETag ETag);

/// <summary>An idempotency key's row: the job it created and the hash of the request that created it.</summary>
public sealed record IdempotencyKeyRow(string JobId, string RequestHash);

/// <summary>One page of a listing, newest first; <see cref="Next"/> continues it (null: the end).</summary>
public sealed record JobPage(IReadOnlyList<TrainingJob> Items, string? Next);

/// <summary>
/// Job records and idempotency keys in one Azure table (<see cref="StorageNames.JobTable"/>), all in one
/// partition so that a job's row and its key's row are written in one entity-group transaction. Row keys:
/// <c>j-{id with every digit d written 9-d}</c> for jobs (ids begin with their creation time, so ascending row
/// keys list the newest job first) and <c>k-{SHA-256 of the key}</c> for idempotency keys. A job row holds the
/// record as compact JSON plus the columns the lifecycle queries and fences on (status, heartbeat, run token).
/// Every update is conditional on the ETag read. Reads of a table that does not exist yet answer "nothing".
/// </summary>
public sealed class TableJobStore(TableServiceClient service, string tableName = StorageNames.JobTable)
{
    public const string Partition = "jobs";
    private const string JobPrefix = "j-";
    private const string KeyPrefix = "k-";

    private static readonly JsonSerializerOptions RecordJson = new(ModelJson.Options) { WriteIndented = false };

    private readonly TableClient table = service.GetTableClient(tableName);
    private volatile bool created;

    /// <summary>Creates the table on first use; later calls cost nothing.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        if (!created)
        {
            await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            created = true;
        }
    }

    /// <summary>
    /// Stores a new job and, when given, its idempotency key in one transaction. Returns null when stored;
    /// otherwise the key's existing row (another request stored a job under that key first).
    /// </summary>
    public async Task<IdempotencyKeyRow?> CreateAsync(TrainingJob job, string? idempotencyKey, string requestHash, CancellationToken cancellationToken = default)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, ToEntity(job)) };
        if (idempotencyKey is not null)
        {
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(Partition, KeyRowKey(idempotencyKey))
            {
                ["JobId"] = job.Id,
                ["RequestHash"] = requestHash,
            }));
        }

        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Either another request stored a job under this key first, or our own write succeeded and only its
            // answer was lost (the client's retry then conflicts with it).
            if (idempotencyKey is not null && await GetKeyAsync(idempotencyKey, cancellationToken).ConfigureAwait(false) is { } key)
            {
                return key.JobId == job.Id ? null : key;
            }

            if (await GetAsync(job.Id, cancellationToken).ConfigureAwait(false) is not null)
            {
                return null;
            }

            throw;
        }
    }

    public async Task<IdempotencyKeyRow?> GetKeyAsync(string idempotencyKey, CancellationToken cancellationToken = default)
    {
        var entity = await GetEntityAsync(KeyRowKey(idempotencyKey), cancellationToken).ConfigureAwait(false);
        return entity is null ? null : new IdempotencyKeyRow(entity.GetString("JobId"), entity.GetString("RequestHash"));
    }

    public async Task<StoredJob?> GetAsync(string jobId, CancellationToken cancellationToken = default)
    {
        if (!TrainingJob.IsValidId(jobId))
        {
            return null;
        }

        var entity = await GetEntityAsync(JobRowKey(jobId), cancellationToken).ConfigureAwait(false);
        return entity is null ? null : FromEntity(entity);
    }

    /// <summary>Replaces the record if it is still at <paramref name="etag"/>; null if someone changed it first.</summary>
    public async Task<StoredJob?> TryReplaceAsync(TrainingJob job, ETag etag, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await table.UpdateEntityAsync(ToEntity(job), etag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return new StoredJob(job, response.Headers.ETag ?? throw new InvalidOperationException("The table answered without an ETag."));
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }

    /// <summary>Newest first, <paramref name="limit"/> at most per page, optionally only one sweep's jobs.</summary>
    public async Task<JobPage> ListAsync(int limit, string? next = null, string? sweepId = null, CancellationToken cancellationToken = default)
    {
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey ge {JobPrefix} and RowKey lt {"j."}");
        if (sweepId is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"SweepId eq {sweepId}");
        }

        var (items, following) = await TablePages.ReadAsync(table, filter, limit, next, e => FromEntity(e).Job, cancellationToken).ConfigureAwait(false);
        return new JobPage(items, following);
    }

    /// <summary>Every job matching an OData filter over the row's columns (Status, HeartbeatAt, SweepId, …).</summary>
    public IAsyncEnumerable<StoredJob> QueryAsync(string filter, CancellationToken cancellationToken = default) =>
        TablePages.AllAsync(
            table,
            TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey ge {JobPrefix} and RowKey lt {"j."}") + $" and ({filter})",
            FromEntity,
            cancellationToken);

    /// <summary>Jobs are stored under the id with each digit d written as 9-d: ascending is newest first.</summary>
    public static string JobRowKey(string jobId) =>
        JobPrefix + string.Create(jobId.Length, jobId, (span, id) =>
        {
            for (int i = 0; i < id.Length; i++)
            {
                span[i] = char.IsAsciiDigit(id[i]) ? (char)('9' - id[i] + '0') : id[i];
            }
        });

    private static string KeyRowKey(string idempotencyKey) =>
        KeyPrefix + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(idempotencyKey)));

    private async Task<TableEntity?> GetEntityAsync(string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            var response = await table.GetEntityIfExistsAsync<TableEntity>(Partition, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.HasValue ? response.Value : null;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null; // the table does not exist yet
        }
    }

    private static TableEntity ToEntity(TrainingJob job) => new(Partition, JobRowKey(job.Id))
    {
        ["Id"] = job.Id,
        ["Status"] = job.Status.ToString(),
        ["CreatedAt"] = job.CreatedAt,
        ["HeartbeatAt"] = job.HeartbeatAt,
        ["SweepId"] = job.SweepId,
        ["RunToken"] = job.RunToken,
        ["Enqueued"] = job.Enqueued,
        ["Checkpoint"] = job.Checkpoint,
        ["RecoveryQueuedAt"] = job.RecoveryQueuedAt,
        ["TraceParent"] = job.TraceParent,
        ["Record"] = JsonSerializer.SerializeToUtf8Bytes(job, RecordJson),
    };

    private static StoredJob FromEntity(TableEntity entity)
    {
        string id = entity.GetString("Id");
        TrainingJob? record;
        try
        {
            record = JsonSerializer.Deserialize<TrainingJob>(entity.GetBinary("Record"), RecordJson);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new CorruptStoredDataException($"{StorageNames.JobTable}/{id}", "the stored record is not valid JSON.", e);
        }

        if (record is null || record.Id != id)
        {
            throw new CorruptStoredDataException($"{StorageNames.JobTable}/{id}", "the stored record does not describe this job.");
        }

        return new StoredJob(
            record with
            {
                RunToken = entity.GetString("RunToken"),
                Enqueued = entity.GetBoolean("Enqueued") ?? false,
                Checkpoint = entity.GetString("Checkpoint"),
                RecoveryQueuedAt = entity.GetDateTimeOffset("RecoveryQueuedAt"),
                TraceParent = entity.GetString("TraceParent"),
            },
            entity.ETag);
    }
}

using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Sweeps;

namespace FashionFunctions.Core.Storage;

/// <summary>A sweep record as read, with the version every conditional write must name.</summary>
public sealed record StoredSweep(Sweep Sweep, ETag ETag);

/// <summary>One page of sweeps, newest first; <see cref="Next"/> continues it (null: the end).</summary>
public sealed record SweepPage(IReadOnlyList<Sweep> Items, string? Next);

/// <summary>
/// Sweep records in the jobs' table (<see cref="StorageNames.JobTable"/>), in their own partition. Row keys are
/// the id with every digit d written 9-d, so ascending row keys list the newest sweep first. Every update is
/// conditional on the ETag read; reads of a table that does not exist yet answer "nothing".
/// </summary>
public sealed class TableSweepStore(TableServiceClient service, string tableName = StorageNames.JobTable)
{
    public const string Partition = "sweeps";
    private static readonly JsonSerializerOptions RecordJson = new(ModelJson.Options) { WriteIndented = false };
    private readonly TableClient table = service.GetTableClient(tableName);
    private volatile bool created;

    public async Task CreateAsync(Sweep sweep, CancellationToken cancellationToken = default)
    {
        if (!created)
        {
            await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            created = true;
        }

        await table.AddEntityAsync(ToEntity(sweep), cancellationToken).ConfigureAwait(false);
    }

    public async Task<StoredSweep?> GetAsync(string sweepId, CancellationToken cancellationToken = default)
    {
        if (!Sweep.IsValidId(sweepId))
        {
            return null;
        }

        try
        {
            var response = await table.GetEntityIfExistsAsync<TableEntity>(Partition, RowKey(sweepId), cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.HasValue ? FromEntity(response.Value!) : null;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null; // no table yet
        }
    }

    /// <summary>Replaces the record if it is still at <paramref name="etag"/>; null if someone changed it first.</summary>
    public async Task<StoredSweep?> TryReplaceAsync(Sweep sweep, ETag etag, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await table.UpdateEntityAsync(ToEntity(sweep), etag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return new StoredSweep(sweep, response.Headers.ETag ?? throw new InvalidOperationException("The table answered without an ETag."));
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }

    public async Task<SweepPage> ListAsync(int limit, string? next = null, CancellationToken cancellationToken = default)
    {
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        var (items, following) = await TablePages.ReadAsync(table, filter, limit, next, e => FromEntity(e).Sweep, cancellationToken).ConfigureAwait(false);
        return new SweepPage(items, following);
    }

    /// <summary>Every sweep still running (few at any time: each is a sweep someone is waiting for).</summary>
    public IAsyncEnumerable<StoredSweep> RunningAsync(CancellationToken cancellationToken = default) =>
        TablePages.AllAsync(
            table,
            TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and Status eq {nameof(SweepStatus.Running)}"),
            FromEntity,
            cancellationToken);

    private static string RowKey(string sweepId) =>
        string.Create(sweepId.Length, sweepId, (span, id) =>
        {
            for (int i = 0; i < id.Length; i++)
            {
                span[i] = char.IsAsciiDigit(id[i]) ? (char)('9' - id[i] + '0') : id[i];
            }
        });

    private static TableEntity ToEntity(Sweep sweep) => new(Partition, RowKey(sweep.Id))
    {
        ["Id"] = sweep.Id,
        ["Status"] = sweep.Status.ToString(),
        ["Record"] = JsonSerializer.SerializeToUtf8Bytes(sweep, RecordJson),
    };

    private static StoredSweep FromEntity(TableEntity entity)
    {
        string id = entity.GetString("Id");
        Sweep? record;
        try
        {
            record = JsonSerializer.Deserialize<Sweep>(entity.GetBinary("Record"), RecordJson);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new CorruptStoredDataException($"{StorageNames.JobTable}/{Partition}/{id}", "the stored sweep is not valid JSON.", e);
        }

        if (record is null || record.Id != id)
        {
            throw new CorruptStoredDataException($"{StorageNames.JobTable}/{Partition}/{id}", "the stored record does not describe this sweep.");
        }

        return new StoredSweep(record, entity.ETag);
    }
}

using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;

namespace FashionFunctions.Core.Storage;

/// <summary>Idempotency keys as rows beside the records they created (same partition, one transaction):
/// <c>k-{SHA-256 of the key}</c>, naming the record and the hash of the request that created it.</summary>
internal static class IdempotencyKeys
{
    /// <summary>The record a key names; a record's companion rows are deleted with it only while they name it.</summary>
    public const string RecordIdColumn = "RecordId";

    public static string RowKey(string idempotencyKey) =>
        "k-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)));

    public static TableEntity Row(string partition, string idempotencyKey, string recordId, string requestHash) =>
        new(partition, RowKey(idempotencyKey)) { [RecordIdColumn] = recordId, ["RequestHash"] = requestHash };

    public static IdempotencyKeyRow? Read(TableEntity? entity, DateTimeOffset readAt) =>
        entity is null ? null : new IdempotencyKeyRow(entity.GetString(RecordIdColumn) ?? entity.GetString("JobId"), entity.GetString("RequestHash"))
        {
            WrittenAt = entity.Timestamp ?? DateTimeOffset.MinValue,
            ETag = entity.ETag,
            ReadAt = readAt,
        };
}

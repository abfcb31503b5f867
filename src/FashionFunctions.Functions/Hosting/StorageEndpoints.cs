using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace FashionFunctions.Functions.Hosting;

/// <summary>
/// Where the app's storage is and how to sign in to it, read from a connection setting
/// (<see cref="ServiceRegistration.DataStorage"/>) as the Functions host reads one: a connection string (local:
/// UseDevelopmentStorage=true), or identity-based settings (blobServiceUri, queueServiceUri and tableServiceUri,
/// with credential=managedidentity and clientId for a user-assigned identity). The one place that turns the setting
/// into clients.
/// </summary>
public sealed class StorageEndpoints
{
    private readonly string? connectionString;
    private readonly Uri? blob, queue, table;

    private StorageEndpoints(string connectionString) => this.connectionString = connectionString;

    private StorageEndpoints(Uri blob, Uri queue, Uri table, TokenCredential credential) =>
        (this.blob, this.queue, this.table, Credential) = (blob, queue, table, credential);

    /// <summary>The managed identity the clients sign in with; null with a connection string.</summary>
    public TokenCredential? Credential { get; }

    /// <summary>Throws <see cref="InvalidOperationException"/> naming the setting that is missing.</summary>
    public static StorageEndpoints From(IConfigurationSection connection)
    {
        if (!string.IsNullOrWhiteSpace(connection.Value))
        {
            return new StorageEndpoints(connection.Value);
        }

        string key = connection.Path;
        string blobUri = connection["blobServiceUri"]
            ?? throw new InvalidOperationException($"Set {key} to a connection string, or {key}__blobServiceUri and __queueServiceUri.");
        string queueUri = connection["queueServiceUri"] ?? throw new InvalidOperationException($"Set {key}__queueServiceUri.");
        string tableUri = connection["tableServiceUri"] ?? throw new InvalidOperationException($"Set {key}__tableServiceUri.");
        TokenCredential credential = connection["clientId"] is { Length: > 0 } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
        return new StorageEndpoints(new Uri(blobUri), new Uri(queueUri), new Uri(tableUri), credential);
    }

    public BlobServiceClient Blobs(BlobClientOptions options) =>
        connectionString is not null ? new(connectionString, options) : new(blob!, Credential!, options);

    /// <summary>Messages are base64, as the Functions queue trigger reads them.</summary>
    public QueueServiceClient Queues(QueueClientOptions options)
    {
        options.MessageEncoding = QueueMessageEncoding.Base64;
        return connectionString is not null ? new(connectionString, options) : new(queue!, Credential!, options);
    }

    public TableServiceClient Tables(TableClientOptions options) =>
        connectionString is not null ? new(connectionString, options) : new(table!, Credential!, options);
}

using Azure.Identity;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Testing;
using Microsoft.Extensions.Configuration;

namespace FashionFunctions.Functions.Tests;

/// <summary>The storage setting, as the Functions host reads it, turned into the app's clients.</summary>
[Trait("Category", "Azurite")]
public class StorageEndpointsTests
{
    private static IConfigurationSection Connection(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value))
            .Build()
            .GetSection(ServiceRegistration.StorageConnection);

    [Fact]
    public void Identity_based_settings_give_clients_on_each_service_uri_signed_in_as_the_user_assigned_identity()
    {
        var endpoints = StorageEndpoints.From(Connection(
            ("AzureWebJobsStorage:blobServiceUri", "https://acct.blob.core.windows.net"),
            ("AzureWebJobsStorage:queueServiceUri", "https://acct.queue.core.windows.net"),
            ("AzureWebJobsStorage:tableServiceUri", "https://acct.table.core.windows.net"),
            ("AzureWebJobsStorage:credential", "managedidentity"),
            ("AzureWebJobsStorage:clientId", "00000000-0000-0000-0000-000000000001")));

        Assert.Equal("acct.blob.core.windows.net", endpoints.Blobs(new()).Uri.Host);
        Assert.Equal("acct.queue.core.windows.net", endpoints.Queues(new()).Uri.Host);
        Assert.Equal("acct.table.core.windows.net", endpoints.Tables(new()).Uri.Host);
        Assert.IsType<ManagedIdentityCredential>(endpoints.Credential);
    }

    [Fact]
    public void A_connection_string_needs_no_credential()
    {
        string connectionString = $"DefaultEndpointsProtocol=http;AccountName={AzuriteProcess.AccountName};AccountKey={AzuriteProcess.AccountKey};"
            + $"BlobEndpoint=http://127.0.0.1:10010/{AzuriteProcess.AccountName};QueueEndpoint=http://127.0.0.1:10011/{AzuriteProcess.AccountName};"
            + $"TableEndpoint=http://127.0.0.1:10012/{AzuriteProcess.AccountName};";
        var endpoints = StorageEndpoints.From(Connection(("AzureWebJobsStorage", connectionString)));

        Assert.Null(endpoints.Credential);
        Assert.Equal(10010, endpoints.Blobs(new()).Uri.Port);
        Assert.Equal(10011, endpoints.Queues(new()).Uri.Port);
        Assert.Equal(10012, endpoints.Tables(new()).Uri.Port);
    }

    [Theory]
    [InlineData("AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage:blobServiceUri")]
    [InlineData("AzureWebJobsStorage__tableServiceUri", "AzureWebJobsStorage:blobServiceUri", "AzureWebJobsStorage:queueServiceUri")]
    public void A_missing_service_uri_is_named(string missing, params string[] present)
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            StorageEndpoints.From(Connection(present.Select(key => (key, "https://acct.core.windows.net")).ToArray())));

        Assert.Contains(missing, error.Message);
    }
}

using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;

namespace FashionFunctions.Testing;

/// <summary>An Azure SDK pipeline policy that records every storage request the app sends (method and path).</summary>
public sealed class StorageRequestCounter : HttpPipelinePolicy
{
    private readonly ConcurrentQueue<string> requests = new();

    /// <summary>"GET /devstoreaccount1/models/current.json", in the order sent (retries count again).</summary>
    public IReadOnlyList<string> Requests => requests.ToList();

    public int Count => requests.Count;

    public void Clear() => requests.Clear();

    public int CountWhere(Func<string, bool> predicate) => requests.Count(predicate);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Record(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Record(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Record(HttpMessage message) => requests.Enqueue($"{message.Request.Method} {message.Request.Uri.Path}");
}

public static class StoragePolicies
{
    /// <summary>Adds <paramref name="policy"/> (per retry) to every blob, queue and table client the app's registration creates.</summary>
    public static IServiceCollection AddStoragePolicy(this IServiceCollection services, HttpPipelinePolicy policy)
    {
        services.ConfigureAll<BlobClientOptions>(o => o.AddPolicy(policy, HttpPipelinePosition.PerRetry));
        services.ConfigureAll<QueueClientOptions>(o => o.AddPolicy(policy, HttpPipelinePosition.PerRetry));
        services.ConfigureAll<TableClientOptions>(o => o.AddPolicy(policy, HttpPipelinePosition.PerRetry));
        return services;
    }
}

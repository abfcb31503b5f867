using System.Text.Json;
using Azure.Storage.Queues.Models;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Functions;
using Microsoft.Extensions.DependencyInjection;

namespace FashionFunctions.Functions.Tests.Support;

/// <summary>Drives training jobs through the real functions: submit over "HTTP", deliver from the real queue.</summary>
public static class Jobs
{
    public const string QuickJob = """{"epochs": 1, "trainLimit": 6000, "seed": 3}""";

    public static async Task<HttpAnswer> CreateAsync(FunctionsApp app, string json = QuickJob, IDictionary<string, string>? headers = null)
    {
        return await app.SendJsonAsync("POST", "/api/training-jobs", json, headers);
    }

    /// <summary>Receives the job's message as the Functions host would (base64-decoding) and hands it to the
    /// function; other tests' messages are put back.</summary>
    public static async Task<QueueMessage> DeliverAsync(FunctionsApp app, string jobId)
    {
        var ours = await ReceiveAsync(app, jobId);
        await app.Create<TrainingQueueFunction>().RunAsync(ours, CancellationToken.None);
        await app.HostLikeQueue().DeleteMessageAsync(ours.MessageId, ours.PopReceipt);
        return ours;
    }

    /// <summary>Delivers the job's message as the host does: a delivery that throws leaves the message to be
    /// delivered again (dequeue count + 1), up to <paramref name="maxDeliveries"/>.</summary>
    public static async Task<int> DeliverUntilHandledAsync(FunctionsApp app, string jobId, int maxDeliveries = 3, IServiceProvider? instance = null)
    {
        for (int delivery = 1; delivery <= maxDeliveries; delivery++)
        {
            var message = await ReceiveAsync(app, jobId);
            try
            {
                await ActivatorUtilities.CreateInstance<TrainingQueueFunction>(instance ?? app.Services).RunAsync(message, CancellationToken.None);
                await app.HostLikeQueue().DeleteMessageAsync(message.MessageId, message.PopReceipt);
                return delivery;
            }
            catch (Exception) when (delivery < maxDeliveries)
            {
                await app.HostLikeQueue().UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
            }
        }

        return maxDeliveries;
    }

    /// <summary>Takes the job's message off the queue (invisible for <paramref name="invisibleFor"/>); others are put back.</summary>
    public static async Task<QueueMessage> ReceiveAsync(FunctionsApp app, string jobId, TimeSpan? invisibleFor = null)
    {
        var queue = app.HostLikeQueue();
        var received = await queue.ReceiveMessagesAsync(32, invisibleFor ?? TimeSpan.FromMinutes(5));
        QueueMessage? ours = null;
        foreach (var message in received.Value)
        {
            if (ours is null && message.Body.ToString().Contains(jobId, StringComparison.Ordinal))
            {
                ours = message;
            }
            else
            {
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
            }
        }

        return ours ?? throw new InvalidOperationException($"No message for {jobId} on the training queue.");
    }

    /// <summary>How many messages for the job are on the queue (visible or not yet visible).</summary>
    public static async Task<int> MessagesForAsync(FunctionsApp app, string jobId)
    {
        // Peek sees only visible messages; delayed ones are counted through the queue's total.
        var peeked = (await app.HostLikeQueue().PeekMessagesAsync(32)).Value;
        return peeked.Count(m => m.Body.ToString().Contains(jobId, StringComparison.Ordinal));
    }

    public static async Task<TrainingJob> RecordAsync(FunctionsApp app, string jobId) =>
        (await app.Get<TableJobStore>().GetAsync(jobId))?.Record ?? throw new InvalidOperationException($"No record for {jobId}.");

    /// <summary>Submits a quick job, delivers it, and returns the finished record.</summary>
    public static async Task<TrainingJob> TrainAsync(FunctionsApp app, string json = QuickJob)
    {
        var answer = await CreateAsync(app, json);
        string id = answer.Json.GetProperty("id").GetString()!;
        await DeliverAsync(app, id);
        return await RecordAsync(app, id);
    }

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    public static async Task<ModelArtifact> ModelAsync(FunctionsApp app, string modelId) => await app.Get<BlobModelRegistry>().LoadAsync(modelId);
}

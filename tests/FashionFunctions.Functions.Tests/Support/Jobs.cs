using System.Text.Json;
using Azure.Storage.Queues.Models;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Functions;

namespace FashionFunctions.Functions.Tests.Support;

/// <summary>Drives training jobs through the real functions: submit over "HTTP", deliver from the real queue.</summary>
public static class Jobs
{
    public const string QuickJob = """{"epochs": 1, "trainLimit": 6000, "seed": 3}""";

    public static async Task<HttpAnswer> SubmitAsync(FunctionsApp app, string json = QuickJob, IDictionary<string, string>? headers = null)
    {
        var request = HttpCall.Json(app.Services, "POST", "/api/training-jobs", json, headers: headers);
        return await HttpCall.AnswerAsync(request, app.Create<TrainingJobsApi>().SubmitAsync(request, CancellationToken.None));
    }

    /// <summary>Receives the job's message as the Functions host would (base64-decoding) and hands it to the
    /// function; other tests' messages are put back.</summary>
    public static async Task<QueueMessage> DeliverAsync(FunctionsApp app, string jobId)
    {
        var queue = app.HostLikeQueue();
        var received = await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5));
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

        if (ours is null)
        {
            throw new InvalidOperationException($"No message for {jobId} on the training queue.");
        }

        await app.Create<TrainingQueueFunction>().RunAsync(ours, CancellationToken.None);
        await queue.DeleteMessageAsync(ours.MessageId, ours.PopReceipt);
        return ours;
    }

    public static async Task<TrainingJob> RecordAsync(FunctionsApp app, string jobId) =>
        (await app.Get<BlobJobStore>().GetAsync(jobId))?.Job ?? throw new InvalidOperationException($"No record for {jobId}.");

    /// <summary>Submits a quick job, delivers it, and returns the finished record.</summary>
    public static async Task<TrainingJob> TrainAsync(FunctionsApp app, string json = QuickJob)
    {
        var answer = await SubmitAsync(app, json);
        string id = answer.Json.GetProperty("id").GetString()!;
        await DeliverAsync(app, id);
        return await RecordAsync(app, id);
    }

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    public static async Task<ModelArtifact> ModelAsync(FunctionsApp app, string modelId) => await app.Get<BlobModelRegistry>().LoadAsync(modelId);
}

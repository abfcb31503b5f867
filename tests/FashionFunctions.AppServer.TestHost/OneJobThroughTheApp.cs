using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Queues;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Functions;
using FashionFunctions.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FashionFunctions.AppServer.TestHost;

/// <summary>
/// One training job as the app runs it under <c>func start</c>: submitted to the served HTTP function, its message
/// received from the real queue as the host's listener does (base64) and handed to the app's queue-triggered
/// function. Answers the job's per-epoch durations, as its record reports them.
/// </summary>
internal static class OneJobThroughTheApp
{
    public static async Task<IReadOnlyList<double>> TrainAsync(Testing.AppServer app, string connectionString, int epochs)
    {
        using var created = await app.Client.PostAsJsonAsync("api/training-jobs", new { epochs });
        created.EnsureSuccessStatusCode();
        string id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var queue = new QueueClient(connectionString, StorageNames.TrainingQueue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            var received = (await queue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(30))).Value;
            if (received.Length == 1)
            {
                await ActivatorUtilities.CreateInstance<TrainingQueueFunction>(app.Services).RunAsync(received[0], CancellationToken.None);
                await queue.DeleteMessageAsync(received[0].MessageId, received[0].PopReceipt);
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The message of job {id} never reached the queue.");
            }

            await Task.Delay(100);
        }

        var job = await app.Client.GetFromJsonAsync<JsonElement>($"api/training-jobs/{id}");
        string status = job.GetProperty("status").GetString()!;
        if (status != "succeeded")
        {
            throw new InvalidOperationException($"Job {id} ended {status}: {job}");
        }

        return job.GetProperty("metrics").EnumerateArray().Select(e => e.GetProperty("durationSeconds").GetDouble()).ToList();
    }
}

using Azure.Storage.Queues.Models;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace FashionFunctions.Functions.Functions;

/// <summary>Trains the job a message on the training-jobs queue names (one at a time per instance: host.json).</summary>
public sealed class TrainingQueueFunction(TrainingJobRunner runner, IOptions<FashionFunctionsOptions> options)
{
    [Function("RunTrainingJob")]
    public Task RunAsync(
        [QueueTrigger(StorageNames.TrainingQueue, Connection = ServiceRegistration.StorageConnection)] QueueMessage message,
        CancellationToken cancellationToken) =>
        runner.RunAsync(message.Body.ToString(), message.DequeueCount, options.Value.MaxDequeueCount, cancellationToken);
}

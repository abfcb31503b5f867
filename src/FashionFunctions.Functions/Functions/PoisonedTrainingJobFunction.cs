using Azure.Storage.Queues.Models;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>Records as failed the job of a message the host moved to the poison queue after its last delivery.</summary>
public sealed class PoisonedTrainingJobFunction(PoisonedJobRecorder recorder)
{
    [Function("RecordPoisonedTrainingJob")]
    public Task RunAsync(
        [QueueTrigger(StorageNames.TrainingPoisonQueue, Connection = ServiceRegistration.StorageConnection)] QueueMessage message,
        CancellationToken cancellationToken) =>
        recorder.RecordAsync(message.Body.ToString(), message.DequeueCount, cancellationToken);
}

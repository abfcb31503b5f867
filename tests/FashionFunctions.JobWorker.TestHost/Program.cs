using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using FashionFunctions.JobWorker.TestHost;

// job-worker <connection-string> <heartbeat-seconds> <claim-expiry-seconds> run <message-json> <dequeue-count>
//   runs one delivery of a message and prints "outcome: <JobOutcome>";
// job-worker <connection-string> <heartbeat-seconds> <claim-expiry-seconds> serve
//   receives messages from the training queue as the Functions host does, one at a time, until killed.
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: job-worker <connection> <heartbeat-s> <expiry-s> run <message> <dequeue-count> | serve");
    return 2;
}

string connection = args[0];
var lifecycle = new JobLifecycleOptions
{
    HeartbeatInterval = TimeSpan.FromSeconds(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture)),
    ClaimExpiry = TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)),
    CheckpointInterval = TimeSpan.Zero, // the crash tests kill a run after a given epoch and resume from it
};
var blobs = new BlobServiceClient(connection);
var queues = new QueueServiceClient(connection, TrainingJobQueue.ClientOptions());
var datasets = blobs.GetBlobContainerClient(StorageNames.DatasetContainer);
var tables = new TableServiceClient(connection);
var jobs = new TableJobStore(tables);
var models = new BlobModelRegistry(blobs.GetBlobContainerClient(StorageNames.ModelContainer), new TableModelIndex(tables));
var runner = new TrainingJobRunner(
    jobs,
    models,
    new CheckpointStore(blobs.GetBlobContainerClient(StorageNames.CheckpointContainer)),
    new TrainingJobQueue(queues),
    () => new SeedingDatasetSource(new BlobDatasetSource(datasets), new DatasetBlobSeeder(datasets, new StdoutLogger<DatasetBlobSeeder>()),
        () => new LocalDirectoryDatasetSource(LocalDirectoryDatasetSource.DebianPackageDirectory)),
    lifecycle,
    TimeProvider.System,
    new StdoutLogger<TrainingJobRunner>(),
    new SweepRecorder(new TableSweepStore(tables), jobs, models, TimeProvider.System, new StdoutLogger<SweepRecorder>()));

if (args[3] == "run")
{
    var outcome = await runner.RunAsync(args[4], long.Parse(args[5]), maxDequeueCount: 5, CancellationToken.None);
    Console.WriteLine($"outcome: {outcome}");
    return 0;
}

var queue = queues.GetQueueClient(StorageNames.TrainingQueue);
while (true)
{
    var received = (await queue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(10))).Value;
    if (received.Length == 0)
    {
        await Task.Delay(200);
        continue;
    }

    var message = received[0];
    try
    {
        var outcome = await runner.RunAsync(message.Body.ToString(), message.DequeueCount, maxDequeueCount: 5, CancellationToken.None);
        Console.WriteLine($"outcome: {outcome}");
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
    }
    catch (Exception e)
    {
        Console.WriteLine($"failed: {e.Message}");
        await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
    }
}

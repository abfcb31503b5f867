using System.Text;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Functions;
using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests;

[Trait("Category", "Azurite")]
public class TrainingQueueTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    [Fact]
    public async Task A_submitted_job_is_queued_base64_encoded_as_the_trigger_decodes_it()
    {
        var answer = await Jobs.CreateAsync(app);
        Assert.Equal(202, answer.Status);
        string id = answer.Json.GetProperty("id").GetString()!;
        Assert.Equal("queued", answer.Json.GetProperty("status").GetString());
        Assert.Equal($"/api/training-jobs/{id}", answer.Headers.Location.ToString());

        // As stored: base64 of the JSON message (a plain-text message would fail the trigger's decoding).
        var stored = (await app.RawQueue().PeekMessagesAsync(32)).Value.Select(m => m.Body.ToString()).ToList();
        var decoded = stored.Select(s => Encoding.UTF8.GetString(Convert.FromBase64String(s))).ToList();
        Assert.Contains(decoded, d => JsonDocument.Parse(d).RootElement.GetProperty("jobId").GetString() == id);

        // As the host's base64 queue listener receives it, and as the function parses it.
        var received = (await app.HostLikeQueue().PeekMessagesAsync(32)).Value;
        Assert.Contains(received, m => TrainingJobMessage.Parse(m.Body.ToString()).JobId == id);
    }

    [Fact]
    public async Task The_queue_function_trains_writes_weights_and_manifest_and_promotes()
    {
        var job = await Jobs.TrainAsync(app);

        Assert.Equal(TrainingJobStatus.Succeeded, job.Status);
        Assert.Equal(1, job.Epoch);
        Assert.Single(job.Metrics);
        Assert.True(job.Promoted);
        Assert.Equal(1, job.Attempts);
        Assert.NotNull(job.FinishedAt);
        Assert.NotNull(job.HeartbeatAt);

        var models = app.Container(StorageNames.ModelContainer);
        var blobs = new List<string>();
        await foreach (var blob in models.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, job.ModelId + "/", CancellationToken.None))
        {
            blobs.Add(blob.Name);
        }

        // One weights file, named for the run that trained it, and the manifest that names it.
        Assert.Equal(2, blobs.Count);
        Assert.Contains($"{job.ModelId}/manifest.json", blobs);
        var artifact = await Jobs.ModelAsync(app, job.ModelId!);
        Assert.Contains($"{job.ModelId}/{artifact.Manifest.WeightsFile}", blobs);
        Assert.Matches("^model-[0-9a-f]{32}\\.safetensors$", artifact.Manifest.WeightsFile);
        Assert.InRange(artifact.Manifest.TestAccuracy, 0.7, 1.0);
        Assert.Equal(job.Metrics[0].TestAccuracy, artifact.Manifest.TestAccuracy);
        Assert.True(artifact.Manifest.DatasetSha256.Count == 4);
        Assert.Contains("/datasets/fashion-mnist/", artifact.Manifest.DatasetSource);

        // Tests in a class run one at a time, and the frozen clock makes ours no older than any earlier model.
        var current = await app.Get<BlobModelRegistry>().GetCurrentAsync();
        Assert.NotNull(current);
        Assert.Equal(job.ModelId, current.Pointer.ModelId);
    }

    [Fact]
    public async Task A_redelivered_message_for_a_finished_job_changes_nothing()
    {
        var job = await Jobs.TrainAsync(app);
        var before = await app.Get<TableJobStore>().GetAsync(job.Id);

        var redelivered = QueuesModelFactory.QueueMessage("m", "p", new BinaryData(new TrainingJobMessage(job.Id).ToJson()), 2);
        await app.Create<TrainingQueueFunction>().RunAsync(redelivered, CancellationToken.None);

        var after = await app.Get<TableJobStore>().GetAsync(job.Id);
        Assert.Equal(before!.ETag, after!.ETag);
    }

    [Fact]
    public async Task An_unparseable_message_ends_as_a_failed_record()
    {
        const string garbage = "this is not a training message";
        var before = (await app.Get<TableJobStore>().ListAsync(100)).Items;

        await app.Create<TrainingQueueFunction>().RunAsync(QueuesModelFactory.QueueMessage("m", "p", new BinaryData(garbage), 1), CancellationToken.None);

        var failed = (await app.Get<TableJobStore>().ListAsync(100)).Items.ExceptBy(before.Select(j => j.Id), j => j.Id).Single();
        Assert.Equal(TrainingJobStatus.Failed, failed.Status);
        Assert.StartsWith("Unusable queue message (traceId ", failed.Error);
        Assert.DoesNotContain(garbage, failed.Error); // what the message said goes to the log, not to every reader of the job

        // The same garbage parked in the poison queue by the host is not recorded twice.
        Assert.Null(await app.Get<PoisonedJobRecorder>().RecordAsync(garbage, 5));
    }

    [Fact]
    public async Task A_message_naming_an_unknown_job_is_recorded_as_failed()
    {
        string json = new TrainingJobMessage("job-20990101-000000-deadbeef").ToJson();
        var before = (await app.Get<TableJobStore>().ListAsync(100)).Items;
        await app.Create<TrainingQueueFunction>().RunAsync(QueuesModelFactory.QueueMessage("m", "p", new BinaryData(json), 1), CancellationToken.None);
        var failed = (await app.Get<TableJobStore>().ListAsync(100)).Items.ExceptBy(before.Select(j => j.Id), j => j.Id).Single();
        Assert.Equal(TrainingJobStatus.Failed, failed.Status);
        Assert.StartsWith("Unusable queue message (traceId ", failed.Error);
    }

    [Fact]
    public async Task A_job_whose_training_fails_for_good_is_marked_failed_with_the_reason()
    {
        // Options that pass the API's validation can still be refused by the trainer: a record edited in storage.
        var answer = await Jobs.CreateAsync(app);
        string id = answer.Json.GetProperty("id").GetString()!;
        var store = app.Get<TableJobStore>();
        await store.UpdateAsync(id, s => s.Record with { Options = s.Record.Options with { BatchSize = 0 } });

        await Jobs.DeliverAsync(app, id);

        var job = await Jobs.RecordAsync(app, id);
        Assert.Equal(TrainingJobStatus.Failed, job.Status);
        Assert.Contains("batchSize", job.Error);
        Assert.Equal(1, job.Attempts);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_same_job_and_enqueues_once()
    {
        var headers = new Dictionary<string, string> { [FashionFunctions.Functions.Http.IdempotencyKeyHeader.Name] = "order-" + Guid.NewGuid() };
        var first = await Jobs.CreateAsync(app, headers: headers);
        string id = first.Json.GetProperty("id").GetString()!;
        Assert.Equal(1, await Jobs.MessagesForAsync(app, id));
        var second = await Jobs.CreateAsync(app, headers: headers);

        Assert.Equal(202, second.Status);
        Assert.Equal(id, second.Json.GetProperty("id").GetString());
        Assert.Equal("true", second.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(1, await Jobs.MessagesForAsync(app, id));
    }

    [Fact]
    public async Task The_same_idempotency_key_with_a_different_body_is_422()
    {
        var headers = new Dictionary<string, string> { [FashionFunctions.Functions.Http.IdempotencyKeyHeader.Name] = "order-" + Guid.NewGuid() };
        Assert.Equal(202, (await Jobs.CreateAsync(app, """{"epochs": 1, "trainLimit": 6000, "seed": 3}""", headers)).Status);

        // The same request spelled differently is the same request.
        Assert.Equal(202, (await Jobs.CreateAsync(app, """{ "seed": 3, "trainLimit": 6000, "epochs": 1 }""", headers)).Status);
        (await Jobs.CreateAsync(app, """{"epochs": 2, "trainLimit": 6000, "seed": 3}""", headers)).AssertProblem(422);
    }
}

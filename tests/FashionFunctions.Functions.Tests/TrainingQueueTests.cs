using System.Text;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Functions;
using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests;

public class TrainingQueueTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    [Fact]
    public async Task A_submitted_job_is_queued_base64_encoded_as_the_trigger_decodes_it()
    {
        var answer = await Jobs.SubmitAsync(app);
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

        var models = app.Container(StorageNames.ModelContainer);
        Assert.True(await models.GetBlobClient($"{job.ModelId}/model.safetensors").ExistsAsync());
        Assert.True(await models.GetBlobClient($"{job.ModelId}/manifest.json").ExistsAsync());
        var artifact = await Jobs.ModelAsync(app, job.ModelId!);
        Assert.InRange(artifact.Manifest.TestAccuracy, 0.7, 1.0);
        Assert.Equal(job.Metrics[0].TestAccuracy, artifact.Manifest.TestAccuracy);
        Assert.True(artifact.Manifest.DatasetSha256.Count == 4);
        Assert.Contains("/datasets/fashion-mnist/", artifact.Manifest.DatasetSource);

        var current = await app.Get<BlobModelRegistry>().GetCurrentAsync();
        Assert.NotNull(current);
        // Another test may have promoted a newer model meanwhile; ours was current when it finished.
        Assert.True(current.Pointer.ModelCreatedAt >= artifact.Manifest.CreatedAt);
    }

    [Fact]
    public async Task A_redelivered_message_for_a_finished_job_changes_nothing()
    {
        var job = await Jobs.TrainAsync(app);
        var before = await app.Get<BlobJobStore>().GetAsync(job.Id);

        var redelivered = QueuesModelFactory.QueueMessage("m", "p", new BinaryData(new TrainingJobMessage(job.Id).ToJson()), 2);
        await app.Create<TrainingQueueFunction>().RunAsync(redelivered, CancellationToken.None);

        var after = await app.Get<BlobJobStore>().GetAsync(job.Id);
        Assert.Equal(before!.Value.ETag, after!.Value.ETag);
    }

    [Fact]
    public async Task A_job_that_died_half_way_is_trained_again_cleanly()
    {
        var answer = await Jobs.SubmitAsync(app);
        string id = answer.Json.GetProperty("id").GetString()!;
        var store = app.Get<BlobJobStore>();
        var (queued, etag) = (await store.GetAsync(id))!.Value;
        // What a worker that crashed during epoch 1 leaves behind.
        await store.TryUpdateAsync(queued with { Status = TrainingJobStatus.Running, Attempts = 1, StartedAt = DateTimeOffset.UtcNow }, etag);

        await Jobs.DeliverAsync(app, id);

        var job = await Jobs.RecordAsync(app, id);
        Assert.Equal(TrainingJobStatus.Succeeded, job.Status);
        Assert.Equal(2, job.Attempts);
        Assert.Equal(TrainingJobRunner.ModelIdFor(id), job.ModelId);
    }

    [Fact]
    public async Task An_unparseable_message_ends_as_a_failed_record_and_in_the_poison_queue()
    {
        const string garbage = "this is not a training message";
        var before = await app.Get<BlobJobStore>().ListAsync(100);

        await app.Create<TrainingQueueFunction>().RunAsync(QueuesModelFactory.QueueMessage("m", "p", new BinaryData(garbage), 1), CancellationToken.None);

        var failed = (await app.Get<BlobJobStore>().ListAsync(100)).ExceptBy(before.Select(j => j.Id), j => j.Id).Single();
        Assert.Equal(TrainingJobStatus.Failed, failed.Status);
        Assert.Contains("Unusable queue message", failed.Error);
        Assert.Contains(garbage, failed.Error);

        var poisoned = await app.HostLikeQueue(StorageNames.TrainingPoisonQueue).ReceiveMessagesAsync(32);
        Assert.Contains(poisoned.Value, m => m.Body.ToString() == garbage);
    }

    [Fact]
    public async Task A_message_naming_an_unknown_job_is_recorded_as_failed()
    {
        string json = new TrainingJobMessage("job-20990101-000000-deadbeef").ToJson();
        await app.Create<TrainingQueueFunction>().RunAsync(QueuesModelFactory.QueueMessage("m", "p", new BinaryData(json), 1), CancellationToken.None);
        var jobs = await app.Get<BlobJobStore>().ListAsync(100);
        Assert.Contains(jobs, j => j.Status == TrainingJobStatus.Failed && j.Error!.Contains("job-20990101-000000-deadbeef has no record"));
    }

    [Fact]
    public async Task A_job_whose_training_fails_for_good_is_marked_failed_with_the_reason()
    {
        // Options that pass the API's validation can still be refused by the trainer: a record edited in storage.
        var answer = await Jobs.SubmitAsync(app);
        string id = answer.Json.GetProperty("id").GetString()!;
        var store = app.Get<BlobJobStore>();
        var (queued, etag) = (await store.GetAsync(id))!.Value;
        await store.TryUpdateAsync(queued with { Options = queued.Options with { BatchSize = 0 } }, etag);

        await Jobs.DeliverAsync(app, id);

        var job = await Jobs.RecordAsync(app, id);
        Assert.Equal(TrainingJobStatus.Failed, job.Status);
        Assert.Contains("batchSize", job.Error);
    }

    [Fact]
    public async Task A_key_whose_first_request_died_before_storing_its_job_is_taken_over()
    {
        string key = "crashed-" + Guid.NewGuid();
        // What a request that died between claiming the key and writing its record leaves behind.
        await app.Get<BlobJobStore>().ClaimIdempotencyKeyAsync(key, "job-20000101-000000-000-deadbeef");
        var headers = new Dictionary<string, string> { [TrainingJobsApi.IdempotencyKeyHeader] = key };

        var retry = await Jobs.SubmitAsync(app, headers: headers);
        Assert.Equal(202, retry.Status);
        Assert.False(retry.Headers.ContainsKey("Idempotent-Replayed"));
        string id = retry.Json.GetProperty("id").GetString()!;
        Assert.NotNull(await app.Get<BlobJobStore>().GetAsync(id));

        var repeat = await Jobs.SubmitAsync(app, headers: headers);
        Assert.Equal(id, repeat.Json.GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_same_job_and_enqueues_once()
    {
        var headers = new Dictionary<string, string> { [TrainingJobsApi.IdempotencyKeyHeader] = "order-" + Guid.NewGuid() };
        var first = await Jobs.SubmitAsync(app, headers: headers);
        int queuedAfterFirst = (await app.RawQueue().GetPropertiesAsync()).Value.ApproximateMessagesCount;
        var second = await Jobs.SubmitAsync(app, headers: headers);

        Assert.Equal(202, second.Status);
        Assert.Equal(first.Json.GetProperty("id").GetString(), second.Json.GetProperty("id").GetString());
        Assert.Equal("true", second.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(queuedAfterFirst, (await app.RawQueue().GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }
}

using Azure.Core;
using FashionFunctions.Core.Access;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using FashionFunctions.Functions.Tests.Support;
using FashionFunctions.Testing;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace FashionFunctions.Functions.Tests;

/// <summary>The real clock, heartbeats every second and claims that lapse 3 s after the last write.</summary>
public sealed class ShortClaimApp : FunctionsApp
{
    public const double ClaimExpirySeconds = 3;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["FashionFunctions:JobHeartbeatSeconds"] = "1",
        ["FashionFunctions:JobClaimExpirySeconds"] = "3",
        ["FashionFunctions:CheckpointIntervalSeconds"] = "0",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton(TimeProvider.System);
}

/// <summary>
/// End states that nothing undoes, and claims judged by the storage service's clock: each test reproduces one way
/// a finished outcome used to change, a cancelled job used to leave a model, or a run used to be taken over alive
/// — with real storage, faults injected into the SDK's pipeline, and real waits for claims to lapse.
/// </summary>
[Trait("Category", "Azurite")]
public class JobEndStateTests(ShortClaimApp app) : IClassFixture<ShortClaimApp>
{
    private const string ThreeEpochs = """{"epochs": 3, "trainLimit": 3000, "seed": 3}""";
    private const string LongJob = """{"epochs": 60, "trainLimit": 3000, "seed": 3}""";
    private static readonly TimeSpan PastExpiry = TimeSpan.FromSeconds(ShortClaimApp.ClaimExpirySeconds + 1.5);

    [Fact]
    public async Task A_storage_timeout_while_deleting_checkpoints_leaves_a_succeeded_job_succeeded_on_any_delivery()
    {
        var hang = new HangPolicy(m => m.Request.Method == RequestMethod.Delete && m.Request.Uri.Path.Contains("/" + StorageNames.CheckpointContainer + "/"));
        await using var instance = app.NewInstance(s => s.AddAzureClients(b => b.ConfigureDefaults(o =>
        {
            o.Retry.MaxRetries = 0;
            o.Retry.NetworkTimeout = TimeSpan.FromSeconds(1);
            o.AddPolicy(hang, HttpPipelinePosition.BeforeTransport); // inside the SDK's network timeout
        })));

        foreach (int delivery in new[] { 1, 3 })
        {
            string id = await CreateAsync(ThreeEpochs);
            var outcome = await instance.GetRequiredService<TrainingJobRunner>().RunAsync(new TrainingJobMessage(id).ToJson(), delivery, 3, CancellationToken.None);

            Assert.Equal(JobOutcome.Succeeded, outcome);
            var job = await Jobs.RecordAsync(app, id);
            Assert.Equal(TrainingJobStatus.Succeeded, job.Status);
            Assert.NotNull(job.ModelId);
            Assert.Equal(1, job.Attempts);
        }

        Assert.True(hang.Hung > 0);
    }

    [Fact]
    public async Task A_cancel_that_lands_while_the_model_is_written_is_refused_and_no_cancelled_job_has_a_model()
    {
        var writingModel = new TaskCompletionSource();
        var hold = new DelayPolicy(TimeSpan.FromSeconds(3), m =>
        {
            bool model = m.Request.Method == RequestMethod.Put && m.Request.Uri.Path.Contains("/" + StorageNames.ModelContainer + "/fmnist-");
            if (model)
            {
                writingModel.TrySetResult();
            }

            return model;
        });
        await using var instance = app.NewInstance(s => s.AddAzureClients(b => b.ConfigureDefaults(o => o.AddPolicy(hold, HttpPipelinePosition.PerRetry))));
        string id = await CreateAsync(ThreeEpochs);
        var run = Task.Run(() => instance.GetRequiredService<TrainingJobRunner>().RunAsync(new TrainingJobMessage(id).ToJson(), 1, 3, CancellationToken.None));

        await writingModel.Task.WaitAsync(TimeSpan.FromMinutes(2));
        var cancel = await app.SendAsync("POST", $"/api/training-jobs/{id}/cancel");
        var outcome = await run.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(409, cancel.Status);
        Assert.True(cancel.Json.GetProperty("publishing").GetBoolean());
        Assert.Equal(JobOutcome.Succeeded, outcome);
        var job = await Jobs.RecordAsync(app, id);
        Assert.Equal(TrainingJobStatus.Succeeded, job.Status);
        Assert.False(job.Publishing);
        Assert.Equal((await app.Get<BlobModelRegistry>().GetCurrentAsync())!.Pointer.ModelId, job.ModelId);
    }

    [Fact]
    public async Task A_cancel_before_the_publish_fence_stops_the_run_and_nothing_is_listed_or_current()
    {
        // Hold the run's fence write (the one that sets "publishing") on its way to the table, and cancel meanwhile.
        string id = await CreateAsync(ThreeEpochs);
        var fenceSent = new TaskCompletionSource();
        var hold = new DelayPolicy(TimeSpan.FromSeconds(3), m =>
        {
            bool fence = m.Request.Method == RequestMethod.Put && RequestBody(m).Contains("\"Publishing\":true", StringComparison.Ordinal);
            if (fence)
            {
                fenceSent.TrySetResult();
            }

            return fence;
        });
        await using var instance = app.NewInstance(s => s.AddAzureClients(b => b.ConfigureDefaults(o => o.AddPolicy(hold, HttpPipelinePosition.PerRetry))));
        var run = Task.Run(() => instance.GetRequiredService<TrainingJobRunner>().RunAsync(new TrainingJobMessage(id).ToJson(), 1, 3, CancellationToken.None));
        await fenceSent.Task.WaitAsync(TimeSpan.FromMinutes(2));

        var cancel = await app.SendAsync("POST", $"/api/training-jobs/{id}/cancel");
        var outcome = await run.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(200, cancel.Status);
        Assert.Equal(JobOutcome.Cancelled, outcome);
        var job = await Jobs.RecordAsync(app, id);
        Assert.Equal(TrainingJobStatus.Cancelled, job.Status);
        Assert.Null(job.ModelId);
        Assert.DoesNotContain(TrainingJobRunner.ModelIdFor(id), (await app.Get<BlobModelRegistry>().ListAsync(100)).Items.Select(m => m.ModelId));
        Assert.NotEqual(TrainingJobRunner.ModelIdFor(id), (await app.Get<BlobModelRegistry>().GetCurrentAsync())?.Pointer.ModelId);
        Assert.Empty(await app.Get<CheckpointStore>().ListAsync(id));
    }

    [Fact]
    public async Task A_point_failed_by_the_poison_handler_ends_its_sweep_without_anyone_reading_it()
    {
        var (sweepId, jobId) = await OnePointSweepAsync();
        await ClaimAsDeadRunAsync(jobId, attempts: new JobLifecycleOptions().MaxAttempts);
        await Task.Delay(PastExpiry);

        var failed = await app.Get<PoisonedJobRecorder>().RecordAsync(new TrainingJobMessage(jobId).ToJson(), 4);

        Assert.Equal(TrainingJobStatus.Failed, failed?.Status);
        Assert.Equal(SweepStatus.Failed, (await app.Get<TableSweepStore>().GetAsync(sweepId))!.Record.Status);
    }

    [Fact]
    public async Task The_watchdog_ends_a_sweep_whose_points_all_finished_but_were_never_folded_in()
    {
        var (sweepId, jobId) = await OnePointSweepAsync();
        Assert.True((await app.Get<TableSweepStore>().GetAsync(sweepId))!.Record.AllPointsQueued);
        // The point's job ends but nothing folds it in (its finisher died before it could).
        await app.Get<TableJobStore>().UpdateAsync(jobId, s => s.Record with { Status = TrainingJobStatus.Failed, FinishedAt = DateTimeOffset.UtcNow, Error = "died" });
        Assert.Equal(SweepStatus.Running, (await app.Get<TableSweepStore>().GetAsync(sweepId))!.Record.Status);

        await app.Get<SweepService>().HealRunningSweepsAsync();

        Assert.Equal(SweepStatus.Failed, (await app.Get<TableSweepStore>().GetAsync(sweepId))!.Record.Status);
    }

    [Fact]
    public async Task A_sweep_create_whose_write_answer_was_lost_makes_one_sweep_and_a_repeat_with_its_key_returns_it()
    {
        var lose = new LoseAnswerPolicy(m => m.Request.Method == RequestMethod.Post && m.Request.Uri.Path.Contains("$batch"));
        await using var instance = app.NewInstance(s => s.AddAzureClients(b => b.ConfigureDefaults(o =>
        {
            o.Retry.Delay = TimeSpan.FromMilliseconds(10);
            o.AddPolicy(lose, HttpPipelinePosition.PerRetry);
        })));
        var request = new SweepRequest { Points = [new SweepPointOptions { LearningRate = 0.001, Epochs = 1, HiddenUnits = 16 }], TrainLimit = 3000, ValidationSize = 1000 };
        string key = "sweep-" + Guid.NewGuid();
        var before = await SweepIdsAsync();

        var (sweep, created) = await instance.GetRequiredService<SweepService>().CreateAsync(request, Caller.Local, key);
        var (again, createdAgain) = await app.Get<SweepService>().CreateAsync(request, Caller.Local, key);

        Assert.Equal(1, lose.Lost);
        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(sweep.Id, again.Id);
        Assert.Equal([sweep.Id], (await SweepIdsAsync()).Except(before));
        await Assert.ThrowsAsync<IdempotencyKeyReusedException>(() => app.Get<SweepService>().CreateAsync(request with { TrainLimit = 4000 }, Caller.Local, key));
    }

    [Fact]
    public async Task A_host_shutting_down_on_the_last_delivery_hands_the_job_over_without_using_an_attempt()
    {
        string id = await CreateAsync(LongJob);
        await Jobs.ReceiveAsync(app, id); // the submit's message, in flight
        using var shutdown = new CancellationTokenSource();
        var run = Task.Run(() => app.Get<TrainingJobRunner>().RunAsync(new TrainingJobMessage(id).ToJson(), 3, 3, shutdown.Token));
        await WaitForAsync(id, j => j.Epoch >= 1);

        await shutdown.CancelAsync();

        Assert.Equal(JobOutcome.HandedOver, await run.WaitAsync(TimeSpan.FromMinutes(1)));
        var handedOver = await Jobs.RecordAsync(app, id);
        Assert.Equal(TrainingJobStatus.Queued, handedOver.Status);
        Assert.Equal(0, handedOver.Attempts);
        Assert.NotNull(handedOver.Checkpoint);
        Assert.Equal(1, await Jobs.MessagesForAsync(app, id));

        // Had the hand-over's message been lost too, the poison handler queues the job again rather than failing it.
        Assert.Equal(TrainingJobStatus.Queued, (await app.Get<PoisonedJobRecorder>().RecordAsync(new TrainingJobMessage(id).ToJson(), 4))?.Status);
        await app.Get<TrainingJobService>().CancelAsync(id, Caller.Local);
    }

    [Fact]
    public async Task Cancelled_failed_and_taken_over_runs_leave_no_checkpoint_but_the_one_their_record_names()
    {
        // Cancelled mid-run: none left.
        string cancelled = await CreateAsync(LongJob);
        var run = Task.Run(() => app.Get<TrainingJobRunner>().RunAsync(new TrainingJobMessage(cancelled).ToJson(), 1, 3, CancellationToken.None));
        await WaitForAsync(cancelled, j => j.Epoch >= 3);
        try
        {
            // Each epoch's checkpoint supersedes the last: the older one goes once the record names the newer, so
            // between the two writes there are briefly two; at no time more.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            int count;
            while ((count = (await app.Get<CheckpointStore>().ListAsync(cancelled)).Count) != 1)
            {
                Assert.InRange(count, 1, 2);
                Assert.True(DateTime.UtcNow < deadline, "the superseded checkpoints were not deleted");
                await Task.Delay(10);
            }
        }
        finally
        {
            await app.Get<TrainingJobService>().CancelAsync(cancelled, Caller.Local); // also when an assertion failed: no run outlives its test
        }

        Assert.Equal(JobOutcome.Cancelled, await run.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Empty(await app.Get<CheckpointStore>().ListAsync(cancelled));

        // Taken over mid-run: only the checkpoint the record names stays, for the run that resumes from it.
        string takenOver = await CreateAsync(LongJob);
        run = Task.Run(() => app.Get<TrainingJobRunner>().RunAsync(new TrainingJobMessage(takenOver).ToJson(), 1, 3, CancellationToken.None));
        await WaitForAsync(takenOver, j => j.Epoch >= 2);
        await app.Get<TableJobStore>().UpdateAsync(takenOver, s => s.Record with { RunToken = "another-run" });
        Assert.Equal(JobOutcome.ClaimLost, await run.WaitAsync(TimeSpan.FromMinutes(1)));
        var job = await Jobs.RecordAsync(app, takenOver);
        Assert.Equal([job.Checkpoint!], await app.Get<CheckpointStore>().ListAsync(takenOver));

        // Failed for good (by the next delivery, attempts used up): none left.
        await app.Get<TableJobStore>().UpdateAsync(takenOver, s => s.Record with { RunToken = null, Status = TrainingJobStatus.Queued, Attempts = 5 });
        Assert.Equal(JobOutcome.FailedPermanently, await app.Get<TrainingJobRunner>().RunAsync(new TrainingJobMessage(takenOver).ToJson(), 1, 3, CancellationToken.None));
        Assert.Equal(TrainingJobStatus.Failed, (await Jobs.RecordAsync(app, takenOver)).Status);
    }

    [Fact]
    public async Task Writes_whose_answers_were_lost_are_recognised_a_cancel_answers_200_and_a_claim_is_kept()
    {
        // A cancel is one transaction (the record and its active marker); a claim, one conditional write first.
        var lose = new LoseAnswerPolicy(m => m.Request.Method == RequestMethod.Post && m.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal), count: 1);
        await using var instance = app.NewInstance(s => s.AddAzureClients(b => b.ConfigureDefaults(o =>
        {
            o.Retry.Delay = TimeSpan.FromMilliseconds(10);
            o.AddPolicy(lose, HttpPipelinePosition.PerRetry);
        })));

        string queued = await CreateAsync(ThreeEpochs);
        var cancelled = await instance.GetRequiredService<TrainingJobService>().CancelAsync(queued, Caller.Local);
        Assert.Equal(1, lose.Lost);
        Assert.Equal(TrainingJobStatus.Cancelled, cancelled.Status);

        var lose2 = new LoseAnswerPolicy(m => m.Request.Method == RequestMethod.Put && m.Request.Uri.Path.Contains(StorageNames.JobTable) && m.Request.Headers.Contains("If-Match"), count: 1);
        await using var claimer = app.NewInstance(s => s.AddAzureClients(b => b.ConfigureDefaults(o =>
        {
            o.Retry.Delay = TimeSpan.FromMilliseconds(10);
            o.AddPolicy(lose2, HttpPipelinePosition.PerRetry);
        })));
        string id = await CreateAsync(ThreeEpochs);
        var outcome = await claimer.GetRequiredService<TrainingJobRunner>().RunAsync(new TrainingJobMessage(id).ToJson(), 1, 3, CancellationToken.None);
        Assert.Equal(1, lose2.Lost);
        Assert.Equal(JobOutcome.Succeeded, outcome);
        Assert.Equal(1, (await Jobs.RecordAsync(app, id)).Attempts);
    }

    [Fact]
    public async Task Two_replays_of_a_stranded_submit_racing_send_one_message()
    {
        string key = "stranded-" + Guid.NewGuid();
        await using var broken = app.NewInstance(s => s.AddAzureClients(b => b.ConfigureDefaults(o =>
        {
            o.Retry.MaxRetries = 0;
            o.AddPolicy(new FailingPolicy(m => m.Request.Uri.Path.Contains("/training-jobs/messages")), HttpPipelinePosition.PerRetry);
        })));
        var request = new TrainingJobRequest { Epochs = 1, TrainLimit = 3000, Seed = 8 };
        await Assert.ThrowsAnyAsync<Azure.RequestFailedException>(() => broken.GetRequiredService<TrainingJobService>().CreateAsync(request, Caller.Local, key));
        await Task.Delay(new JobLifecycleOptions().EnqueueGrace + TimeSpan.FromSeconds(1));
        await using var other = app.NewInstance();

        var replays = await Task.WhenAll(
            Task.Run(() => app.Get<TrainingJobService>().CreateAsync(request, Caller.Local, key)),
            Task.Run(() => other.GetRequiredService<TrainingJobService>().CreateAsync(request, Caller.Local, key)));

        Assert.Equal(replays[0].Job.Id, replays[1].Job.Id);
        Assert.Equal(1, await Jobs.MessagesForAsync(app, replays[0].Job.Id));
    }

    [Theory]
    [InlineData("/api/training-jobs")]
    [InlineData("/api/sweeps")]
    public async Task A_page_token_this_listing_did_not_issue_is_refused_with_400(string listing)
    {
        await CreateAsync(ThreeEpochs);
        await CreateAsync(ThreeEpochs);
        await OnePointSweepAsync();
        await OnePointSweepAsync();
        var first = await app.SendAsync("GET", listing + "?limit=1");
        string issued = first.Json.GetProperty("next").GetString()!;
        Assert.Equal(200, (await app.SendAsync("GET", $"{listing}?limit=1&next={issued}")).Status);

        string[] forged =
        [
            System.Buffers.Text.Base64Url.EncodeToString("jobs j-0"u8),
            System.Buffers.Text.Base64Url.EncodeToString("sweeps sweep-0"u8),
            System.Buffers.Text.Base64Url.EncodeToString("x"u8),
            issued[..^2] + (issued[^2] == 'A' ? "B" : "A") + issued[^1],
            "not a token",
        ];
        foreach (string token in forged)
        {
            var answer = await app.SendAsync("GET", $"{listing}?limit=1&next={Uri.EscapeDataString(token)}");
            Assert.True(answer.Status == 400, $"{token}: {answer.Status}");
            Assert.Equal("next", answer.Json.GetProperty("field").GetString());
        }

        string otherListing = listing == "/api/sweeps" ? "/api/training-jobs" : "/api/sweeps";
        Assert.Equal(400, (await app.SendAsync("GET", $"{otherListing}?limit=1&next={issued}")).Status);
    }

    [Fact]
    public async Task A_live_run_is_not_taken_over_by_an_instance_whose_clock_is_five_minutes_ahead_but_a_dead_one_is()
    {
        string id = await CreateAsync(LongJob);
        var run = Task.Run(() => app.Get<TrainingJobRunner>().RunAsync(new TrainingJobMessage(id).ToJson(), 1, 3, CancellationToken.None));
        await WaitForAsync(id, j => j.Epoch >= 1);
        await using var ahead = app.NewInstance(s => s.AddSingleton<TimeProvider>(new SkewedTimeProvider(TimeSpan.FromMinutes(5))));

        var duplicate = await ahead.GetRequiredService<TrainingJobRunner>().RunAsync(new TrainingJobMessage(id).ToJson(), 1, 3, CancellationToken.None);
        Assert.Equal(JobOutcome.Deferred, duplicate);
        Assert.Empty(await ahead.GetRequiredService<JobWatchdog>().RunOnceAsync());
        await app.Get<TrainingJobService>().CancelAsync(id, Caller.Local);
        Assert.Equal(JobOutcome.Cancelled, await run.WaitAsync(TimeSpan.FromMinutes(1)));

        // A run that died: lapsed on the service's clock, whatever the reader's says.
        string dead = await CreateAsync(ThreeEpochs);
        await ClaimAsDeadRunAsync(dead, attempts: 1);
        await using var behind = app.NewInstance(s => s.AddSingleton<TimeProvider>(new SkewedTimeProvider(TimeSpan.FromMinutes(-5))));
        Assert.Equal(JobOutcome.Deferred, await behind.GetRequiredService<TrainingJobRunner>().RunAsync(new TrainingJobMessage(dead).ToJson(), 1, 3, CancellationToken.None));
        await Task.Delay(PastExpiry);
        Assert.Contains(dead, await behind.GetRequiredService<JobWatchdog>().RunOnceAsync());
        Assert.DoesNotContain(dead, await behind.GetRequiredService<JobWatchdog>().RunOnceAsync()); // once per lapse
        Assert.Equal(JobOutcome.Succeeded, await behind.GetRequiredService<TrainingJobRunner>().RunAsync(new TrainingJobMessage(dead).ToJson(), 2, 3, CancellationToken.None));
        Assert.Equal(2, (await Jobs.RecordAsync(app, dead)).Attempts);
    }

    [Fact]
    public async Task The_poison_handler_fails_a_job_whose_runs_all_died_but_not_one_a_live_run_holds()
    {
        string id = await CreateAsync(ThreeEpochs);
        await ClaimAsDeadRunAsync(id, attempts: 3);
        var recorder = app.Get<PoisonedJobRecorder>();
        string message = new TrainingJobMessage(id).ToJson();

        Assert.Null(await recorder.RecordAsync(message, 4)); // its (last) run may still be alive
        Assert.Equal(TrainingJobStatus.Running, (await Jobs.RecordAsync(app, id)).Status);

        await Task.Delay(PastExpiry);
        var failed = await recorder.RecordAsync(message, 4);
        Assert.NotNull(failed);
        var job = await Jobs.RecordAsync(app, id);
        Assert.Equal(TrainingJobStatus.Failed, job.Status);
        Assert.Equal(3, job.Attempts);
        Assert.Contains("3 attempts", job.Error);
        Assert.Contains("killed or timed out", job.Error);
        Assert.Null(await recorder.RecordAsync(message, 4)); // finished: nothing more to do
    }

    private static string RequestBody(Azure.Core.HttpMessage message)
    {
        if (message.Request.Content is null)
        {
            return "";
        }

        using var body = new MemoryStream();
        message.Request.Content.WriteTo(body, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(body.ToArray());
    }

    private async Task<string> CreateAsync(string json) =>
        (await Jobs.CreateAsync(app, json)).Json.GetProperty("id").GetString()!;

    private async Task<(string SweepId, string JobId)> OnePointSweepAsync()
    {
        var request = new SweepRequest { Points = [new SweepPointOptions { LearningRate = 0.001, Epochs = 1, HiddenUnits = 16 }], TrainLimit = 3000, ValidationSize = 1000 };
        var (sweep, _) = await app.Get<SweepService>().CreateAsync(request, Caller.Local);
        return (sweep.Id, Sweep.JobIdFor(sweep.Id, 0));
    }

    private async Task<List<string>> SweepIdsAsync() => (await app.Get<TableSweepStore>().ListAsync(100)).Items.Select(s => s.Id).ToList();

    /// <summary>What a worker that claimed the job and then died leaves behind: a claim written just now.</summary>
    private async Task ClaimAsDeadRunAsync(string id, int attempts) =>
        await app.Get<TableJobStore>().UpdateAsync(id, s => s.Record with
        {
            Status = TrainingJobStatus.Running,
            RunToken = "dead-run",
            Attempts = attempts,
            StartedAt = DateTimeOffset.UtcNow,
            HeartbeatAt = DateTimeOffset.UtcNow,
        });

    private async Task WaitForAsync(string id, Func<TrainingJob, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (!condition(await Jobs.RecordAsync(app, id)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not get there within 120 s");
            await Task.Delay(20);
        }
    }
}

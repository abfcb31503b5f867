using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FashionFunctions.Core.Access;
using FashionFunctions.Core.Budgets;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using FashionFunctions.Core.Training;
using FashionFunctions.Testing;

namespace FashionFunctions.Core.Tests.Storage;

/// <summary>How the watchdog finds running jobs and sweeps, and the budget counts active jobs: a marker row per
/// running (or active) record, written and deleted in the same transaction as its status, so that finding them
/// costs the same whatever the history.</summary>
[Trait("Category", "Azurite")]
public class RunningIndexTests(AzuriteProcess azurite) : IClassFixture<AzuriteProcess>
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-03-01T00:00:00Z");

    private sealed record Store(TableJobStore Jobs, TableSweepStore Sweeps, TableClient Table, StorageRequestCounter Requests);

    private Store NewStore()
    {
        var requests = new StorageRequestCounter();
        var options = new TableClientOptions();
        options.AddPolicy(requests, HttpPipelinePosition.PerRetry);
        var service = new TableServiceClient(azurite.ConnectionString, options);
        string name = "jobs" + Guid.NewGuid().ToString("N")[..12];
        return new Store(new TableJobStore(service, tableName: name), new TableSweepStore(service, tableName: name), service.GetTableClient(name), requests);
    }

    private static TrainingJob Job(int n, TrainingJobStatus status = TrainingJobStatus.Queued, string? owner = null) => new()
    {
        Owner = owner,
        Id = TrainingJob.NewId(Start.AddSeconds(n)),
        Status = status,
        CreatedAt = Start.AddSeconds(n),
        Options = new TrainingOptions { Epochs = 1 },
        FinishedAt = status is TrainingJobStatus.Succeeded or TrainingJobStatus.Failed or TrainingJobStatus.Cancelled ? Start.AddSeconds(n + 1) : null,
    };

    private static async Task<List<string>> RunningIdsAsync(TableJobStore jobs) =>
        await jobs.RunningAsync().Select(s => s.Record.Id).ToListAsync();

    private static Task<Stored<TrainingJob>?> SetStatusAsync(TableJobStore jobs, string id, TrainingJobStatus status) =>
        jobs.UpdateAsync(id, s => s.Record with { Status = status, RunToken = status == TrainingJobStatus.Running ? "run" : null });

    private static async Task<int> MarkersAsync(TableClient table, string partition, string prefix = "r-") =>
        await table.QueryAsync<TableEntity>(e => e.PartitionKey == partition).CountAsync(e => e.RowKey.StartsWith(prefix, StringComparison.Ordinal) && e.RowKey != prefix + "!");

    [Fact]
    public async Task A_job_is_found_running_from_the_write_that_claims_it_until_the_write_that_ends_it()
    {
        var store = NewStore();
        var job = Job(1);
        await store.Jobs.CreateAsync(job, null, "");
        Assert.Empty(await RunningIdsAsync(store.Jobs));

        await SetStatusAsync(store.Jobs, job.Id, TrainingJobStatus.Running);
        Assert.Equal([job.Id], await RunningIdsAsync(store.Jobs));
        await store.Jobs.UpdateAsync(job.Id, s => s.Record with { HeartbeatAt = Start.AddMinutes(1) });
        Assert.Equal([job.Id], await RunningIdsAsync(store.Jobs));

        await SetStatusAsync(store.Jobs, job.Id, TrainingJobStatus.Queued); // released to be retried
        Assert.Empty(await RunningIdsAsync(store.Jobs));
        await SetStatusAsync(store.Jobs, job.Id, TrainingJobStatus.Running);
        await store.Jobs.UpdateAsync(job.Id, s => s.Record with { Status = TrainingJobStatus.Failed, FinishedAt = Start.AddMinutes(2) });

        Assert.Empty(await RunningIdsAsync(store.Jobs));
        Assert.Equal(0, await MarkersAsync(store.Table, TableJobStore.Partition));
        Assert.Equal(0, await MarkersAsync(store.Table, TableJobStore.Partition, "a-"));
    }

    [Fact]
    public async Task Counting_active_jobs_is_one_query_over_their_markers_however_many_jobs_have_finished()
    {
        var store = NewStore();
        foreach (var job in Enumerable.Range(0, 300).Select(i => Job(i, TrainingJobStatus.Succeeded, owner: "alice")))
        {
            await store.Jobs.CreateAsync(job, null, "");
        }

        await store.Jobs.CreateAsync(Job(1000, owner: "alice"), null, "");
        await store.Jobs.CreateAsync(Job(1001, owner: "alice"), null, "");
        var running = Job(1002, owner: "bob");
        await store.Jobs.CreateAsync(running, null, "");
        await SetStatusAsync(store.Jobs, running.Id, TrainingJobStatus.Running);
        string sweepId = Sweep.NewId(Start);
        await store.Jobs.CreateAsync(Job(1003, owner: "alice") with { Id = Sweep.JobIdFor(sweepId, 0), SweepId = sweepId }, null, "");
        var cancelled = Job(1004, owner: "bob");
        await store.Jobs.CreateAsync(cancelled, null, "");
        await store.Jobs.UpdateAsync(cancelled.Id, s => s.Record with { Status = TrainingJobStatus.Cancelled, FinishedAt = Start.AddMinutes(1) });

        await store.Jobs.ActiveJobOwnersAsync(); // the first look at a partition checks for jobs stored before markers
        store.Requests.Clear();
        Assert.Equal(["alice", "alice", "bob"], (await store.Jobs.ActiveJobOwnersAsync()).Order());
        Assert.Equal(1, store.Requests.Count);
        Assert.Equal(["alice", "alice", "bob"], (await store.Jobs.ActiveJobOwnersAsync(verified: true)).Order());
    }

    [Fact]
    public async Task A_stale_active_marker_does_not_refuse_a_job_and_is_dropped_when_the_count_is_read_again()
    {
        var store = NewStore();
        await store.Jobs.CreateAsync(Job(1, owner: "alice"), null, "");
        var finished = Job(2, TrainingJobStatus.Succeeded, owner: "alice");
        await store.Jobs.CreateAsync(finished, null, "");
        await store.Jobs.ActiveJobOwnersAsync();
        // As an older store's backfill could leave it: the job finished between its read and its marker's write.
        await store.Table.UpsertEntityAsync(new TableEntity(TableJobStore.Partition, "a-" + TableJobStore.JobRowKey(finished.Id)) { ["Id"] = finished.Id, ["Owner"] = "alice" });
        var budget = new TrainingBudget(new BudgetOptions { MaxActiveJobsPerOwner = 2 }, store.Jobs, store.Sweeps);

        await budget.CheckActiveJobsAsync(new Caller("alice", Role.Trainer), CancellationToken.None);

        Assert.Equal(["alice"], await store.Jobs.ActiveJobOwnersAsync());
        await store.Jobs.CreateAsync(Job(3, owner: "alice"), null, "");
        var refused = await Assert.ThrowsAsync<QuotaExceededException>(() => budget.CheckActiveJobsAsync(new Caller("alice", Role.Trainer), CancellationToken.None));
        Assert.Contains("MaxActiveJobsPerOwner", refused.Message);
    }

    [Fact]
    public async Task Active_jobs_stored_before_their_markers_existed_are_counted_and_marked_once()
    {
        var store = NewStore();
        var queued = Job(1, owner: "alice");
        await store.Jobs.CreateAsync(queued, null, "");
        var running = Job(2, owner: "bob");
        await store.Jobs.CreateAsync(running, null, "");
        await SetStatusAsync(store.Jobs, running.Id, TrainingJobStatus.Running);
        await foreach (var marker in store.Table.QueryAsync<TableEntity>(e => e.PartitionKey == TableJobStore.Partition && e.RowKey.CompareTo("a-") >= 0 && e.RowKey.CompareTo("a.") < 0))
        {
            await store.Table.DeleteEntityAsync(marker.PartitionKey, marker.RowKey);
        }

        // Finishing a job whose active marker is missing (its running marker is there) still ends it, and takes the
        // running marker away.
        await store.Jobs.UpdateAsync(running.Id, s => s.Record with { Status = TrainingJobStatus.Failed, FinishedAt = Start.AddMinutes(1) });
        Assert.Equal(0, await MarkersAsync(store.Table, TableJobStore.Partition));
        Assert.Empty(await RunningIdsAsync(store.Jobs));

        Assert.Equal(["alice"], await store.Jobs.ActiveJobOwnersAsync());
        store.Requests.Clear();
        Assert.Equal(["alice"], await store.Jobs.ActiveJobOwnersAsync());
        Assert.Equal(1, store.Requests.Count); // marked once: no second scan
        await store.Jobs.UpdateAsync(queued.Id, s => s.Record with { Status = TrainingJobStatus.Cancelled, FinishedAt = Start.AddMinutes(1) });
        Assert.Empty(await store.Jobs.ActiveJobOwnersAsync());
    }

    [Fact]
    public async Task Finding_the_running_jobs_reads_their_markers_and_them_only_however_many_jobs_have_finished()
    {
        var store = NewStore();
        var history = Enumerable.Range(0, 300).Select(i => Job(i, TrainingJobStatus.Succeeded)).ToList();
        foreach (var job in history)
        {
            await store.Jobs.CreateAsync(job, null, "");
        }

        var running = new[] { Job(1000), Job(1001) };
        foreach (var job in running)
        {
            await store.Jobs.CreateAsync(job, null, "");
            await SetStatusAsync(store.Jobs, job.Id, TrainingJobStatus.Running);
        }

        await RunningIdsAsync(store.Jobs); // the first look at a partition checks for jobs marked before markers
        store.Requests.Clear();
        Assert.Equal(running.Select(j => j.Id).Order(), (await RunningIdsAsync(store.Jobs)).Order());
        Assert.Equal(1 + running.Length, store.Requests.Count);
    }

    [Fact]
    public async Task Jobs_running_before_markers_existed_are_found_and_marked_once_and_can_still_end()
    {
        var store = NewStore();
        var legacy = Job(1, TrainingJobStatus.Running);
        await store.Jobs.CreateAsync(legacy, null, "");
        await store.Jobs.CreateAsync(Job(2, TrainingJobStatus.Succeeded), null, "");
        var unmarked = Job(3, TrainingJobStatus.Running);
        await store.Jobs.CreateAsync(unmarked, null, "");
        // As a store written before markers: no marker rows, and no row saying every running job has one.
        await foreach (var marker in store.Table.QueryAsync<TableEntity>(e => e.PartitionKey == TableJobStore.Partition && e.RowKey.CompareTo("r-") >= 0 && e.RowKey.CompareTo("r.") < 0))
        {
            await store.Table.DeleteEntityAsync(marker.PartitionKey, marker.RowKey);
        }

        // Ending a job that has no marker is a plain write.
        await store.Jobs.UpdateAsync(unmarked.Id, s => s.Record with { Status = TrainingJobStatus.Cancelled, FinishedAt = Start.AddMinutes(1) });

        Assert.Equal([legacy.Id], await RunningIdsAsync(store.Jobs));
        Assert.Equal(1, await MarkersAsync(store.Table, TableJobStore.Partition));
        store.Requests.Clear();
        Assert.Equal([legacy.Id], await RunningIdsAsync(store.Jobs));
        Assert.Equal(2, store.Requests.Count); // marked once: no second scan

        await store.Jobs.UpdateAsync(legacy.Id, s => s.Record with { Status = TrainingJobStatus.Succeeded, ModelId = "fmnist-x", FinishedAt = Start.AddMinutes(1) });
        Assert.Empty(await RunningIdsAsync(store.Jobs));
    }

    [Fact]
    public async Task A_marker_left_for_a_job_that_is_not_running_is_ignored_and_dropped()
    {
        var store = NewStore();
        var finished = Job(1, TrainingJobStatus.Succeeded);
        await store.Jobs.CreateAsync(finished, null, "");
        await RunningIdsAsync(store.Jobs);
        await store.Table.UpsertEntityAsync(new TableEntity(TableJobStore.Partition, "r-" + TableJobStore.JobRowKey(finished.Id)) { ["Id"] = finished.Id });

        Assert.Empty(await RunningIdsAsync(store.Jobs));
        Assert.Equal(0, await MarkersAsync(store.Table, TableJobStore.Partition));
    }

    [Fact]
    public async Task Running_sweeps_are_found_through_markers_too()
    {
        var store = NewStore();
        var request = new SweepRequest { Grid = new SweepGrid { LearningRate = [0.001] } };
        var running = new Sweep { Id = Sweep.NewId(Start), Status = SweepStatus.Running, CreatedAt = Start, Request = request, PointCount = 1, Finished = "." };
        var done = running with { Id = Sweep.NewId(Start.AddSeconds(1)), Status = SweepStatus.Failed, Finished = "f" };
        await store.Sweeps.CreateAsync(running);
        await store.Sweeps.CreateAsync(done);

        Assert.Equal([running.Id], await store.Sweeps.RunningAsync().Select(s => s.Record.Id).ToListAsync());
        await store.Sweeps.UpdateAsync(running.Id, s => s.Record with { Status = SweepStatus.Cancelled, Finished = "c" });
        Assert.Empty(await store.Sweeps.RunningAsync().ToListAsync());
        Assert.Equal(0, await MarkersAsync(store.Table, TableSweepStore.Partition));
    }

    [Fact]
    public async Task A_write_that_marks_a_job_and_whose_answer_was_lost_is_recognised_as_our_own()
    {
        var loseOne = new LoseFirstBatchAnswer();
        var options = new TableClientOptions();
        options.AddPolicy(loseOne, HttpPipelinePosition.PerRetry);
        string name = "jobs" + Guid.NewGuid().ToString("N")[..12];
        var jobs = new TableJobStore(new TableServiceClient(azurite.ConnectionString, options), tableName: name);
        var job = Job(1);
        await jobs.CreateAsync(job, null, "");
        loseOne.Armed = true;

        var written = await SetStatusAsync(jobs, job.Id, TrainingJobStatus.Running);

        Assert.False(loseOne.Armed); // the claim's transaction landed, its answer was lost, and the retry was refused
        Assert.Equal(TrainingJobStatus.Running, written!.Record.Status);
        Assert.Equal([job.Id], await RunningIdsAsync(jobs));
    }

    /// <summary>Sends the first entity-group transaction after it is armed, then fails as if its answer timed out.</summary>
    private sealed class LoseFirstBatchAnswer : HttpPipelinePolicy
    {
        public volatile bool Armed;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
            if (Armed && message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal))
            {
                Armed = false;
                throw new IOException("Injected: the answer timed out after the service applied the transaction.");
            }
        }
    }

    [Fact]
    public async Task Deleting_a_job_leaves_its_expired_idempotency_key_alone_once_the_key_names_a_newer_job()
    {
        var store = NewStore();
        var old = Job(1, TrainingJobStatus.Queued);
        await store.Jobs.CreateAsync(old, "order-7", "hash-1");
        await store.Jobs.UpdateAsync(old.Id, s => s.Record with { Status = TrainingJobStatus.Cancelled, FinishedAt = Start.AddMinutes(1) });
        await store.Jobs.ForgetKeyAsync("order-7", (await store.Jobs.GetKeyAsync("order-7"))!); // expired, as the service forgets it
        var newer = Job(2, TrainingJobStatus.Queued);
        Assert.Null(await store.Jobs.CreateAsync(newer, "order-7", "hash-2"));

        Assert.True(await store.Jobs.RemoveAsync(old.Id, _ => true));

        Assert.Equal(newer.Id, (await store.Jobs.GetKeyAsync("order-7"))?.RecordId);
        Assert.Null(await store.Jobs.GetAsync(old.Id));
    }
}

using Azure.Data.Tables;
using Azure.Storage.Blobs;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Retention;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using FashionFunctions.Core.Tests.Modeling;
using FashionFunctions.Core.Training;
using FashionFunctions.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Core.Tests.Storage;

/// <summary>The retention policy: what it keeps, what its dry run shows, and that nothing unfinished is removed.</summary>
[Trait("Category", "Azurite")]
public class RetentionTests(AzuriteProcess azurite) : IClassFixture<AzuriteProcess>
{
    private static readonly ModelArtifact Template = ModelArtifactTests.MakeArtifact();
    private static readonly SweepRequest OnePoint = new() { Grid = new SweepGrid { LearningRate = [0.001] } };

    private sealed class Store
    {
        public required BlobModelRegistry Models { get; init; }
        public required TableModelIndex Index { get; init; }
        public required TableJobStore Jobs { get; init; }
        public required TableSweepStore Sweeps { get; init; }
        public required ManualTimeProvider Time { get; init; }

        public RetentionService Retention(int keepNewestModels = 3, int days = 30) =>
            new(Models, Index, Jobs, Sweeps, new RetentionPolicy { KeepNewestModels = keepNewestModels, FinishedJobRetention = TimeSpan.FromDays(days) },
                Time, NullLogger<RetentionService>.Instance);

        public DateTimeOffset DaysAgo(double days) => Time.GetUtcNow().AddDays(-days);
    }

    private Store NewStore()
    {
        string suffix = Guid.NewGuid().ToString("N")[..12];
        var tables = new TableServiceClient(azurite.ConnectionString);
        var index = new TableModelIndex(tables, "jobs" + suffix);
        return new Store
        {
            Models = new BlobModelRegistry(new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("models-" + suffix), index),
            Index = index,
            Jobs = new TableJobStore(tables, tableName: "jobs" + suffix),
            Sweeps = new TableSweepStore(tables, tableName: "jobs" + suffix),
            Time = new ManualTimeProvider(),
        };
    }

    private static ModelArtifact Artifact(string id, DateTimeOffset createdAt) =>
        ModelArtifact.Create(Template.Weights, Template.Manifest with { ModelId = id, CreatedAt = createdAt });

    private static TrainingJob Job(DateTimeOffset created, TrainingJobStatus status, DateTimeOffset? finished = null, string? id = null, string? sweepId = null) => new()
    {
        Id = id ?? TrainingJob.NewId(created),
        Status = status,
        CreatedAt = created,
        UpdatedAt = finished ?? created,
        FinishedAt = finished,
        Options = new TrainingOptions { Epochs = 1 },
        SweepId = sweepId,
        ModelId = status == TrainingJobStatus.Succeeded ? "fmnist-x" : null,
    };

    private static Sweep NewSweep(DateTimeOffset created, SweepStatus status, DateTimeOffset? finished = null, string? winnerModel = null) => new()
    {
        Id = Sweep.NewId(created),
        Status = status,
        CreatedAt = created,
        UpdatedAt = finished ?? created,
        FinishedAt = finished,
        Request = OnePoint,
        PointCount = 1,
        Finished = status == SweepStatus.Running ? "." : "s",
        Winner = winnerModel is null ? null : new SweepLeader(0, "job-x", winnerModel, 0.8, 0.8, 101_770),
    };

    private static async Task<List<string>> ListedAsync(BlobModelRegistry models) =>
        (await models.ListAsync(100)).Items.Select(m => m.ModelId).ToList();

    [Fact]
    public async Task Retention_keeps_the_newest_models_the_current_one_every_sweeps_winner_and_the_models_of_running_sweeps_and_jobs()
    {
        var store = NewStore();
        for (int i = 0; i < 8; i++)
        {
            await store.Models.SaveAsync(Artifact($"fmnist-m{i}", store.DaysAgo(10 - i)));
        }

        await store.Models.PromoteAsync("fmnist-m0");
        await store.Sweeps.CreateAsync(NewSweep(store.DaysAgo(9), SweepStatus.Succeeded, store.DaysAgo(8.5), winnerModel: "fmnist-m1"));
        var runningSweep = NewSweep(store.DaysAgo(1), SweepStatus.Running);
        await store.Sweeps.CreateAsync(runningSweep);
        await store.Models.PublishAsync(Artifact("fmnist-m2", store.DaysAgo(8)), Sweep.JobIdFor(runningSweep.Id, 0), runningSweep.Id);
        var publishing = Job(store.DaysAgo(7.5), TrainingJobStatus.Running);
        await store.Jobs.CreateAsync(publishing, null, "");
        await store.Models.PublishAsync(Artifact("fmnist-m3", store.DaysAgo(7)), publishing.Id, sweepId: null);

        var plan = await store.Retention().PlanAsync();

        Assert.Equal(["fmnist-m4"], plan.Models.Select(m => m.ModelId));
        Assert.Contains("fmnist-m4", await ListedAsync(store.Models)); // a dry run removes nothing

        var removed = await store.Retention().ApplyAsync();

        Assert.Equal(["fmnist-m4"], removed.Models.Select(m => m.ModelId));
        Assert.Equal(["fmnist-m7", "fmnist-m6", "fmnist-m5", "fmnist-m3", "fmnist-m2", "fmnist-m1", "fmnist-m0"], await ListedAsync(store.Models));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => store.Models.GetManifestAsync("fmnist-m4"));
        Assert.Contains("fmnist-m1", await store.Index.PinnedAsync());
    }

    [Fact]
    public async Task A_sweeps_winner_is_kept_after_its_sweep_has_expired()
    {
        var store = NewStore();
        await store.Models.SaveAsync(Artifact("fmnist-winner", store.DaysAgo(60)));
        await store.Models.SaveAsync(Artifact("fmnist-loser", store.DaysAgo(59)));
        await store.Models.SaveAsync(Artifact("fmnist-newest", store.DaysAgo(1)));
        await store.Models.PromoteAsync("fmnist-newest");
        var sweep = NewSweep(store.DaysAgo(61), SweepStatus.Succeeded, store.DaysAgo(59), winnerModel: "fmnist-winner");
        await store.Sweeps.CreateAsync(sweep);

        var removed = await store.Retention(keepNewestModels: 1).ApplyAsync();

        Assert.Equal([sweep.Id], removed.Sweeps);
        Assert.Equal(["fmnist-loser"], removed.Models.Select(m => m.ModelId));
        Assert.Empty((await store.Retention(keepNewestModels: 1).ApplyAsync()).Models);
        Assert.Equal(["fmnist-newest", "fmnist-winner"], await ListedAsync(store.Models));
    }

    [Fact]
    public async Task Finished_jobs_and_their_idempotency_keys_expire_after_the_setting_and_nothing_unfinished_is_touched()
    {
        var store = NewStore();
        var expired = Job(store.DaysAgo(40), TrainingJobStatus.Succeeded, store.DaysAgo(39));
        var recent = Job(store.DaysAgo(40), TrainingJobStatus.Failed, store.DaysAgo(10));
        var running = Job(store.DaysAgo(40), TrainingJobStatus.Running);
        var queued = Job(store.DaysAgo(45), TrainingJobStatus.Queued);
        var young = Job(store.DaysAgo(1), TrainingJobStatus.Cancelled, store.DaysAgo(1));
        await store.Jobs.CreateAsync(expired, "key-of-the-expired-job", "hash");
        foreach (var job in new[] { recent, running, queued, young })
        {
            await store.Jobs.CreateAsync(job, null, "");
        }

        var plan = await store.Retention(days: 30).PlanAsync();
        Assert.Equal([expired.Id], plan.Jobs);
        Assert.NotNull(await store.Jobs.GetAsync(expired.Id));

        var removed = await store.Retention(days: 30).ApplyAsync();

        Assert.Equal([expired.Id], removed.Jobs);
        Assert.Null(await store.Jobs.GetAsync(expired.Id));
        Assert.Null(await store.Jobs.GetKeyAsync("key-of-the-expired-job"));
        foreach (var kept in new[] { recent, running, queued, young })
        {
            Assert.Equal(kept.Status, (await store.Jobs.GetAsync(kept.Id))!.Record.Status);
        }

        Assert.Equal([running.Id], await store.Jobs.RunningAsync().Select(s => s.Record.Id).ToListAsync());
        Assert.Empty((await store.Retention(days: 0).PlanAsync()).Jobs);
    }

    [Fact]
    public async Task A_finished_sweep_expires_with_its_points_and_a_running_sweep_keeps_them_all()
    {
        var store = NewStore();
        var finished = NewSweep(store.DaysAgo(50), SweepStatus.Succeeded, store.DaysAgo(49)) with { PointCount = 2, Finished = "sf" };
        var running = NewSweep(store.DaysAgo(51), SweepStatus.Running) with { PointCount = 2, Finished = "s." };
        await store.Sweeps.CreateAsync(finished, "sweep-key", "hash");
        await store.Sweeps.CreateAsync(running);
        await store.Jobs.CreateAsync(Job(store.DaysAgo(50), TrainingJobStatus.Succeeded, store.DaysAgo(49.5), Sweep.JobIdFor(finished.Id, 0), finished.Id), null, "");
        await store.Jobs.CreateAsync(Job(store.DaysAgo(50), TrainingJobStatus.Failed, store.DaysAgo(49.5), Sweep.JobIdFor(finished.Id, 1), finished.Id), null, "");
        await store.Jobs.CreateAsync(Job(store.DaysAgo(51), TrainingJobStatus.Succeeded, store.DaysAgo(50.5), Sweep.JobIdFor(running.Id, 0), running.Id), null, "");
        await store.Jobs.CreateAsync(Job(store.DaysAgo(51), TrainingJobStatus.Running, null, Sweep.JobIdFor(running.Id, 1), running.Id), null, "");

        var plan = await store.Retention().PlanAsync();
        Assert.Equal([finished.Id], plan.Sweeps);
        Assert.Empty(plan.Jobs); // a sweep's points go with their sweep, never on their own

        await store.Retention().ApplyAsync();

        Assert.Null(await store.Sweeps.GetAsync(finished.Id));
        Assert.Null(await store.Sweeps.GetKeyAsync("sweep-key"));
        Assert.Empty(await store.Jobs.SweepJobsAsync(finished.Id).ToListAsync());
        Assert.NotNull(await store.Sweeps.GetAsync(running.Id));
        Assert.Equal(2, await store.Jobs.SweepJobsAsync(running.Id).CountAsync());
    }

    [Fact]
    public async Task The_state_machines_refuse_to_delete_an_unfinished_job_or_a_running_sweep_whoever_asks()
    {
        var store = NewStore();
        var running = Job(store.DaysAgo(90), TrainingJobStatus.Running);
        var sweep = NewSweep(store.DaysAgo(90), SweepStatus.Running);
        await store.Jobs.CreateAsync(running, null, "");
        await store.Sweeps.CreateAsync(sweep);

        await Assert.ThrowsAsync<InvalidTransitionException>(() => store.Jobs.RemoveAsync(running.Id, _ => true));
        await Assert.ThrowsAsync<InvalidTransitionException>(() => store.Sweeps.RemoveAsync(sweep.Id, _ => true));

        Assert.NotNull(await store.Jobs.GetAsync(running.Id));
        Assert.NotNull(await store.Sweeps.GetAsync(sweep.Id));
    }

    [Fact]
    public async Task Turned_off_it_keeps_everything()
    {
        var store = NewStore();
        for (int i = 0; i < 4; i++)
        {
            await store.Models.SaveAsync(Artifact($"fmnist-k{i}", store.DaysAgo(400 - i)));
        }

        await store.Jobs.CreateAsync(Job(store.DaysAgo(400), TrainingJobStatus.Succeeded, store.DaysAgo(399)), null, "");

        var plan = await store.Retention(keepNewestModels: 0, days: 0).PlanAsync();

        Assert.Empty(plan.Models);
        Assert.Empty(plan.Jobs);
        Assert.Null(plan.FinishedBefore);
    }
}

using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Training;
using FashionFunctions.Functions.Functions;
using FashionFunctions.Functions.Tests.Support;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Tests;

/// <summary>DELETE /api/training-jobs/{id}, the retention dry run (GET /api/retention) and its timer, over the app's functions.</summary>
[Trait("Category", "Azurite")]
public class RetentionApiTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    private async Task<TrainingJob> StoreFinishedJobAsync(double daysAgo, string? sweepId = null)
    {
        var created = app.Time.GetUtcNow().AddDays(-daysAgo);
        var job = new TrainingJob
        {
            Id = sweepId is null ? TrainingJob.NewId(created) : Core.Sweeps.Sweep.JobIdFor(sweepId, 0),
            Status = TrainingJobStatus.Failed,
            CreatedAt = created,
            UpdatedAt = created,
            FinishedAt = created.AddHours(1),
            Options = new TrainingOptions { Epochs = 1 },
            SweepId = sweepId,
            Error = "stored by the test",
        };
        await app.Get<TableJobStore>().CreateAsync(job, null, "");
        return job;
    }

    [Fact]
    public async Task A_finished_job_is_deleted_with_its_idempotency_key_and_an_unfinished_one_is_refused()
    {
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "delete-me-" + Guid.NewGuid() };
        string id = (await Jobs.CreateAsync(app, headers: key)).Json.GetProperty("id").GetString()!;

        var refused = await app.SendAsync("DELETE", $"api/training-jobs/{id}");
        refused.AssertProblem(409);
        Assert.Equal("queued", refused.Json.GetProperty("jobStatus").GetString());

        Assert.Equal(200, (await app.SendAsync("POST", $"api/training-jobs/{id}/cancel")).Status);
        Assert.Equal(204, (await app.SendAsync("DELETE", $"api/training-jobs/{id}")).Status);

        (await app.SendAsync("GET", $"api/training-jobs/{id}")).AssertProblem(404);
        (await app.SendAsync("DELETE", $"api/training-jobs/{id}")).AssertProblem(404);
        var again = await Jobs.CreateAsync(app, headers: key); // the key went with its job: a new job
        Assert.Equal(202, again.Status);
        Assert.NotEqual(id, again.Json.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_sweeps_point_is_not_deleted_on_its_own_and_unknown_jobs_are_404()
    {
        var point = await StoreFinishedJobAsync(daysAgo: 1, sweepId: Core.Sweeps.Sweep.NewId(app.Time.GetUtcNow()));

        var refused = await app.SendAsync("DELETE", $"api/training-jobs/{point.Id}");

        refused.AssertProblem(409);
        Assert.Contains("goes with its sweep", refused.Json.GetProperty("detail").GetString());
        (await app.SendAsync("DELETE", "api/training-jobs/job-20260101-000000-000-00000000")).AssertProblem(404);
        (await app.SendAsync("DELETE", "api/training-jobs/not-a-job")).AssertProblem(404);
    }

    [Fact]
    public async Task The_dry_run_shows_what_the_timer_would_remove_and_removes_nothing_until_the_timer_runs()
    {
        var old = await StoreFinishedJobAsync(daysAgo: 45);
        var young = await StoreFinishedJobAsync(daysAgo: 2);

        var preview = await app.SendAsync("GET", "api/retention");

        Assert.Equal(200, preview.Status);
        var planned = preview.Json.GetProperty("jobs").EnumerateArray().Select(j => j.GetString()).ToList();
        Assert.Contains(old.Id, planned);
        Assert.DoesNotContain(young.Id, planned);
        Assert.Equal(100, preview.Json.GetProperty("keepNewestModels").GetInt32());
        Assert.Equal(200, (await app.SendAsync("GET", $"api/training-jobs/{old.Id}")).Status);

        await app.Create<RetentionFunction>().RunAsync(new TimerInfo(), CancellationToken.None);

        (await app.SendAsync("GET", $"api/training-jobs/{old.Id}")).AssertProblem(404);
        Assert.Equal(200, (await app.SendAsync("GET", $"api/training-jobs/{young.Id}")).Status);
        Assert.DoesNotContain(old.Id, (await app.SendAsync("GET", "api/retention")).Json.GetProperty("jobs").EnumerateArray().Select(j => j.GetString()));
    }
}

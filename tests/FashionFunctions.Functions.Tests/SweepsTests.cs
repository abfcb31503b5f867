using System.Text.Json;
using FashionFunctions.Core.Access;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using FashionFunctions.Functions.Functions;
using FashionFunctions.Functions.Tests.Support;
using FashionFunctions.Testing;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;

namespace FashionFunctions.Functions.Tests;

public sealed class SweepsApp : FunctionsApp
{
    // Runs notice a cancellation within about a second.
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["FashionFunctions:JobHeartbeatSeconds"] = "1" };
}

[Trait("Category", "Azurite")]
[Trait("Category", "ChildProcess")]
public class SweepsTests(SweepsApp app) : IClassFixture<SweepsApp>
{
    // Four tiny points: two learning rates × two widths, one epoch on 3,000 images, chosen on 2,000 held-out ones.
    private const string FourTinyPoints =
        """{"grid": {"learningRate": [0.001, 0.02], "hiddenUnits": [16, 32], "epochs": [1], "seed": [5]}, "trainLimit": 3000, "validationSize": 2000}""";

    private async Task<HttpAnswer> PostAsync(string json)
    {
        var request = HttpCall.Json(app.Services, "POST", "/api/sweeps", json);
        return await HttpCall.AnswerAsync(request, app.Create<SweepsApi>().CreateAsync(request, CancellationToken.None));
    }

    private async Task<JsonElement> GetAsync(string id)
    {
        var request = HttpCall.Request(app.Services, "GET", $"/api/sweeps/{id}");
        var answer = await HttpCall.AnswerAsync(request, app.Create<SweepsApi>().GetAsync(request, id, CancellationToken.None));
        Assert.Equal(200, answer.Status);
        return answer.Json;
    }

    private async Task<HttpAnswer> CancelAsync(string id)
    {
        var request = HttpCall.Request(app.Services, "POST", $"/api/sweeps/{id}/cancel");
        return await HttpCall.AnswerAsync(request, app.Create<SweepsApi>().CancelAsync(request, id, CancellationToken.None));
    }

    private static string[] JobIds(JsonElement sweep) =>
        [.. sweep.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("jobId").GetString()!)];

    /// <summary>The rule written out independently: best validation accuracy, then fewer hidden units, then earlier.</summary>
    private static TrainingJob ExpectedWinner(IEnumerable<TrainingJob> jobs) =>
        jobs.OrderByDescending(j => j.Metrics[^1].ValidationAccuracy).ThenBy(j => j.Options.HiddenUnits).ThenBy(j => j.Id, StringComparer.Ordinal).First();

    [Fact]
    public async Task Two_worker_processes_run_every_point_once_and_the_sweep_succeeds_with_the_winner_by_validation_accuracy_unpromoted()
    {
        var created = await PostAsync(FourTinyPoints);
        Assert.Equal(202, created.Status);
        string id = created.Json.GetProperty("id").GetString()!;
        Assert.Equal($"/api/sweeps/{id}", created.Headers.Location.ToString());
        Assert.Equal("running", created.Json.GetProperty("status").GetString());
        Assert.Equal(4, created.Json.GetProperty("pointCount").GetInt32());
        string[] jobIds = JobIds(created.Json);

        JsonElement sweep;
        var lines = new List<string>();
        {
            using var first = new QueueWorkerProcess(app.ConnectionString);
            using var second = new QueueWorkerProcess(app.ConnectionString);
            var deadline = DateTime.UtcNow.AddMinutes(4);
            do
            {
                await Task.Delay(500);
                sweep = await GetAsync(id);
            }
            while (sweep.GetProperty("status").GetString() == "running" && DateTime.UtcNow < deadline);

            // The last run records its success (and so ends the sweep) before its process prints its outcome.
            int Printed() => first.Lines.Concat(second.Lines).Count(l => l.EndsWith("outcome: Succeeded", StringComparison.Ordinal));
            for (var printDeadline = DateTime.UtcNow.AddSeconds(30); Printed() < 4 && DateTime.UtcNow < printDeadline;)
            {
                await Task.Delay(100);
            }

            lines.AddRange(first.Lines.Select(l => "1 " + l));
            lines.AddRange(second.Lines.Select(l => "2 " + l));
        }

        Assert.True(sweep.GetProperty("status").GetString() == "succeeded", string.Join('\n', lines));
        var jobs = new List<TrainingJob>();
        foreach (string jobId in jobIds)
        {
            var job = await Jobs.RecordAsync(app, jobId);
            Assert.Equal(TrainingJobStatus.Succeeded, job.Status);
            Assert.Equal(1, job.Attempts); // claimed once: ran exactly once
            Assert.Equal(id, job.SweepId);
            Assert.False(job.Promote);
            jobs.Add(job);
        }

        Assert.Equal(4, lines.Count(l => l.EndsWith("outcome: Succeeded", StringComparison.Ordinal))); // four runs in all, across both processes
        var winner = sweep.GetProperty("winner");
        var expected = ExpectedWinner(jobs);
        Assert.Equal(expected.Id, winner.GetProperty("jobId").GetString());
        Assert.Equal(expected.ModelId, winner.GetProperty("modelId").GetString());
        Assert.Equal(expected.Metrics[^1].ValidationAccuracy!.Value, winner.GetProperty("validationAccuracy").GetDouble(), 9);
        Assert.Equal(4, sweep.GetProperty("finishedCount").GetInt32());
        Assert.False(sweep.GetProperty("promoted").GetBoolean()); // not asked
        Assert.Null(await app.Get<BlobModelRegistry>().GetCurrentAsync());
        var manifest = await app.Get<BlobModelRegistry>().GetManifestAsync(expected.ModelId!);
        Assert.Equal(expected.Options.HiddenUnits, manifest.Hyperparameters.HiddenUnits);
    }

    [Fact]
    public async Task A_sweep_that_asks_to_promote_makes_its_winner_the_current_model()
    {
        var created = await PostAsync("""{"points": [{"hiddenUnits": 8, "epochs": 1}, {"hiddenUnits": 24, "epochs": 1, "learningRate": 0.005}], "trainLimit": 2000, "validationSize": 1000, "promote": true}""");
        string id = created.Json.GetProperty("id").GetString()!;
        string[] jobIds = JobIds(created.Json);
        await Jobs.DeliverAsync(app, jobIds[1]);
        var halfway = await GetAsync(id);
        Assert.Equal("running", halfway.GetProperty("status").GetString());
        Assert.Equal(1, halfway.GetProperty("leader").GetProperty("pointIndex").GetInt32()); // the only finished point leads
        Assert.Equal(JsonValueKind.Null, halfway.GetProperty("winner").ValueKind);

        await Jobs.DeliverAsync(app, jobIds[0]);
        var sweep = await GetAsync(id);
        Assert.Equal("succeeded", sweep.GetProperty("status").GetString());
        Assert.True(sweep.GetProperty("promoted").GetBoolean());
        string winnerModel = sweep.GetProperty("winner").GetProperty("modelId").GetString()!;
        Assert.Equal(ExpectedWinner([await Jobs.RecordAsync(app, jobIds[0]), await Jobs.RecordAsync(app, jobIds[1])]).ModelId, winnerModel);
        Assert.Equal(winnerModel, (await app.Get<BlobModelRegistry>().GetCurrentAsync())!.Pointer.ModelId);
    }

    [Fact]
    public async Task Cancelling_midway_stops_the_running_point_never_runs_the_queued_ones_and_keeps_the_finished_results()
    {
        var created = await PostAsync("""{"points": [{"epochs": 1, "hiddenUnits": 16}, {"epochs": 200, "hiddenUnits": 16}, {"epochs": 1, "hiddenUnits": 16, "seed": 2}, {"epochs": 1, "hiddenUnits": 16, "seed": 3}], "trainLimit": 20000, "validationSize": 2000}""");
        string id = created.Json.GetProperty("id").GetString()!;
        string[] jobIds = JobIds(created.Json);

        await Jobs.DeliverAsync(app, jobIds[0]);
        var longRun = Jobs.DeliverAsync(app, jobIds[1]);
        while ((await Jobs.RecordAsync(app, jobIds[1])).Epoch < 1)
        {
            Assert.False(longRun.IsCompleted, "the long point finished before it could be cancelled");
            await Task.Delay(100);
        }

        var cancelled = await CancelAsync(id);
        Assert.Equal(200, cancelled.Status);
        await longRun.WaitAsync(TimeSpan.FromSeconds(30)); // the run notices at its next heartbeat and stops
        var stopped = await Jobs.RecordAsync(app, jobIds[1]);
        Assert.Equal(TrainingJobStatus.Cancelled, stopped.Status);
        Assert.InRange(stopped.Epoch, 1, 199);

        foreach (string queued in jobIds[2..])
        {
            await Jobs.DeliverAsync(app, queued); // their messages find the job cancelled and do nothing
            var job = await Jobs.RecordAsync(app, queued);
            Assert.Equal(TrainingJobStatus.Cancelled, job.Status);
            Assert.Equal(0, job.Attempts);
            Assert.Empty(job.Metrics);
        }

        var sweep = await GetAsync(id);
        Assert.Equal("cancelled", sweep.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, sweep.GetProperty("winner").ValueKind);
        Assert.False(sweep.GetProperty("promoted").GetBoolean());
        var points = sweep.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal("succeeded", points[0].GetProperty("status").GetString());
        Assert.InRange(points[0].GetProperty("validationAccuracy").GetDouble(), 0.3, 1.0);
        Assert.All(points.Skip(1), p => Assert.Equal("cancelled", p.GetProperty("status").GetString()));
        Assert.Equal(0, sweep.GetProperty("leader").GetProperty("pointIndex").GetInt32());

        (await CancelAsync(id)).AssertProblem(409);
    }

    [Theory]
    [InlineData("""{"grid": {"seed": [1, 2, 3]}, "budget": 2}""", "budget")]
    [InlineData("""{"grid": {"learningRate": [0.001, 5]}}""", "grid.learningRate[1]")]
    [InlineData("""{"points": [{"hiddenUnits": 0}]}""", "points[0].hiddenUnits")]
    [InlineData("""{"grid": {"learningRates": [0.001]}}""", "grid.learningRates")]
    [InlineData("""{}""", "grid")]
    public async Task An_invalid_sweep_is_refused_with_a_problem_naming_the_field_and_creates_nothing(string json, string field)
    {
        int before = await CountSweepsAsync();
        var answer = await PostAsync(json);
        answer.AssertProblem(400);
        Assert.Equal(field, answer.Json.GetProperty("field").GetString());
        Assert.Equal(before, await CountSweepsAsync());
    }

    [Fact]
    public async Task Listing_sweeps_shows_each_as_the_summary_its_own_page_begins_with_not_its_stored_record()
    {
        string id = (await PostAsync(FourTinyPoints)).Json.GetProperty("id").GetString()!;
        try
        {
            var request = HttpCall.Request(app.Services, "GET", "/api/sweeps?limit=100");
            var answer = await HttpCall.AnswerAsync(request, app.Create<SweepsApi>().ListAsync(request, CancellationToken.None));

            Assert.Equal(200, answer.Status);
            var listed = answer.Json.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("id").GetString() == id);
            Assert.Equal("running", listed.GetProperty("status").GetString());
            Assert.Equal(4, listed.GetProperty("pointCount").GetInt32());
            Assert.Equal(0, listed.GetProperty("finishedCount").GetInt32());
            Assert.Equal(2000, listed.GetProperty("validationSize").GetInt32());
            foreach (string stored in new[] { "request", "finished", "points" })
            {
                Assert.False(listed.TryGetProperty(stored, out _), $"the list shows \"{stored}\"");
            }

            var shown = await GetAsync(id);
            Assert.All(listed.EnumerateObject(), field => Assert.Equal(shown.GetProperty(field.Name).ToString(), field.Value.ToString()));
        }
        finally
        {
            await CancelAsync(id); // its queued points must not run in another test's workers
        }
    }

    [Fact]
    public async Task A_sweep_whose_create_request_died_part_way_gets_its_missing_points_queued_by_the_watchdog_and_finishes()
    {
        string id = await CreateDyingPartWayAsync();
        var before = await PointJobsAsync(id);
        Assert.Equal(2, before.Count);
        Assert.Single(before, j => j.Enqueued);

        await RunWatchdogAsync(); // within the grace a create request still under way is given, nothing is touched
        Assert.Equal(before.Select(j => (j.Id, j.Enqueued)), (await PointJobsAsync(id)).Select(j => (j.Id, j.Enqueued)));
        app.Time.Advance(new JobLifecycleOptions().EnqueueGrace + TimeSpan.FromSeconds(1));
        await RunWatchdogAsync();

        var after = await PointJobsAsync(id);
        Assert.Equal(4, after.Count);
        Assert.All(after, job => Assert.True(job.Enqueued, job.Id));
        var messages = new Dictionary<string, int>();
        foreach (var job in after)
        {
            messages[job.Id] = await Jobs.MessagesForAsync(app, job.Id);
            Assert.True(messages[job.Id] >= 1, $"{job.Id} has no message");
        }

        Assert.Equal(1, messages[before.Single(j => j.Enqueued).Id]); // the create request had sent it: not sent again
        Assert.True((await app.Get<TableSweepStore>().GetAsync(id))!.Record.AllPointsQueued);

        await RunWatchdogAsync(); // the sweep is marked complete: nothing more is sent
        foreach (var job in after)
        {
            Assert.Equal(messages[job.Id], await Jobs.MessagesForAsync(app, job.Id));
        }

        foreach (var job in after)
        {
            for (int left = messages[job.Id]; left > 0; left--)
            {
                await Jobs.DeliverAsync(app, job.Id); // a second message finds its job claimed or finished
            }
        }

        var sweep = await GetAsync(id);
        Assert.Equal("succeeded", sweep.GetProperty("status").GetString());
        Assert.Equal(4, sweep.GetProperty("finishedCount").GetInt32());
        Assert.All(await PointJobsAsync(id), job => Assert.Equal(1, job.Attempts)); // each point ran once
    }

    [Fact]
    public async Task A_sweep_cancelled_after_its_create_request_died_part_way_still_ends_cancelled()
    {
        string id = await CreateDyingPartWayAsync();
        var created = await PointJobsAsync(id);
        Assert.Equal(200, (await CancelAsync(id)).Status);
        foreach (var job in created.Where(j => j.Enqueued))
        {
            await Jobs.DeliverAsync(app, job.Id); // the run finds its job cancelled and records the point
        }

        app.Time.Advance(new JobLifecycleOptions().EnqueueGrace + TimeSpan.FromSeconds(1));
        await RunWatchdogAsync();

        var sweep = await GetAsync(id);
        Assert.Equal("cancelled", sweep.GetProperty("status").GetString());
        Assert.Equal(4, sweep.GetProperty("finishedCount").GetInt32());
        Assert.All(await PointJobsAsync(id), job => Assert.Equal(TrainingJobStatus.Cancelled, job.Status));
    }

    /// <summary>Creates <see cref="FourTinyPoints"/> on an instance whose storage fails part-way: the sweep's record
    /// (a transaction, like each job's) and two of its jobs are written, and one of those is sent to the queue and marked sent. The other writes and
    /// sends fail, a second and a half late, so that the request dies only after the successful ones are done.
    /// Returns the sweep's id.</summary>
    private async Task<string> CreateDyingPartWayAsync()
    {
        int jobWrites = 0, messages = 0;
        var dies = new FailingPolicy(
            m => m.Request.Method == Azure.Core.RequestMethod.Post && m.Request.Uri.Path.EndsWith("/$batch", StringComparison.Ordinal) ? Interlocked.Increment(ref jobWrites) > 3
                : m.Request.Uri.Path.EndsWith($"/{StorageNames.TrainingQueue}/messages", StringComparison.Ordinal) && Interlocked.Increment(ref messages) > 1,
            delay: TimeSpan.FromSeconds(1.5));
        await using var dying = app.NewInstance(s => s.AddAzureClients(b => b.ConfigureDefaults(o =>
        {
            o.Retry.MaxRetries = 0;
            o.AddPolicy(dies, Azure.Core.HttpPipelinePosition.PerRetry);
        })));
        var request = JsonSerializer.Deserialize<SweepRequest>(FourTinyPoints, ModelJson.Options)!;
        var existing = await SweepIdsAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => dying.GetRequiredService<SweepService>().CreateAsync(request, Caller.Local));
        return Assert.Single((await SweepIdsAsync()).Except(existing));
    }

    private async Task<List<string>> SweepIdsAsync() => (await app.Get<TableSweepStore>().ListAsync(100)).Items.Select(s => s.Id).ToList();

    private async Task<List<TrainingJob>> PointJobsAsync(string sweepId)
    {
        var found = new List<TrainingJob>();
        await foreach (var stored in app.Get<TableJobStore>().SweepJobsAsync(sweepId))
        {
            found.Add(stored.Record);
        }

        return found;
    }

    private Task RunWatchdogAsync() => app.Create<TrainingJobWatchdogFunction>().RunAsync(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);

    private async Task<int> CountSweepsAsync() => (await app.Get<TableSweepStore>().ListAsync(100)).Items.Count;

    [Fact]
    public async Task An_unknown_sweep_is_404()
    {
        var request = HttpCall.Request(app.Services, "GET", "/api/sweeps/sweep-20990101-000000-000-deadbeef");
        var answer = await HttpCall.AnswerAsync(request, app.Create<SweepsApi>().GetAsync(request, "sweep-20990101-000000-000-deadbeef", CancellationToken.None));
        answer.AssertProblem(404);
    }
}

using FashionFunctions.Functions.Functions;
using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests;

[Trait("Category", "Azurite")]
public class TrainingJobsApiTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    [Theory]
    [InlineData("""{"epochs": 0}""", "epochs")]
    [InlineData("""{"epochs": 1000}""", "epochs")]
    [InlineData("""{"batchSize": -3}""", "batchSize")]
    [InlineData("""{"learningRate": 7}""", "learningRate")]
    [InlineData("""{"epochs": "ten"}""", "epochs")]
    [InlineData("""{"epoch": 3}""", "epoch")]
    public async Task Out_of_range_or_unknown_fields_are_400_naming_the_field(string json, string field)
    {
        var answer = await Jobs.CreateAsync(app, json);
        answer.AssertProblem(400);
        Assert.Equal(field, answer.Json.GetProperty("field").GetString());
        Assert.Contains(field, answer.Json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Malformed_json_is_400_and_a_non_json_body_is_415()
    {
        (await Jobs.CreateAsync(app, """{"epochs": """)).AssertProblem(400);

        var request = HttpCall.Request(app.Services, "POST", "/api/training-jobs", body: "epochs=3"u8.ToArray(), contentType: "application/x-www-form-urlencoded");
        (await HttpCall.AnswerAsync(request, app.Create<TrainingJobsApi>().CreateAsync(request, CancellationToken.None))).AssertProblem(415);
    }

    [Fact]
    public async Task An_empty_body_takes_the_keras_defaults()
    {
        var request = HttpCall.Request(app.Services, "POST", "/api/training-jobs");
        var answer = await HttpCall.AnswerAsync(request, app.Create<TrainingJobsApi>().CreateAsync(request, CancellationToken.None));
        Assert.Equal(202, answer.Status);
        var options = answer.Json.GetProperty("options");
        Assert.Equal(10, options.GetProperty("epochs").GetInt32());
        Assert.Equal(32, options.GetProperty("batchSize").GetInt32());
        Assert.Equal(0.001, options.GetProperty("learningRate").GetDouble());
        Assert.True(answer.Json.GetProperty("promote").GetBoolean());
    }

    [Fact]
    public async Task An_overlong_idempotency_key_is_400()
    {
        var headers = new Dictionary<string, string> { [FashionFunctions.Functions.Http.IdempotencyKeyHeader.Name] = new string('k', 201) };
        (await Jobs.CreateAsync(app, headers: headers)).AssertProblem(400);
    }

    [Fact]
    public async Task A_job_can_be_read_back_and_an_unknown_one_is_404()
    {
        string id = (await Jobs.CreateAsync(app)).Json.GetProperty("id").GetString()!;
        var get = HttpCall.Request(app.Services, "GET", $"/api/training-jobs/{id}");
        var answer = await HttpCall.AnswerAsync(get, app.Create<TrainingJobsApi>().GetAsync(get, id, CancellationToken.None));
        Assert.Equal(200, answer.Status);
        Assert.Equal(id, answer.Json.GetProperty("id").GetString());

        foreach (string unknown in new[] { "job-20000101-000000-00000000", "../etc", "x" })
        {
            var missing = HttpCall.Request(app.Services, "GET", $"/api/training-jobs/{unknown}");
            (await HttpCall.AnswerAsync(missing, app.Create<TrainingJobsApi>().GetAsync(missing, unknown, CancellationToken.None))).AssertProblem(404);
        }
    }

    [Fact]
    public async Task Jobs_are_listed_most_recent_first_in_pages_and_the_limit_is_checked()
    {
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            app.Time.Advance(TimeSpan.FromSeconds(1)); // ids begin with their creation time
            ids.Add((await Jobs.CreateAsync(app)).Json.GetProperty("id").GetString()!);
        }

        var listed = new List<string?>();
        string? next = null;
        int pages = 0;
        while (listed.Count < 5)
        {
            var answer = await ListAsync("limit=2" + (next is null ? "" : "&next=" + next));
            Assert.Equal(200, answer.Status);
            var items = answer.Json.GetProperty("items").EnumerateArray().ToList();
            Assert.InRange(items.Count, 0, 2);
            listed.AddRange(items.Select(j => j.GetProperty("id").GetString()));
            next = answer.Json.GetProperty("next").GetString();
            Assert.True(next is not null || listed.Count >= 5, "a page before the end has a next token");
            Assert.True(++pages <= 5, "five jobs in pages of two");
        }

        Assert.Equal(ids.AsEnumerable().Reverse(), listed.Take(5));

        (await ListAsync("limit=1000")).AssertProblem(400);
        (await ListAsync("next=not-a-token")).AssertProblem(400);
    }

    [Fact]
    public async Task A_queued_job_can_be_cancelled_and_its_message_then_does_nothing()
    {
        string id = (await Jobs.CreateAsync(app)).Json.GetProperty("id").GetString()!;

        var answer = await CancelAsync(id);
        Assert.Equal(200, answer.Status);
        Assert.Equal("cancelled", answer.Json.GetProperty("status").GetString());

        await Jobs.DeliverAsync(app, id);
        var job = await Jobs.RecordAsync(app, id);
        Assert.Equal(Core.Jobs.TrainingJobStatus.Cancelled, job.Status);
        Assert.Equal(0, job.Attempts);
        Assert.Null(job.ModelId);

        var again = await CancelAsync(id);
        again.AssertProblem(409);
        Assert.Equal("cancelled", again.Json.GetProperty("jobStatus").GetString());
    }

    [Fact]
    public async Task A_finished_job_cannot_be_cancelled_and_an_unknown_one_is_404()
    {
        var job = await Jobs.TrainAsync(app);
        (await CancelAsync(job.Id)).AssertProblem(409);
        Assert.Equal(Core.Jobs.TrainingJobStatus.Succeeded, (await Jobs.RecordAsync(app, job.Id)).Status);
        (await CancelAsync("job-20000101-000000-00000000")).AssertProblem(404);
    }

    [Fact]
    public async Task Events_stream_the_record_at_every_change_until_the_job_finishes()
    {
        string id = (await Jobs.CreateAsync(app, """{"epochs": 3, "trainLimit": 6000, "seed": 5}""")).Json.GetProperty("id").GetString()!;
        var request = HttpCall.Request(app.Services, "GET", $"/api/training-jobs/{id}/events");
        var streaming = HttpCall.AnswerAsync(request, app.Create<TrainingJobsApi>().EventsAsync(request, id, CancellationToken.None));
        await Task.Delay(300);
        await Jobs.DeliverAsync(app, id);
        var answer = await streaming.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(200, answer.Status);
        Assert.Equal("text/event-stream", answer.ContentType);
        var events = answer.Body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('\n'))
            .ToList();
        Assert.All(events, e => Assert.StartsWith("id: ", e[0]));
        Assert.All(events, e => Assert.Equal("event: job", e[1]));
        Assert.Equal(events.Count, events.Select(e => e[0]).Distinct().Count());
        var records = events.Select(e => Jobs.Parse(e[2]["data: ".Length..])).ToList();
        Assert.Equal("queued", records[0].GetProperty("status").GetString());
        Assert.Equal("succeeded", records[^1].GetProperty("status").GetString());
        Assert.Equal(1, records.Count(r => r.GetProperty("status").GetString() == "succeeded"));
        Assert.All(records, r => Assert.Equal(id, r.GetProperty("id").GetString()));
    }

    private async Task<HttpAnswer> ListAsync(string query)
    {
        var list = HttpCall.Request(app.Services, "GET", "/api/training-jobs", query);
        return await HttpCall.AnswerAsync(list, app.Create<TrainingJobsApi>().ListAsync(list, CancellationToken.None));
    }

    private async Task<HttpAnswer> CancelAsync(string id)
    {
        var cancel = HttpCall.Request(app.Services, "POST", $"/api/training-jobs/{id}/cancel");
        return await HttpCall.AnswerAsync(cancel, app.Create<TrainingJobsApi>().CancelAsync(cancel, id, CancellationToken.None));
    }
}

/// <summary>Every job read path on storage where nothing was ever written (no table, no queue).</summary>
[Trait("Category", "Azurite")]
public class FreshStorageJobTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    [Fact]
    public async Task Reads_answer_an_empty_list_and_404s_not_500()
    {
        var list = HttpCall.Request(app.Services, "GET", "/api/training-jobs");
        var listed = await HttpCall.AnswerAsync(list, app.Create<TrainingJobsApi>().ListAsync(list, CancellationToken.None));
        Assert.Equal(200, listed.Status);
        Assert.Empty(listed.Json.GetProperty("items").EnumerateArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, listed.Json.GetProperty("next").ValueKind);

        const string id = "job-20000101-000000-000-00000000";
        var get = HttpCall.Request(app.Services, "GET", $"/api/training-jobs/{id}");
        (await HttpCall.AnswerAsync(get, app.Create<TrainingJobsApi>().GetAsync(get, id, CancellationToken.None))).AssertProblem(404);
        var events = HttpCall.Request(app.Services, "GET", $"/api/training-jobs/{id}/events");
        (await HttpCall.AnswerAsync(events, app.Create<TrainingJobsApi>().EventsAsync(events, id, CancellationToken.None))).AssertProblem(404);
        var cancel = HttpCall.Request(app.Services, "POST", $"/api/training-jobs/{id}/cancel");
        (await HttpCall.AnswerAsync(cancel, app.Create<TrainingJobsApi>().CancelAsync(cancel, id, CancellationToken.None))).AssertProblem(404);
        Assert.Empty(await app.Get<Core.Jobs.JobWatchdog>().RunOnceAsync());

        var tables = new Azure.Data.Tables.TableServiceClient(app.ConnectionString).QueryAsync();
        await foreach (var table in tables)
        {
            Assert.Fail($"A read created table {table.Name}.");
        }
    }
}

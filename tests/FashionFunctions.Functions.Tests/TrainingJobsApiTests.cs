using FashionFunctions.Functions.Functions;
using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests;

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
        var answer = await Jobs.SubmitAsync(app, json);
        answer.AssertProblem(400);
        Assert.Equal(field, answer.Json.GetProperty("field").GetString());
        Assert.Contains(field, answer.Json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Malformed_json_is_400_and_a_non_json_body_is_415()
    {
        (await Jobs.SubmitAsync(app, """{"epochs": """)).AssertProblem(400);

        var request = HttpCall.Request(app.Services, "POST", "/api/training-jobs", body: "epochs=3"u8.ToArray(), contentType: "application/x-www-form-urlencoded");
        (await HttpCall.AnswerAsync(request, app.Create<TrainingJobsApi>().SubmitAsync(request, CancellationToken.None))).AssertProblem(415);
    }

    [Fact]
    public async Task An_empty_body_takes_the_keras_defaults()
    {
        var request = HttpCall.Request(app.Services, "POST", "/api/training-jobs");
        var answer = await HttpCall.AnswerAsync(request, app.Create<TrainingJobsApi>().SubmitAsync(request, CancellationToken.None));
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
        var headers = new Dictionary<string, string> { [TrainingJobsApi.IdempotencyKeyHeader] = new string('k', 201) };
        (await Jobs.SubmitAsync(app, headers: headers)).AssertProblem(400);
    }

    [Fact]
    public async Task A_job_can_be_read_back_and_an_unknown_one_is_404()
    {
        string id = (await Jobs.SubmitAsync(app)).Json.GetProperty("id").GetString()!;
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
    public async Task Jobs_are_listed_most_recent_first_and_the_limit_is_checked()
    {
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            app.Time.Advance(TimeSpan.FromSeconds(1)); // ids begin with their creation time
            ids.Add((await Jobs.SubmitAsync(app)).Json.GetProperty("id").GetString()!);
        }

        var list = HttpCall.Request(app.Services, "GET", "/api/training-jobs", "limit=3");
        var answer = await HttpCall.AnswerAsync(list, app.Create<TrainingJobsApi>().ListAsync(list, CancellationToken.None));
        var listed = answer.Json.EnumerateArray().Select(j => j.GetProperty("id").GetString()).ToList();
        Assert.Equal(ids.AsEnumerable().Reverse(), listed);

        var bad = HttpCall.Request(app.Services, "GET", "/api/training-jobs", "limit=1000");
        (await HttpCall.AnswerAsync(bad, app.Create<TrainingJobsApi>().ListAsync(bad, CancellationToken.None))).AssertProblem(400);
    }
}

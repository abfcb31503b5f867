using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FashionFunctions.Functions.Http;
using FashionFunctions.Functions.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace FashionFunctions.Functions.Tests.Rights;

/// <summary>
/// Budgets pushed past their limits by named callers (keys): each refusal names the limit and the figure, and
/// stores nothing. After each test every job and sweep still active is cancelled, so the totals start at zero.
/// </summary>
[Trait("Category", "Azurite")]
public sealed class BudgetTests(BudgetTests.TightBudgets app) : IClassFixture<BudgetTests.TightBudgets>, IAsyncLifetime
{
    private const string TinyJob = """{"epochs": 1, "trainLimit": 1000, "seed": 3}""";

    // Each point: 100 epochs of 150 batches of 40 images at 128 hidden units = 10 Keras epochs; four of them cost 40.
    private const string FourPointsCosting40 =
        """{"grid": {"learningRate": [0.001, 0.002, 0.003, 0.004], "epochs": [100], "batchSize": [40]}, "trainLimit": 6000, "validationSize": 1000}""";

    private const string OnePointSweep = """{"grid": {"epochs": [1]}, "trainLimit": 1000, "validationSize": 1000}""";

    public sealed class TightBudgets : FunctionsApp
    {
        public static readonly string[] Callers = ["a", "b", "c", "d", "e", "f", "g", "h"];

        protected override IDictionary<string, string?> Settings
        {
            get
            {
                var settings = new Dictionary<string, string?>
                {
                    ["FashionFunctions:Auth:Mode"] = "Keys",
                    ["FashionFunctions:MaxJobCost"] = "30",
                    ["FashionFunctions:MaxSweepCost"] = "30",
                    ["FashionFunctions:MaxActiveJobsPerOwner"] = "2",
                    ["FashionFunctions:MaxActiveJobs"] = "3",
                    ["FashionFunctions:MaxRunningSweepsPerOwner"] = "1",
                    ["FashionFunctions:MaxRunningSweeps"] = "2",
                    ["FashionFunctions:IdempotencyKeyHours"] = "0.002", // 7.2 s
                };
                foreach (string caller in Callers)
                {
                    settings[$"FashionFunctions:Auth:Keys:{caller}"] = $"trainer:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(KeyOf(caller))))}";
                }

                settings["FashionFunctions:Auth:Keys:admin"] = $"admin:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(KeyOf("admin"))))}";
                return settings;
            }
        }

        public static string KeyOf(string caller) => $"budget-key-of-{caller}";

        public FakeLogCollector Logs => Get<FakeLogCollector>();

        protected override void ConfigureServices(IServiceCollection services)
        {
            services.AddFakeLogging();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (string collection in new[] { "training-jobs", "sweeps" })
        {
            var listed = await app.SendAsync("GET", $"/api/{collection}?limit=100", headers: As("admin"));
            foreach (var item in listed.Json.GetProperty("items").EnumerateArray())
            {
                if (item.GetProperty("status").GetString() is "queued" or "running")
                {
                    await app.SendAsync("POST", $"/api/{collection}/{item.GetProperty("id").GetString()}/cancel", headers: As("admin"));
                }
            }
        }
    }

    private static Dictionary<string, string> As(string caller, string? idempotencyKey = null)
    {
        var headers = new Dictionary<string, string> { ["x-functions-key"] = TightBudgets.KeyOf(caller) };
        if (idempotencyKey is not null)
        {
            headers[IdempotencyKeyHeader.Name] = idempotencyKey;
        }

        return headers;
    }

    private Task<HttpAnswer> CreateJobAsync(string caller, string json = TinyJob, string? idempotencyKey = null) =>
        app.SendJsonAsync("POST", "/api/training-jobs", json, As(caller, idempotencyKey));

    private Task<HttpAnswer> CreateSweepAsync(string caller, string json = OnePointSweep) =>
        app.SendJsonAsync("POST", "/api/sweeps", json, As(caller));

    private async Task<string[]> AllIdsAsync(string collection)
    {
        var listed = await app.SendAsync("GET", $"/api/{collection}?limit=100", headers: As("admin"));
        Assert.Equal(200, listed.Status);
        return [.. listed.Json.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString()!)];
    }

    private async Task CancelAsync(string collection, params HttpAnswer[] created)
    {
        foreach (string id in created.Where(a => a.Status == 202).Select(a => a.Json.GetProperty("id").GetString()!).Distinct())
        {
            var cancelled = await app.SendAsync("POST", $"/api/{collection}/{id}/cancel", headers: As("admin"));
            Assert.Equal(200, cancelled.Status);
        }
    }

    private static void AssertRefusal(HttpAnswer refused, int status, string limit, double figure, double allowed)
    {
        refused.AssertProblem(status);
        Assert.Equal(limit, refused.Json.GetProperty("limit").GetString());
        Assert.Equal(figure, refused.Json.GetProperty("figure").GetDouble());
        Assert.Equal(allowed, refused.Json.GetProperty("allowed").GetDouble());
        Assert.Contains(limit, refused.Json.GetProperty("detail").GetString());
        if (status == 429)
        {
            Assert.True(int.Parse(refused.Headers["Retry-After"].ToString()) > 0);
        }
    }

    [Fact]
    public async Task A_job_over_its_compute_budget_is_422_with_its_estimate_and_nothing_is_stored()
    {
        string[] before = await AllIdsAsync("training-jobs");

        // 200 epochs × 1,875 batch-1 steps priced as 32 images × 4,096 hidden = 200 × 32 Keras epochs.
        var refused = await CreateJobAsync("a", """{"epochs": 200, "batchSize": 1, "hiddenUnits": 4096}""");

        AssertRefusal(refused, 422, "MaxJobCost", 204_800, 30);
        Assert.Equal(before, await AllIdsAsync("training-jobs"));
    }

    [Fact]
    public async Task A_sweep_over_its_total_compute_budget_is_422_with_its_sum_and_neither_it_nor_a_point_is_stored()
    {
        string[] jobsBefore = await AllIdsAsync("training-jobs");
        string[] sweepsBefore = await AllIdsAsync("sweeps");

        var refused = await CreateSweepAsync("a", FourPointsCosting40);

        AssertRefusal(refused, 422, "MaxSweepCost", 40, 30);
        Assert.Equal(sweepsBefore, await AllIdsAsync("sweeps"));
        Assert.Equal(jobsBefore, await AllIdsAsync("training-jobs"));
    }

    [Fact]
    public async Task Jobs_beyond_the_owners_active_limit_are_429_with_retry_after_until_one_finishes()
    {
        var first = await CreateJobAsync("b");
        var second = await CreateJobAsync("b");
        string[] stored = await AllIdsAsync("training-jobs");
        var third = await CreateJobAsync("b");
        var afterCancel = new HttpAnswer[1];
        try
        {
            Assert.Equal(202, first.Status);
            Assert.Equal(202, second.Status);
            AssertRefusal(third, 429, "MaxActiveJobsPerOwner", 2, 2);
            Assert.Equal(stored, await AllIdsAsync("training-jobs"));

            await CancelAsync("training-jobs", first);
            afterCancel[0] = await CreateJobAsync("b");
            Assert.Equal(202, afterCancel[0].Status);
        }
        finally
        {
            await CancelAsync("training-jobs", [second, .. afterCancel.Where(a => a is not null)]);
        }
    }

    [Fact]
    public async Task Jobs_beyond_everyones_active_limit_are_429_for_a_caller_with_none_of_their_own()
    {
        var created = new[] { await CreateJobAsync("c"), await CreateJobAsync("c"), await CreateJobAsync("d") };
        try
        {
            Assert.All(created, a => Assert.Equal(202, a.Status));

            AssertRefusal(await CreateJobAsync("e"), 429, "MaxActiveJobs", 3, 3);
            AssertRefusal(await app.SendJsonAsync("POST", "/api/training-jobs", TinyJob, As("admin")), 429, "MaxActiveJobs", 3, 3);
        }
        finally
        {
            await CancelAsync("training-jobs", created);
        }
    }

    [Fact]
    public async Task Sweeps_beyond_the_owners_and_then_everyones_running_limit_are_429()
    {
        var first = await CreateSweepAsync("f");
        var second = await CreateSweepAsync("f");
        var other = await CreateSweepAsync("g");
        var third = await CreateSweepAsync("h");
        try
        {
            Assert.Equal(202, first.Status);
            AssertRefusal(second, 429, "MaxRunningSweepsPerOwner", 1, 1);
            Assert.Equal(202, other.Status);
            AssertRefusal(third, 429, "MaxRunningSweeps", 2, 2);
            Assert.Equal(2, (await AllIdsAsync("sweeps")).Count(id => id == first.Json.GetProperty("id").GetString() || id == other.Json.GetProperty("id").GetString()));

            await CancelAsync("sweeps", first);
            var afterCancel = await CreateSweepAsync("h");
            Assert.Equal(202, afterCancel.Status);
            await CancelAsync("sweeps", afterCancel);
        }
        finally
        {
            await CancelAsync("sweeps", other);
        }
    }

    [Fact]
    public async Task An_idempotency_key_is_its_owners_alone_and_names_a_new_job_once_it_has_expired()
    {
        string key = "order-" + Guid.NewGuid();
        var first = await CreateJobAsync("a", idempotencyKey: key);
        var replay = await CreateJobAsync("a", idempotencyKey: key);
        var someoneElses = await CreateJobAsync("b", idempotencyKey: key);
        var created = new List<HttpAnswer> { first, replay, someoneElses };
        try
        {
            Assert.Equal(202, first.Status);
            Assert.Equal(IdOf(first), IdOf(replay));
            Assert.Equal("true", replay.Headers["Idempotent-Replayed"].ToString());
            Assert.Equal(202, someoneElses.Status);
            Assert.NotEqual(IdOf(first), IdOf(someoneElses));

            // The lifetime is 7.2 s by the table's clock, whose answers are stamped to the second.
            await Task.Delay(TimeSpan.FromSeconds(10));
            var afterExpiry = await CreateJobAsync("a", idempotencyKey: key);
            created.Add(afterExpiry);
            Assert.Equal(202, afterExpiry.Status);
            Assert.NotEqual(IdOf(first), IdOf(afterExpiry));
            Assert.False(afterExpiry.Headers.ContainsKey("Idempotent-Replayed"));
        }
        finally
        {
            await CancelAsync("training-jobs", [.. created]);
        }

        static string IdOf(HttpAnswer answer) => answer.Json.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Refusals_are_logged_with_the_caller_and_the_limit_and_never_the_key()
    {
        app.Logs.Clear();

        (await CreateJobAsync("a", """{"epochs": 200, "batchSize": 1, "hiddenUnits": 4096}""")).AssertProblem(422);
        (await CreateJobAsync("a", """{"epochs": 1, "trainLimit": 1000, "promote": true}""")).AssertProblem(403);
        (await app.SendAsync("GET", "/api/training-jobs", headers: new Dictionary<string, string> { ["x-functions-key"] = "not-a-key" })).AssertProblem(401);

        var refusals = app.Logs.GetSnapshot().Where(r => r.Message.StartsWith("Refused", StringComparison.Ordinal)).ToList();
        Assert.Contains(refusals, r => r.Level == LogLevel.Warning && r.Message == "Refused POST /api/training-jobs (422) to key:a: MaxJobCost 204800 over 30");
        Assert.Contains(refusals, r => r.Level == LogLevel.Warning && r.Message == "Refused POST /api/training-jobs (403) to key:a, a trainer: needs admin");
        Assert.Contains(refusals, r => r.Level == LogLevel.Warning && r.Message == "Refused GET /api/training-jobs (401): no valid credentials");
        Assert.DoesNotContain(app.Logs.GetSnapshot(), r => r.Message.Contains(TightBudgets.KeyOf("a"), StringComparison.Ordinal) || r.Message.Contains("not-a-key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_key_in_the_url_instead_of_the_header_is_refused()
    {
        (await app.SendAsync("GET", $"/api/training-jobs?code={TightBudgets.KeyOf("admin")}")).AssertProblem(401);
        Assert.Equal(200, (await app.SendAsync("GET", "/api/training-jobs", headers: As("admin"))).Status);
    }
}

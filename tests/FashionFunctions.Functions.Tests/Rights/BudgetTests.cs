using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests.Rights;

/// <summary>Budgets pushed past their limits: each refusal names the limit and the figure, and stores nothing.</summary>
[Trait("Category", "Azurite")]
public sealed class BudgetTests(BudgetTests.TightBudgets app) : IClassFixture<BudgetTests.TightBudgets>
{
    public sealed class TightBudgets : FunctionsApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["FashionFunctions:MaxActiveJobsPerOwner"] = "2",
            ["FashionFunctions:MaxRunningSweepsPerOwner"] = "1",
        };
    }

    [Fact]
    public async Task A_job_over_its_compute_budget_is_422_with_its_estimate_and_nothing_is_stored()
    {
        var refused = await Jobs.CreateAsync(app, """{"epochs": 200, "batchSize": 1, "hiddenUnits": 4096}""");

        refused.AssertProblem(422);
        Assert.Equal("MaxJobCost", refused.Json.GetProperty("limit").GetString());
        Assert.Equal(204_800, refused.Json.GetProperty("figure").GetDouble());
        Assert.Equal(200, refused.Json.GetProperty("allowed").GetDouble());
        var listed = await app.SendAsync("GET", "/api/training-jobs?limit=100");
        Assert.DoesNotContain(listed.Json.GetProperty("items").EnumerateArray(), j => j.GetProperty("options").GetProperty("epochs").GetInt32() == 200);
    }

    [Fact]
    public async Task Jobs_beyond_the_owners_active_limit_are_429_with_retry_after_until_one_finishes()
    {
        var first = await Jobs.CreateAsync(app);
        var second = await Jobs.CreateAsync(app);
        Assert.Equal(202, first.Status);
        Assert.Equal(202, second.Status);

        var refused = await Jobs.CreateAsync(app);
        refused.AssertProblem(429);
        Assert.Equal("MaxActiveJobsPerOwner", refused.Json.GetProperty("limit").GetString());
        Assert.Equal(2, refused.Json.GetProperty("figure").GetInt32());
        Assert.True(refused.Headers.ContainsKey("Retry-After"));

        await app.SendAsync("POST", $"/api/training-jobs/{first.Json.GetProperty("id").GetString()}/cancel");
        Assert.Equal(202, (await Jobs.CreateAsync(app)).Status);
    }
}

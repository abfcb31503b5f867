using FashionFunctions.Core.Sweeps;

namespace FashionFunctions.Core.Tests.Sweeps;

public class SweepRequestTests
{
    [Fact]
    public void A_grid_expands_to_every_combination_with_the_seed_varying_fastest_and_learning_rate_slowest()
    {
        var plan = new SweepRequest
        {
            Grid = new SweepGrid { LearningRate = [0.001, 0.0005], BatchSize = [32, 64], HiddenUnits = [64], Seed = [1, 2] },
        }.Plan();

        Assert.Equal(8, plan.Points.Count);
        Assert.Equal(Enumerable.Range(0, 8), plan.Points.Select(p => p.Index));
        Assert.Equal([1L, 2, 1, 2, 1, 2, 1, 2], plan.Points.Select(p => p.Seed));
        Assert.Equal([32, 32, 64, 64, 32, 32, 64, 64], plan.Points.Select(p => p.BatchSize));
        Assert.Equal([0.001, 0.001, 0.001, 0.001, 0.0005, 0.0005, 0.0005, 0.0005], plan.Points.Select(p => p.LearningRate));
        Assert.All(plan.Points, p => Assert.Equal(64, p.HiddenUnits));
        Assert.All(plan.Points, p => Assert.Equal(10, p.Epochs)); // absent axis: the training default
    }

    [Fact]
    public void Listed_points_follow_the_grid_take_defaults_for_absent_fields_and_repeats_are_dropped()
    {
        var plan = new SweepRequest
        {
            Grid = new SweepGrid { HiddenUnits = [64, 128] },
            Points = [new SweepPointOptions { HiddenUnits = 256, Epochs = 3 }, new SweepPointOptions { HiddenUnits = 128 }],
        }.Plan();

        Assert.Equal(3, plan.Points.Count); // the second listed point is the grid's second point
        Assert.Equal(new SweepPoint(2, 0.001, 32, 3, 256, 42), plan.Points[2]);
    }

    [Fact]
    public void Expansion_is_deterministic()
    {
        var request = new SweepRequest { Grid = new SweepGrid { Epochs = [3, 5], LearningRate = [0.01, 0.001], Seed = [7, 8, 9] } };
        Assert.Equal(request.Plan().Points, request.Plan().Points);
    }

    [Fact]
    public void Sweep_defaults_hold_out_ten_thousand_images_do_not_promote_and_cap_at_sixty_four_jobs()
    {
        var plan = new SweepRequest { Points = [new SweepPointOptions()] }.Plan();
        Assert.Equal(10_000, plan.ValidationSize);
        Assert.False(plan.Promote);
        Assert.Equal(64, plan.Budget);
        Assert.Null(plan.TrainLimit);
    }

    [Theory]
    [InlineData(65, null, "budget")]      // over the default budget of 64
    [InlineData(9, 8, "budget")]          // over an explicit budget
    [InlineData(257, 256, "budget")]      // over the most any sweep may have
    public void An_expansion_over_budget_is_refused_naming_the_budget(int seeds, int? budget, string field)
    {
        var request = new SweepRequest { Grid = new SweepGrid { Seed = [.. Enumerable.Range(1, seeds).Select(s => (long)s)] }, Budget = budget };
        var error = Assert.Throws<InvalidSweepException>(request.Plan);
        Assert.Equal(field, error.Field);
        Assert.Contains("budget", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grid_of_millions_of_combinations_is_refused_naming_the_budget()
    {
        long[] many = [.. Enumerable.Range(1, 200).Select(i => (long)i)];
        int[] sizes = [.. Enumerable.Range(1, 200)];
        var request = new SweepRequest { Grid = new SweepGrid { Seed = many, BatchSize = sizes, Epochs = [.. Enumerable.Range(1, 200)] }, Budget = 256 };
        var error = Assert.Throws<InvalidSweepException>(request.Plan);
        Assert.Equal("budget", error.Field);
    }

    [Fact]
    public void The_budget_counts_points_after_repeats_are_dropped()
    {
        var request = new SweepRequest
        {
            Grid = new SweepGrid { Seed = [1, 2] },
            Points = [new SweepPointOptions { Seed = 1 }, new SweepPointOptions { Seed = 2 }],
            Budget = 2,
        };
        Assert.Equal(2, request.Plan().Points.Count);
    }

    public static TheoryData<SweepRequest, string> InvalidRequests => new()
    {
        { new SweepRequest(), "grid" },
        { new SweepRequest { Grid = new SweepGrid { LearningRate = [0.001, 2.0] } }, "grid.learningRate[1]" },
        { new SweepRequest { Grid = new SweepGrid { BatchSize = [0] } }, "grid.batchSize[0]" },
        { new SweepRequest { Grid = new SweepGrid { Epochs = [5, 500] } }, "grid.epochs[1]" },
        { new SweepRequest { Grid = new SweepGrid { HiddenUnits = [0] } }, "grid.hiddenUnits[0]" },
        { new SweepRequest { Grid = new SweepGrid { Seed = [] } }, "grid.seed" },
        { new SweepRequest { Grid = new SweepGrid { Seed = [3, 4, 3] } }, "grid.seed[2]" },
        { new SweepRequest { Points = [] }, "points" },
        { new SweepRequest { Points = [new SweepPointOptions(), new SweepPointOptions { BatchSize = 5000 }] }, "points[1].batchSize" },
        { new SweepRequest { Points = [new SweepPointOptions { HiddenUnits = 100_000 }] }, "points[0].hiddenUnits" },
        { new SweepRequest { Points = [new SweepPointOptions()], Budget = 0 }, "budget" },
        { new SweepRequest { Points = [new SweepPointOptions()], Budget = 257 }, "budget" },
        { new SweepRequest { Points = [new SweepPointOptions()], ValidationSize = 0 }, "validationSize" },
        { new SweepRequest { Points = [new SweepPointOptions()], ValidationSize = 60_000 }, "validationSize" },
        { new SweepRequest { Points = [new SweepPointOptions()], TrainLimit = 0 }, "trainLimit" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public void An_invalid_request_is_refused_naming_the_field(SweepRequest request, string field)
    {
        var error = Assert.Throws<InvalidSweepException>(request.Plan);
        Assert.Equal(field, error.Field);
        Assert.StartsWith($"{field}: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("The field", error.Message, StringComparison.Ordinal);
    }
}

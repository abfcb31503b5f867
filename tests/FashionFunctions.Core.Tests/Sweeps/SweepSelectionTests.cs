using FashionFunctions.Core.Sweeps;

namespace FashionFunctions.Core.Tests.Sweeps;

public class SweepSelectionTests
{
    private sealed record Outcome(int Index, int HiddenUnits, double TestAccuracy, double? ValidationAccuracy)
    {
        public SweepCandidate? Candidate => ValidationAccuracy is double v ? new SweepCandidate(Index, SweepPoint.ParametersAt(HiddenUnits), v) : null;
    }

    [Fact]
    public void The_winner_is_chosen_by_validation_accuracy_even_when_test_accuracy_ranks_the_points_differently()
    {
        Outcome[] outcomes =
        [
            new(0, 128, TestAccuracy: 0.885, ValidationAccuracy: 0.871),
            new(1, 128, TestAccuracy: 0.872, ValidationAccuracy: 0.889),
            new(2, 128, TestAccuracy: 0.879, ValidationAccuracy: 0.880),
        ];

        var winner = SweepSelection.Best(outcomes, o => o.Candidate);

        Assert.Equal(1, winner!.Index);
        Assert.NotEqual(outcomes.MaxBy(o => o.TestAccuracy), winner);
    }

    [Fact]
    public void A_tie_in_validation_accuracy_goes_to_the_smaller_model_then_to_the_earlier_point()
    {
        Assert.Equal(2, SweepSelection.Best([new(0, SweepPoint.ParametersAt(256), 0.9), new(1, SweepPoint.ParametersAt(128), 0.9), new(2, SweepPoint.ParametersAt(64), 0.9)])!.PointIndex);
        Assert.Equal(1, SweepSelection.Best([new(3, SweepPoint.ParametersAt(64), 0.9), new(1, SweepPoint.ParametersAt(64), 0.9), new(2, SweepPoint.ParametersAt(64), 0.9)])!.PointIndex);
        Assert.Equal(0, SweepSelection.Best([new(0, SweepPoint.ParametersAt(256), 0.91), new(1, SweepPoint.ParametersAt(64), 0.9)])!.PointIndex);
    }

    [Fact]
    public void Ranking_best_first_puts_the_winner_first_and_is_independent_of_input_order()
    {
        SweepCandidate[] candidates = [new(0, 1000, 0.80), new(1, 500, 0.85), new(2, 1000, 0.85), new(3, 10, 0.70)];
        var ranked = candidates.Order(SweepSelection.BestFirst).Select(c => c.PointIndex).ToArray();
        Assert.Equal([1, 2, 0, 3], ranked);
        Assert.Equal(ranked, candidates.Reverse().Order(SweepSelection.BestFirst).Select(c => c.PointIndex));
        Assert.Equal(1, SweepSelection.Best(candidates.Reverse())!.PointIndex);
    }

    [Fact]
    public void Points_without_a_validation_accuracy_are_never_chosen()
    {
        Outcome[] outcomes = [new(0, 128, 0.9, null), new(1, 128, 0.5, double.NaN), new(2, 128, 0.1, 0.2)];
        Assert.Equal(2, SweepSelection.Best(outcomes, o => o.Candidate)!.Index);
        Assert.Null(SweepSelection.Best(outcomes.Take(2), o => o.Candidate));
    }

    [Fact]
    public void Parameter_count_follows_the_hidden_width()
    {
        Assert.Equal(101_770, SweepPoint.ParametersAt(128)); // the Keras tutorial's model
        Assert.Equal(50_890, SweepPoint.ParametersAt(64));
    }
}

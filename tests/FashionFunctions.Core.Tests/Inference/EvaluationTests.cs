using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Tests.Support;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Tests.Inference;

[Collection(TrainedModelCollection.Name)]
public class EvaluationTests(TrainedModelFixture model, FashionMnistFixture data)
{
    [Fact]
    public void A_published_manifest_carries_the_test_evaluation_whose_cells_sum_to_the_test_count()
    {
        var stored = ModelArtifact.ParseManifest(model.Artifact.ManifestJson()).TestEvaluation;

        Assert.NotNull(stored);
        Assert.Equal(data.Dataset.Test.Count, stored.Count);
        Assert.Equal(10, stored.Confusion.Length);
        Assert.All(stored.Confusion, row => Assert.Equal(10, row.Length));
        Assert.Equal(data.Dataset.Test.Count, stored.Confusion.Sum(row => row.Sum()));
        for (int c = 0; c < 10; c++)
        {
            Assert.Equal(data.Dataset.Test.Labels.Count(l => l == c), stored.Confusion[c].Sum()); // rows are true labels
            Assert.Equal((double)stored.Confusion[c][c] / stored.Confusion[c].Sum(), stored.PerClassAccuracy[c], 12);
        }

        Assert.Equal((double)Enumerable.Range(0, 10).Sum(c => stored.Confusion[c][c]) / stored.Count, stored.Accuracy, 12);
    }

    [Fact]
    public void The_stored_evaluation_is_what_evaluating_the_weights_gives()
    {
        var fresh = Evaluation.Evaluate(model.Artifact.Weights, data.Dataset.Test);
        var stored = model.Artifact.Manifest.TestEvaluation!;
        Assert.Equal(fresh.Accuracy, stored.Accuracy);
        Assert.Equal(fresh.Confusion, stored.Confusion);
        Assert.InRange(fresh.Accuracy, 0.75, 1.0);
        Assert.Equal(model.Artifact.Manifest.TestAccuracy, fresh.Accuracy, 2); // the trainer's own forward pass, in libtorch
    }

    [Fact]
    public void Predictions_land_in_the_true_row_and_predicted_column()
    {
        var report = EvaluationReport.From([1, 1, 2, 0], [1, 2, 2, 0]);
        Assert.Equal(1, report.Confusion[1][1]);
        Assert.Equal(1, report.Confusion[2][1]);
        Assert.Equal(1, report.Confusion[2][2]);
        Assert.Equal(0.5, report.PerClassAccuracy[2]);
        Assert.Equal(0.75, report.Accuracy);
        Assert.Equal(4, report.Count);
    }
}

using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Training;

/// <summary>The trained weights and how training went.</summary>
public sealed record TrainingResult(ModelWeights Weights, TrainingOptions Options, IReadOnlyList<EpochMetrics> Epochs)
{
    public double TestAccuracy => Epochs[^1].TestAccuracy;

    /// <summary>Packages the result as a model artifact with a complete manifest.</summary>
    public ModelArtifact ToArtifact(FashionMnistDataset dataset, string? modelId = null, DateTimeOffset? createdAt = null)
    {
        var created = createdAt ?? DateTimeOffset.UtcNow;
        var manifest = new ModelManifest
        {
            ModelId = modelId ?? ModelId.New(created),
            CreatedAt = created,
            Hyperparameters = Options,
            Epochs = Epochs,
            TestAccuracy = TestAccuracy,
            DatasetSource = dataset.Source,
            DatasetSha256 = dataset.Sha256ByFile,
            LibraryVersions = LibraryVersions.Current,
            TestEvaluation = Evaluation.Evaluate(Weights, dataset.Test),
        };
        return ModelArtifact.Create(Weights, manifest);
    }
}

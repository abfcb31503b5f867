using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Training;

/// <summary>The trained weights and how training went.</summary>
public sealed record TrainingResult(ModelWeights Weights, TrainingOptions Options, IReadOnlyList<EpochMetrics> Epochs)
{
    public double TestAccuracy => Epochs[^1].TestAccuracy;

    /// <summary>The final validation accuracy; null when the run held out no validation split.</summary>
    public double? ValidationAccuracy => Epochs[^1].ValidationAccuracy;

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
            HiddenUnits = Weights.HiddenUnits,
            ValidationSize = Options.ValidationSize,
            ValidationAccuracy = ValidationAccuracy,
            DatasetSource = dataset.Source,
            DatasetSha256 = dataset.Sha256ByFile,
            LibraryVersions = LibraryVersions.Current,
            TestEvaluation = Evaluation.Evaluate(Weights, dataset.Test),
        };
        return ModelArtifact.Create(Weights, manifest);
    }
}

using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Modeling;

/// <summary>What a saved model is, how it was trained and how well it does; stored as manifest.json beside the weights.</summary>
public sealed record ModelManifest
{
    public const string CurrentFormat = "fashion-functions/model-manifest@1";

    public string Format { get; init; } = CurrentFormat;
    public required string ModelId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string Architecture => $"Flatten(28x28) -> Dense({HiddenUnits}, relu) -> Dense(10) logits";
    public int HiddenUnits { get; init; } = FashionMlp.HiddenUnits;
    public int ParameterCount => FashionMlp.ParameterCountFor(HiddenUnits);
    public required TrainingOptions Hyperparameters { get; init; }
    public required IReadOnlyList<EpochMetrics> Epochs { get; init; }
    public required double TestAccuracy { get; init; }

    /// <summary>How many of the last training images were held out for validation (0: none).</summary>
    public int ValidationSize { get; init; }

    public double? ValidationAccuracy { get; init; }
    public IReadOnlyList<string> ClassNames { get; init; } = Data.FashionMnistClasses.Names;
    public required string DatasetSource { get; init; }
    public required IReadOnlyDictionary<string, string> DatasetSha256 { get; init; }
    public required IReadOnlyDictionary<string, string> LibraryVersions { get; init; }
    public string WeightsFile { get; init; } = ModelArtifact.WeightsFileName;
    public string WeightsSha256 { get; init; } = "";

    /// <summary>Accuracy per class and the confusion matrix on the test set, computed when the model was made
    /// (absent from manifests written before they were recorded).</summary>
    public EvaluationReport? TestEvaluation { get; init; }
}

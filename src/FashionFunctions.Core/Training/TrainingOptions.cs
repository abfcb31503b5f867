using System.ComponentModel.DataAnnotations;

namespace FashionFunctions.Core.Training;

/// <summary>Hyperparameters, defaulting to the Keras tutorial's (Adam's defaults as Keras sets them).</summary>
public sealed record TrainingOptions
{
    private const int TrainingImages = 60_000;

    [Range(1, 200)]
    public int Epochs { get; init; } = 10;

    [Range(1, 4096)]
    public int BatchSize { get; init; } = 32;

    [Range(1e-6, 1.0)]
    public double LearningRate { get; init; } = 0.001;

    [Range(0.0, 0.999999)]
    public double Beta1 { get; init; } = 0.9;

    [Range(0.0, 0.999999)]
    public double Beta2 { get; init; } = 0.999;

    [Range(1e-12, 1.0)]
    public double Epsilon { get; init; } = 1e-7;

    public long Seed { get; init; } = 42;

    /// <summary>The hidden layer's width.</summary>
    [Range(1, Modeling.FashionMlp.MaxHiddenUnits)]
    public int HiddenUnits { get; init; } = Modeling.FashionMlp.HiddenUnits;

    /// <summary>Hold out the last N training images for validation (0: none, train on all of them).</summary>
    [Range(0, TrainingImages - 1)]
    public int ValidationSize { get; init; }

    /// <summary>Train on only the first N of the training images before the validation split (for quick runs and
    /// tests); null for all of them.</summary>
    [Range(1, int.MaxValue)]
    public int? TrainLimit { get; init; }

    /// <summary>Evaluate on only the first N test images; null for all.</summary>
    [Range(1, int.MaxValue)]
    public int? TestLimit { get; init; }

    /// <summary>Throws <see cref="InvalidTrainingOptionsException"/> naming the first field out of range.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            var first = results[0];
            string name = first.MemberNames.FirstOrDefault() ?? "options";
            string field = char.ToLowerInvariant(name[0]) + name[1..];
            throw new InvalidTrainingOptionsException(field, (first.ErrorMessage ?? "out of range").Replace(name, field, StringComparison.Ordinal));
        }

        if (TrainLimit > TrainingImages - ValidationSize)
        {
            throw new InvalidTrainingOptionsException(
                "trainLimit", $"trainLimit {TrainLimit} overlaps the validation split: only {TrainingImages - ValidationSize} of the {TrainingImages} training images precede the last {ValidationSize}.");
        }
    }
}

using System.Security.Cryptography;
using System.Text.Json;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Jobs;

/// <summary>What a caller may ask of a training job; absent fields take the Keras defaults.</summary>
public sealed record TrainingJobRequest
{
    public int? Epochs { get; init; }
    public int? BatchSize { get; init; }
    public double? LearningRate { get; init; }
    public long? Seed { get; init; }

    /// <summary>Make the model current when training succeeds (unless a newer one already is). Default true.</summary>
    public bool? Promote { get; init; }

    /// <summary>Train on the first N images only: quick jobs for tests and demos.</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Units in the hidden layer (default 128, as the tutorial).</summary>
    public int? HiddenUnits { get; init; }

    /// <summary>Hold out the last N training images for validation (default none).</summary>
    public int? ValidationSize { get; init; }

    /// <summary>Throws <see cref="InvalidTrainingOptionsException"/> naming the first invalid field (camelCase, as in JSON).</summary>
    public TrainingOptions ToOptions()
    {
        var defaults = new TrainingOptions();
        var options = defaults with
        {
            Epochs = Epochs ?? defaults.Epochs,
            BatchSize = BatchSize ?? defaults.BatchSize,
            LearningRate = LearningRate ?? defaults.LearningRate,
            Seed = Seed ?? defaults.Seed,
            TrainLimit = TrainLimit,
            HiddenUnits = HiddenUnits ?? defaults.HiddenUnits,
            ValidationSize = ValidationSize ?? defaults.ValidationSize,
        };
        options.Validate();
        return options;
    }

    /// <summary>SHA-256 of the request as parsed (so whitespace and field order do not matter): what an
    /// idempotency key is bound to.</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(this, ModelJson.Options)));
}

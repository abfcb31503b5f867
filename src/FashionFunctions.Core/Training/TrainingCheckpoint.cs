using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FashionFunctions.Core.Modeling;

namespace FashionFunctions.Core.Training;

/// <summary>
/// Everything needed to continue a training run bit-exactly after an epoch: the options, the flat parameters and
/// Adam's moments and step count (in <see cref="FusedAdamTrainer"/>'s layout), and the metrics so far. The next
/// epoch's data order is a function of (seed, epoch), so no random-number state is needed.
/// </summary>
/// <remarks>Serialised as a safetensors file whose metadata holds the rest and a SHA-256 over all of it.</remarks>
public sealed class TrainingCheckpoint
{
    public const string Format = "fashion-functions/training-checkpoint@1";

    private const string FormatKey = "format", OptionsKey = "options", EpochsCompletedKey = "epochsCompleted",
        AdamStepKey = "adamStep", EpochsKey = "epochs", CodePathKey = "codePath", ChecksumKey = "sha256";

    private const string ParametersName = "parameters", FirstMomentName = "first_moment", SecondMomentName = "second_moment";

    public required TrainingOptions Options { get; init; }
    public required int EpochsCompleted { get; init; }
    public required long AdamStep { get; init; }
    public required float[] Parameters { get; init; }
    public required float[] FirstMoment { get; init; }
    public required float[] SecondMoment { get; init; }
    public required IReadOnlyList<EpochMetrics> Epochs { get; init; }

    /// <summary>The <see cref="CpuCodePath"/> the run that wrote it trained on (null in checkpoints from before it was recorded).</summary>
    public string? CodePath { get; init; } = CpuCodePath.Current;

    public byte[] ToBytes()
    {
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = Format,
            [OptionsKey] = JsonSerializer.Serialize(Options, ModelJson.Options),
            [EpochsCompletedKey] = EpochsCompleted.ToString(CultureInfo.InvariantCulture),
            [AdamStepKey] = AdamStep.ToString(CultureInfo.InvariantCulture),
            [EpochsKey] = JsonSerializer.Serialize(Epochs, ModelJson.Options),
        };
        if (CodePath is not null)
        {
            metadata[CodePathKey] = CodePath;
        }

        var tensors = Tensors(Parameters, FirstMoment, SecondMoment);
        metadata[ChecksumKey] = Checksum(metadata, tensors);
        return SafeTensorsFile.Write(tensors, metadata);
    }

    public static TrainingCheckpoint FromBytes(byte[] bytes)
    {
        SafeTensorsContent content;
        try
        {
            content = SafeTensorsFile.Read(bytes);
        }
        catch (InvalidModelException e)
        {
            throw new InvalidCheckpointException($"The checkpoint is not a readable safetensors file: {e.Message}", e);
        }

        var metadata = content.Metadata.ToDictionary();
        if (!metadata.Remove(ChecksumKey, out string? checksum) || metadata.GetValueOrDefault(FormatKey) != Format)
        {
            throw new InvalidCheckpointException($"The file is not a {Format} checkpoint.");
        }

        float[] Tensor(string name) => content.Tensors.FirstOrDefault(t => t.Name == name && t.Shape.Length == 1)?.Values
            ?? throw new InvalidCheckpointException($"The checkpoint has no one-dimensional tensor {name}.");
        float[] parameters = Tensor(ParametersName), firstMoment = Tensor(FirstMomentName), secondMoment = Tensor(SecondMomentName);
        long expectedLength = 8 + BinaryPrimitives.ReadInt64LittleEndian(bytes) + 4L * (parameters.Length + firstMoment.Length + secondMoment.Length);
        if (content.Tensors.Count != 3 || bytes.Length != expectedLength || checksum != Checksum(metadata, Tensors(parameters, firstMoment, secondMoment)))
        {
            throw new InvalidCheckpointException("The checkpoint fails its checksum: it is corrupt.");
        }

        TrainingCheckpoint checkpoint;
        try
        {
            checkpoint = new TrainingCheckpoint
            {
                Options = JsonSerializer.Deserialize<TrainingOptions>(metadata[OptionsKey], ModelJson.Options) ?? throw new JsonException("null options"),
                EpochsCompleted = int.Parse(metadata[EpochsCompletedKey], CultureInfo.InvariantCulture),
                AdamStep = long.Parse(metadata[AdamStepKey], CultureInfo.InvariantCulture),
                Parameters = parameters,
                FirstMoment = firstMoment,
                SecondMoment = secondMoment,
                Epochs = JsonSerializer.Deserialize<List<EpochMetrics>>(metadata[EpochsKey], ModelJson.Options) ?? throw new JsonException("null epochs"),
                CodePath = metadata.GetValueOrDefault(CodePathKey),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException or KeyNotFoundException)
        {
            throw new InvalidCheckpointException("The checkpoint's metadata is malformed.", e);
        }

        checkpoint.Validate();
        return checkpoint;
    }

    /// <summary>Throws <see cref="InvalidCheckpointException"/> unless the parts agree with each other.</summary>
    internal void Validate()
    {
        try
        {
            Options.Validate();
        }
        catch (InvalidTrainingOptionsException e)
        {
            throw new InvalidCheckpointException($"The checkpoint's options are invalid: {e.Message}", e);
        }

        int count = FashionMlp.ParameterCountFor(Options.HiddenUnits);
        if (Parameters.Length != count || FirstMoment.Length != count || SecondMoment.Length != count)
        {
            throw new InvalidCheckpointException($"A model {Options.HiddenUnits} units wide has {count} parameters; the checkpoint holds {Parameters.Length}, {FirstMoment.Length} and {SecondMoment.Length} values.");
        }

        if (EpochsCompleted < 1 || EpochsCompleted > Options.Epochs || Epochs.Count != EpochsCompleted || AdamStep < EpochsCompleted)
        {
            throw new InvalidCheckpointException($"The checkpoint says {EpochsCompleted} of {Options.Epochs} epochs after {AdamStep} steps with {Epochs.Count} epochs' metrics.");
        }
    }

    /// <summary>The trainer's state after the epochs in <paramref name="epochs"/>.</summary>
    internal static TrainingCheckpoint Of(FusedAdamTrainer trainer, TrainingOptions options, IReadOnlyList<EpochMetrics> epochs)
    {
        int count = FashionMlp.ParameterCountFor(trainer.HiddenUnits);
        var checkpoint = new TrainingCheckpoint
        {
            Options = options,
            EpochsCompleted = epochs.Count,
            AdamStep = trainer.AdamStep,
            Parameters = new float[count],
            FirstMoment = new float[count],
            SecondMoment = new float[count],
            Epochs = [.. epochs],
        };
        trainer.CopyStateTo(checkpoint.Parameters, checkpoint.FirstMoment, checkpoint.SecondMoment);
        return checkpoint;
    }

    private static NamedTensor[] Tensors(float[] parameters, float[] firstMoment, float[] secondMoment) =>
    [
        new(ParametersName, [parameters.Length], parameters),
        new(FirstMomentName, [firstMoment.Length], firstMoment),
        new(SecondMomentName, [secondMoment.Length], secondMoment),
    ];

    /// <summary>SHA-256 over the metadata (sorted, without the checksum) and the tensors' names and values.</summary>
    private static string Checksum(IReadOnlyDictionary<string, string> metadata, IEnumerable<NamedTensor> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (key, value) in metadata.Where(kv => kv.Key != ChecksumKey).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{key.Length}:{key}{value.Length}:{value}"));
        }

        foreach (var tensor in tensors)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{tensor.Name}:{tensor.Values.Length}:"));
            hash.AppendData(MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}

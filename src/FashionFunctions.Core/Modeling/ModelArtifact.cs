using System.Security.Cryptography;
using System.Text.Json;

namespace FashionFunctions.Core.Modeling;

/// <summary>A trained model as stored: model.safetensors plus manifest.json, checked against each other.</summary>
public sealed class ModelArtifact
{
    public const string WeightsFileName = "model.safetensors";
    public const string ManifestFileName = "manifest.json";

    private ModelArtifact(ModelManifest manifest, byte[] weightsFile, ModelWeights weights)
    {
        Manifest = manifest;
        WeightsFile = weightsFile;
        Weights = weights;
    }

    public ModelManifest Manifest { get; }
    public byte[] WeightsFile { get; }
    public ModelWeights Weights { get; }
    public string ModelId => Manifest.ModelId;

    /// <summary>Serialises the weights and stamps their SHA-256 into the manifest.</summary>
    public static ModelArtifact Create(ModelWeights weights, ModelManifest manifest)
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["model_id"] = manifest.ModelId };
        byte[] file = SafeTensorsFile.Write(weights.Tensors, metadata);
        return new ModelArtifact(manifest with { WeightsSha256 = Sha256(file) }, file, weights);
    }

    /// <summary>Validates the manifest, the checksum, and every tensor's name, shape and dtype.</summary>
    public static ModelArtifact FromBytes(byte[] weightsFile, byte[] manifestJson)
    {
        ModelManifest manifest = ParseManifest(manifestJson);
        string actual = Sha256(weightsFile);
        if (!string.Equals(actual, manifest.WeightsSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidModelException($"Model {manifest.ModelId}: the weights file's SHA-256 is {actual} but the manifest says {manifest.WeightsSha256}.");
        }

        var weights = ModelWeights.FromTensors(SafeTensorsFile.Read(weightsFile).Tensors);
        return new ModelArtifact(manifest, weightsFile, weights);
    }

    public static ModelManifest ParseManifest(byte[] manifestJson)
    {
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(manifestJson, ModelJson.Options);
        }
        catch (JsonException e)
        {
            throw new InvalidModelException($"The manifest is not valid JSON: {e.Message}", e);
        }

        if (manifest is null || manifest.Format != ModelManifest.CurrentFormat || !Modeling.ModelId.IsValid(manifest.ModelId))
        {
            throw new InvalidModelException($"The manifest is not a {ModelManifest.CurrentFormat} manifest with a valid model id.");
        }

        return manifest;
    }

    public byte[] ManifestJson() => JsonSerializer.SerializeToUtf8Bytes(Manifest, ModelJson.Options);

    public async Task SaveToDirectoryAsync(string directory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, WeightsFileName), WeightsFile, cancellationToken).ConfigureAwait(false);
        await File.WriteAllBytesAsync(Path.Combine(directory, ManifestFileName), ManifestJson(), cancellationToken).ConfigureAwait(false);
    }

    public static async Task<ModelArtifact> LoadFromDirectoryAsync(string directory, CancellationToken cancellationToken = default)
    {
        string weightsPath = Path.Combine(directory, WeightsFileName);
        string manifestPath = Path.Combine(directory, ManifestFileName);
        foreach (string path in new[] { weightsPath, manifestPath })
        {
            if (!File.Exists(path))
            {
                throw new InvalidModelException($"{path} does not exist.");
            }
        }

        return FromBytes(
            await File.ReadAllBytesAsync(weightsPath, cancellationToken).ConfigureAwait(false),
            await File.ReadAllBytesAsync(manifestPath, cancellationToken).ConfigureAwait(false));
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}

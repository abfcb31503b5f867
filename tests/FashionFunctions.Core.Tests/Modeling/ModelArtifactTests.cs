using System.Text;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Tests.Support;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Tests.Modeling;

public class ModelArtifactTests
{
    internal static ModelArtifact MakeArtifact(long seed = 3, int hiddenUnits = FashionMlp.HiddenUnits)
    {
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        using var model = new FashionMlp(hiddenUnits, generator);
        var manifest = new ModelManifest
        {
            ModelId = "fmnist-test-model",
            CreatedAt = DateTimeOffset.Parse("2026-01-02T03:04:05Z"),
            Hyperparameters = new TrainingOptions { HiddenUnits = hiddenUnits },
            HiddenUnits = hiddenUnits,
            Epochs = [new EpochMetrics(1, 0.5, 0.8, 0.79, 1.0)],
            TestAccuracy = 0.79,
            DatasetSource = "test",
            DatasetSha256 = new Dictionary<string, string> { ["f"] = "00" },
            LibraryVersions = LibraryVersions.Current,
        };
        return ModelArtifact.Create(ModelWeights.FromModule(model), manifest);
    }

    [Fact]
    public async Task Saves_and_loads_weights_and_manifest()
    {
        var artifact = MakeArtifact();
        using var temp = new TempDirectory();
        await artifact.SaveToDirectoryAsync(temp.Path);
        var loaded = await ModelArtifact.LoadFromDirectoryAsync(temp.Path);

        Assert.Equal("fmnist-test-model", loaded.ModelId);
        Assert.Equal(artifact.Manifest.WeightsSha256, loaded.Manifest.WeightsSha256);
        Assert.Equal(64, loaded.Manifest.WeightsSha256.Length);
        Assert.Equal(artifact.Weights["hidden.weight"].Values, loaded.Weights["hidden.weight"].Values);
        Assert.Equal(10, loaded.Manifest.ClassNames.Count);
        Assert.Equal(101_770, loaded.Manifest.ParameterCount);
        Assert.Contains("torchsharp", loaded.Manifest.LibraryVersions.Keys);
    }

    [Fact]
    public void Manifest_json_has_the_documented_fields()
    {
        string json = Encoding.UTF8.GetString(MakeArtifact().ManifestJson());
        foreach (string field in new[] { "modelId", "createdAt", "architecture", "hyperparameters", "seed", "epochs", "testAccuracy", "classNames", "datasetSha256", "libraryVersions", "weightsSha256" })
        {
            Assert.Contains($"\"{field}\"", json);
        }
    }

    [Fact]
    public void A_tampered_weights_file_fails_the_checksum()
    {
        var artifact = MakeArtifact();
        byte[] weights = (byte[])artifact.WeightsFile.Clone();
        weights[^1] ^= 0xFF;
        var e = Assert.Throws<InvalidModelException>(() => ModelArtifact.FromBytes(weights, artifact.ManifestJson()));
        Assert.Contains("SHA-256", e.Message);
    }

    [Fact]
    public async Task A_model_of_another_width_saves_and_loads_with_its_width()
    {
        var artifact = MakeArtifact(hiddenUnits: 48);
        using var temp = new TempDirectory();
        await artifact.SaveToDirectoryAsync(temp.Path);
        var loaded = await ModelArtifact.LoadFromDirectoryAsync(temp.Path);

        Assert.Equal(48, loaded.Weights.HiddenUnits);
        Assert.Equal([48, 784], loaded.Weights["hidden.weight"].Shape);
        Assert.Equal(48, loaded.Manifest.HiddenUnits);
        Assert.Equal(FashionMlp.ParameterCountFor(48), loaded.Manifest.ParameterCount);
        Assert.Contains("Dense(48, relu)", loaded.Manifest.Architecture);
        using var module = loaded.Weights.ToModule();
        Assert.Equal(48, module.Width);
    }

    [Fact]
    public void Weights_whose_shapes_disagree_with_the_hidden_width_are_refused()
    {
        var tensors = Zeros(128);
        tensors[0] = new NamedTensor("hidden.weight", [64, 784], new float[64 * 784]);
        var e = Assert.Throws<InvalidModelException>(() => ModelWeights.FromTensors(tensors));
        Assert.Contains("hidden.bias has shape [128]; expected [64]", e.Message);

        tensors = Zeros(128);
        tensors[2] = new NamedTensor("output.weight", [10, 127], new float[10 * 127]);
        Assert.Contains("expected [10, 128]", Assert.Throws<InvalidModelException>(() => ModelWeights.FromTensors(tensors)).Message);

        tensors = Zeros(128);
        tensors[0] = new NamedTensor("hidden.weight", [128, 783], new float[128 * 783]);
        Assert.Contains("[128, 783]", Assert.Throws<InvalidModelException>(() => ModelWeights.FromTensors(tensors)).Message);

        Assert.Throws<InvalidModelException>(() => ModelWeights.FromTensors(Zeros(FashionMlp.MaxHiddenUnits + 1)));
    }

    private static List<NamedTensor> Zeros(int hiddenUnits) =>
        ModelWeights.LayoutFor(hiddenUnits).Select(l => new NamedTensor(l.Name, l.Shape, new float[l.Shape.Aggregate(1, (a, b) => a * b)])).ToList();

    [Fact]
    public void Missing_or_unexpected_tensors_are_refused()
    {
        var all = Zeros(FashionMlp.HiddenUnits);
        Assert.Contains("output.bias is missing", Assert.Throws<InvalidModelException>(() => ModelWeights.FromTensors(all.Take(3))).Message);
        Assert.Contains("Unexpected tensor extra", Assert.Throws<InvalidModelException>(() => ModelWeights.FromTensors([.. all, new NamedTensor("extra", [1], [0])])).Message);
    }

    [Fact]
    public void A_manifest_that_is_not_json_is_refused()
    {
        var artifact = MakeArtifact();
        Assert.Throws<InvalidModelException>(() => ModelArtifact.FromBytes(artifact.WeightsFile, "{not json"u8.ToArray()));
        Assert.Throws<InvalidModelException>(() => ModelArtifact.FromBytes(artifact.WeightsFile, "{\"modelId\":\"../../etc\"}"u8.ToArray()));
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Tests.Modeling;

/// <summary>Manifests and pointers already in storage stay readable, and new ones are written as before.</summary>
public class ModelJsonTests
{
    private static readonly JsonSerializerOptions ByReflection = new(ModelJson.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    public static TheoryData<object> StoredDocuments() => new()
    {
        ModelArtifactTests.MakeArtifact().Manifest with
        {
            ValidationSize = 10_000,
            ValidationAccuracy = 0.875,
            TestEvaluation = EvaluationReport.From([1, 1, 2, 0, 9], [1, 2, 2, 0, 9]),
            Hyperparameters = new TrainingOptions { Epochs = 7, LearningRate = 0.002, Seed = 11 },
        },
        new CurrentModelPointer("fmnist-20260102-030405-abc", DateTimeOffset.Parse("2026-01-02T03:04:05Z"), DateTimeOffset.Parse("2026-01-02T03:05:00+01:00")),
    };

    [Theory]
    [MemberData(nameof(StoredDocuments))]
    public void The_compiled_serializers_write_and_read_exactly_what_reflection_does(object document)
    {
        var type = document.GetType();
        string byReflection = JsonSerializer.Serialize(document, type, ByReflection);

        Assert.IsAssignableFrom<JsonSerializerContext>(ModelJson.Options.GetTypeInfo(type).OriginatingResolver);
        Assert.Equal(byReflection, JsonSerializer.Serialize(document, type, ModelJson.Options));
        Assert.Equal(byReflection, JsonSerializer.Serialize(JsonSerializer.Deserialize(byReflection, type, ModelJson.Options), type, ByReflection));
    }
}

using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Tests.Support;

/// <summary>A model trained briefly on real data (about 0.83 test accuracy), shared by the inference tests.</summary>
public sealed class TrainedModelFixture
{
    private static readonly Lazy<ModelArtifact> Shared = new(() =>
    {
        var dataset = new FashionMnistFixture().Dataset;
        var result = Trainer.Train(dataset, new TrainingOptions { Epochs = 2, TrainLimit = 20_000, Seed = 11 });
        return result.ToArtifact(dataset, "fmnist-fixture-model");
    });

    public ModelArtifact Artifact => Shared.Value;
}

[CollectionDefinition(Name)]
public sealed class TrainedModelCollection : ICollectionFixture<TrainedModelFixture>, ICollectionFixture<FashionMnistFixture>
{
    public const string Name = "Trained model";
}

using FashionFunctions.Core.Data;

namespace FashionFunctions.Core.Tests.Support;

/// <summary>The real dataset from Debian's dataset-fashion-mnist package, loaded once per test run.</summary>
public sealed class FashionMnistFixture
{
    private static readonly Lazy<FashionMnistDataset> Shared = new(() =>
        FashionMnistLoader.LoadAsync(new LocalDirectoryDatasetSource(LocalDirectoryDatasetSource.DebianPackageDirectory)).GetAwaiter().GetResult());

    public FashionMnistDataset Dataset => Shared.Value;
}

[CollectionDefinition(Name)]
public sealed class FashionMnistCollection : ICollectionFixture<FashionMnistFixture>
{
    public const string Name = "Fashion-MNIST";
}

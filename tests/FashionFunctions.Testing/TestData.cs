using FashionFunctions.Core.Data;

namespace FashionFunctions.Testing;

public static class TestData
{
    private static readonly Lazy<FashionMnistDataset> Shared = new(() =>
        FashionMnistLoader.LoadAsync(new LocalDirectoryDatasetSource(LocalDirectoryDatasetSource.DebianPackageDirectory)).GetAwaiter().GetResult());

    public static FashionMnistSplit Test => Shared.Value.Test;
}

using FashionFunctions.Core.Data;
using FashionFunctions.Core.Tests.Support;

namespace FashionFunctions.Core.Tests.Data;

[Collection(FashionMnistCollection.Name)]
public class FashionMnistLoaderTests(FashionMnistFixture fixture)
{
    [Fact]
    public void Loads_the_canonical_files_from_the_Debian_package()
    {
        var dataset = fixture.Dataset;
        Assert.Equal(60_000, dataset.Train.Count);
        Assert.Equal(10_000, dataset.Test.Count);
        Assert.True(dataset.IsCanonical);
        Assert.Equal(FashionMnistFile.TrainImages.Sha256, dataset.Sha256ByFile["train-images-idx3-ubyte"]);
        Assert.Equal(9, dataset.Train.Labels[0]); // the first training image is an ankle boot
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Loads_a_directory_of_gzip_or_raw_files(bool gzip)
    {
        using var temp = new TempDirectory();
        IdxBuilder.WriteDataset(temp.Path, trainCount: 12, testCount: 7, gzip: gzip);
        var dataset = await FashionMnistLoader.LoadAsync(new LocalDirectoryDatasetSource(temp.Path));
        Assert.Equal(12, dataset.Train.Count);
        Assert.Equal(7, dataset.Test.Count);
        Assert.False(dataset.IsCanonical);
    }

    [Fact]
    public async Task A_missing_file_is_named_in_the_error()
    {
        using var temp = new TempDirectory();
        IdxBuilder.WriteDataset(temp.Path);
        File.Delete(temp.File(FashionMnistFile.TestLabels.GzipName));
        var e = await Assert.ThrowsAsync<InvalidDatasetException>(() => FashionMnistLoader.LoadAsync(new LocalDirectoryDatasetSource(temp.Path)));
        Assert.Equal("t10k-labels-idx1-ubyte", e.FileName);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public async Task Image_and_label_counts_must_match()
    {
        using var temp = new TempDirectory();
        IdxBuilder.WriteDataset(temp.Path, trainCount: 10);
        File.WriteAllBytes(temp.File(FashionMnistFile.TrainLabels.GzipName), IdxBuilder.Gzip(IdxBuilder.Labels(9)));
        var e = await Assert.ThrowsAsync<InvalidDatasetException>(() => FashionMnistLoader.LoadAsync(new LocalDirectoryDatasetSource(temp.Path)));
        Assert.Contains("10 images", e.Message);
        Assert.Contains("9 labels", e.Message);
    }
}

using Azure.Storage.Blobs;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Tests.Support;
using FashionFunctions.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Core.Tests.Storage;

[Trait("Category", "Azurite")]
public class DatasetBlobSeederTests(AzuriteProcess azurite) : IClassFixture<AzuriteProcess>
{
    private BlobContainerClient NewContainer() =>
        new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("datasets-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task Seeds_missing_files_once_and_trains_from_the_blobs()
    {
        using var temp = new TempDirectory();
        IdxBuilder.WriteDataset(temp.Path, trainCount: 30, testCount: 10);
        var container = NewContainer();
        var seeder = new DatasetBlobSeeder(container, NullLogger<DatasetBlobSeeder>.Instance);

        Assert.Equal(4, await seeder.EnsureSeededAsync(new LocalDirectoryDatasetSource(temp.Path)));
        Assert.Equal(0, await seeder.EnsureSeededAsync(new LocalDirectoryDatasetSource(temp.Path)));

        var dataset = await FashionMnistLoader.LoadAsync(new BlobDatasetSource(container));
        Assert.Equal(30, dataset.Train.Count);
        Assert.Contains("/fashion-mnist/", dataset.Source);
    }

    [Fact]
    public async Task A_corrupt_source_file_is_never_uploaded()
    {
        using var temp = new TempDirectory();
        IdxBuilder.WriteDataset(temp.Path);
        byte[] gz = File.ReadAllBytes(temp.File(FashionMnistFile.TestImages.GzipName));
        File.WriteAllBytes(temp.File(FashionMnistFile.TestImages.GzipName), gz[..(gz.Length / 2)]);
        var container = NewContainer();

        var e = await Assert.ThrowsAsync<InvalidDatasetException>(() =>
            new DatasetBlobSeeder(container, NullLogger<DatasetBlobSeeder>.Instance).EnsureSeededAsync(new LocalDirectoryDatasetSource(temp.Path)));

        Assert.Equal("t10k-images-idx3-ubyte", e.FileName);
        Assert.False(await container.GetBlobClient(StorageNames.DatasetPrefix + FashionMnistFile.TestImages.GzipName).ExistsAsync());
    }

    [Fact]
    public async Task A_missing_blob_is_named()
    {
        var container = NewContainer();
        await container.CreateAsync();
        var e = await Assert.ThrowsAsync<InvalidDatasetException>(() => FashionMnistLoader.LoadAsync(new BlobDatasetSource(container)));
        Assert.Equal("train-images-idx3-ubyte", e.FileName);
    }
}

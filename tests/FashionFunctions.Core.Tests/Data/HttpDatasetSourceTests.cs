using FashionFunctions.Core.Data;
using FashionFunctions.Core.Tests.Support;
using FashionFunctions.Testing;

namespace FashionFunctions.Core.Tests.Data;

public class HttpDatasetSourceTests
{
    private static Dictionary<string, byte[]> CanonicalGzipFiles() =>
        FashionMnistFile.All.ToDictionary(f => f.GzipName, f => File.ReadAllBytes(Path.Combine(RepoPaths.DebianDataset, f.GzipName)));

    [Fact]
    public async Task Downloads_verifies_and_caches_the_canonical_files()
    {
        using var server = new LoopbackFileServer(CanonicalGzipFiles());
        using var cache = new TempDirectory();
        using var http = new HttpClient();
        var source = new HttpDatasetSource(http, server.BaseUri, cache.Path);

        var dataset = await FashionMnistLoader.LoadAsync(source);
        Assert.True(dataset.IsCanonical);
        Assert.Equal(4, server.Requests);

        await FashionMnistLoader.LoadAsync(source);
        Assert.Equal(4, server.Requests); // served from the cache the second time
    }

    [Fact]
    public async Task A_corrupted_download_is_refused_and_not_cached()
    {
        var files = CanonicalGzipFiles();
        byte[] labels = IdxReader.ReadAllUncompressed(new MemoryStream(files[FashionMnistFile.TrainLabels.GzipName]), "l");
        labels[100] = (byte)((labels[100] + 1) % 10); // still a valid IDX file, but not the canonical one
        files[FashionMnistFile.TrainLabels.GzipName] = IdxBuilder.Gzip(labels);
        using var server = new LoopbackFileServer(files);
        using var cache = new TempDirectory();
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<InvalidDatasetException>(() => FashionMnistLoader.LoadAsync(new HttpDatasetSource(http, server.BaseUri, cache.Path)));
        Assert.Equal("train-labels-idx1-ubyte", e.FileName);
        Assert.Contains("SHA-256", e.Message);
        Assert.False(File.Exists(cache.File(FashionMnistFile.TrainLabels.GzipName)));
        Assert.Empty(Directory.GetFiles(cache.Path, "*.part"));
    }

    [Fact]
    public async Task A_missing_file_on_the_mirror_names_the_status()
    {
        using var server = new LoopbackFileServer([]);
        using var cache = new TempDirectory();
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<InvalidDatasetException>(() => FashionMnistLoader.LoadAsync(new HttpDatasetSource(http, server.BaseUri, cache.Path)));
        Assert.Contains("HTTP 404", e.Message);
    }

    [Fact]
    public async Task A_server_error_from_the_mirror_is_transient_not_a_verdict_on_the_dataset()
    {
        using var server = new LoopbackFileServer(CanonicalGzipFiles()) { FailNext = 1 };
        using var cache = new TempDirectory();
        using var http = new HttpClient();
        var source = new HttpDatasetSource(http, server.BaseUri, cache.Path);

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => FashionMnistLoader.LoadAsync(source));
        Assert.True(Core.Storage.TransientFaults.IsTransient(e));
        Assert.Contains("503", e.Message);
        Assert.True((await FashionMnistLoader.LoadAsync(source)).IsCanonical); // the retry succeeds
    }
}

using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
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

    [Fact]
    public void The_limits_are_the_files_known_lengths()
    {
        Assert.Equal(47_040_016, HttpDatasetSource.UncompressedLength(FashionMnistFile.TrainImages));
        Assert.Equal(60_008, HttpDatasetSource.UncompressedLength(FashionMnistFile.TrainLabels));
        Assert.Equal(7_840_016, HttpDatasetSource.UncompressedLength(FashionMnistFile.TestImages));
        Assert.Equal(10_008, HttpDatasetSource.UncompressedLength(FashionMnistFile.TestLabels));
        // The canonical gzip files fit with room to spare; the limit is not much larger than the raw file.
        foreach (var file in FashionMnistFile.All)
        {
            long gzip = new FileInfo(Path.Combine(RepoPaths.DebianDataset, file.GzipName)).Length;
            Assert.InRange(HttpDatasetSource.MaxDownloadBytes(file), gzip, HttpDatasetSource.UncompressedLength(file) * 2 + (128 << 10));
        }
    }

    [Fact]
    public async Task A_download_declaring_more_than_the_file_can_be_is_refused_and_not_cached()
    {
        var file = FashionMnistFile.TestLabels;
        var files = CanonicalGzipFiles();
        files[file.GzipName] = new byte[HttpDatasetSource.MaxDownloadBytes(file) + 1];
        using var server = new LoopbackFileServer(files);
        using var cache = new TempDirectory();
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<InvalidDatasetException>(() => new HttpDatasetSource(http, server.BaseUri, cache.Path).OpenAsync(file, default));
        Assert.Equal(file.Name, e.FileName);
        Assert.Contains($"refused: this file is at most {HttpDatasetSource.MaxDownloadBytes(file)} bytes", e.Message);
        Assert.Empty(Directory.GetFiles(cache.Path));
    }

    [Fact]
    public async Task A_download_of_unknown_length_is_cut_off_at_the_files_limit()
    {
        var file = FashionMnistFile.TestLabels;
        using var server = new EndlessChunkedServer();
        using var cache = new TempDirectory();
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<InvalidDatasetException>(() => new HttpDatasetSource(http, server.BaseUri, cache.Path).OpenAsync(file, default));
        Assert.Contains($"larger than {HttpDatasetSource.MaxDownloadBytes(file)} bytes; refused", e.Message);
        Assert.Empty(Directory.GetFiles(cache.Path));
        // The client hung up: the server never got near the end of what it would have sent.
        Assert.InRange(await server.SentAsync(), HttpDatasetSource.MaxDownloadBytes(file), EndlessChunkedServer.MostBytes / 2);
    }

    [Fact]
    public async Task A_decompression_bomb_is_refused_at_the_files_uncompressed_length()
    {
        var file = FashionMnistFile.TestLabels;
        var files = CanonicalGzipFiles();
        byte[] bomb;
        using (var output = new MemoryStream())
        {
            using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                gzip.Write(new byte[32 << 20]);
            }

            bomb = output.ToArray();
        }

        Assert.True(bomb.Length < HttpDatasetSource.MaxDownloadBytes(file), $"the bomb ({bomb.Length} bytes) must pass the download limit");
        files[file.GzipName] = bomb;
        using var server = new LoopbackFileServer(files);
        using var cache = new TempDirectory();
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<InvalidDatasetException>(() => new HttpDatasetSource(http, server.BaseUri, cache.Path).OpenAsync(file, default));
        Assert.Contains($"decompresses to more than {HttpDatasetSource.UncompressedLength(file)} bytes; refused", e.Message);
        Assert.Empty(Directory.GetFiles(cache.Path));
    }

    /// <summary>Answers one request with a chunked body of zeros, no Content-Length, until the client hangs up or
    /// <see cref="MostBytes"/> are sent.</summary>
    private sealed class EndlessChunkedServer : IDisposable
    {
        public const long MostBytes = 256L << 20;

        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly Task<long> serving;

        public EndlessChunkedServer()
        {
            listener.Start();
            BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/mirror/");
            serving = Task.Run(ServeAsync);
        }

        public Uri BaseUri { get; }

        public Task<long> SentAsync() => serving.WaitAsync(TimeSpan.FromSeconds(30));

        private async Task<long> ServeAsync()
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var request = new byte[8192];
            int received = 0;
            while (!Encoding.ASCII.GetString(request, 0, received).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int read = await stream.ReadAsync(request.AsMemory(received));
                if (read == 0)
                {
                    return 0;
                }

                received += read;
            }

            await stream.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray());
            byte[] chunk = [.. Encoding.ASCII.GetBytes($"{64 * 1024:x}\r\n"), .. new byte[64 * 1024], .. "\r\n"u8];
            long sent = 0;
            try
            {
                while (sent < MostBytes)
                {
                    await stream.WriteAsync(chunk);
                    sent += 64 * 1024;
                }
            }
            catch (IOException)
            {
                // The client hung up.
            }

            return sent;
        }

        public void Dispose() => listener.Stop();
    }
}

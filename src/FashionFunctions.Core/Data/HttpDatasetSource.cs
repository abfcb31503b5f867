using System.IO.Compression;
using System.Security.Cryptography;

namespace FashionFunctions.Core.Data;

/// <summary>
/// Downloads the gzip files from a mirror into a cache directory, verifying each against the canonical SHA-256 of
/// its uncompressed content before it is kept. A file that fails verification is discarded, never cached.
/// Every file's uncompressed length is known, so neither the download nor its decompression may run past what that
/// file can be (<see cref="MaxDownloadBytes"/>, <see cref="UncompressedLength"/>): an oversized answer or a
/// decompression bomb is refused as it arrives, before it fills memory or disk.
/// Network failures and 408/429/5xx answers surface as <see cref="HttpRequestException"/> (transient: a job
/// retries them), a download slower than the client's timeout as <see cref="TimeoutException"/>; only a refusal
/// (other 4xx), an oversized or a corrupt file is an <see cref="InvalidDatasetException"/>.
/// </summary>
public sealed class HttpDatasetSource(HttpClient http, Uri baseUri, string cacheDirectory) : IDatasetSource
{
    /// <summary>An https mirror of the canonical files: the one Keras' fashion_mnist.load_data downloads from. The
    /// mirror the Fashion-MNIST README names is an S3 website endpoint, which answers http only.</summary>
    public static Uri CanonicalMirror { get; } = new("https://storage.googleapis.com/tensorflow/tf-keras-datasets/");

    /// <summary>What a download may carry beyond a file's uncompressed length: gzip's header (which may name the
    /// file) and trailer. Deflate's own worst case, for data it cannot compress, is a 1/1024 share on top.</summary>
    public const int DownloadAllowanceBytes = 64 * 1024;

    private static readonly byte[] GzipSignature = [0x1f, 0x8b];

    public string Description => baseUri.ToString();

    /// <summary>The length of the file's IDX bytes: the header, then one byte per label or 784 per image.</summary>
    public static long UncompressedLength(FashionMnistFile file) =>
        file.Kind == IdxKind.Images ? 16 + (long)file.Count * FashionMnistFile.PixelsPerImage : 8 + (long)file.Count;

    /// <summary>The most bytes a download of the file may have, compressed or not.</summary>
    public static long MaxDownloadBytes(FashionMnistFile file) =>
        UncompressedLength(file) + UncompressedLength(file) / 1024 + DownloadAllowanceBytes;

    public async Task<Stream> OpenAsync(FashionMnistFile file, CancellationToken cancellationToken)
    {
        string cached = Path.Combine(cacheDirectory, file.GzipName);
        if (!File.Exists(cached))
        {
            await DownloadVerifiedAsync(file, cached, cancellationToken).ConfigureAwait(false);
        }

        return File.OpenRead(cached);
    }

    private async Task DownloadVerifiedAsync(FashionMnistFile file, string destination, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(cacheDirectory);
        var uri = new Uri(baseUri, file.GzipName);
        byte[] body = await DownloadAsync(file, uri, cancellationToken).ConfigureAwait(false);
        byte[] uncompressed = Decompress(body, file, uri);
        string actual = Convert.ToHexStringLower(SHA256.HashData(uncompressed));
        if (actual != file.Sha256)
        {
            throw new InvalidDatasetException(file.Name, $"downloaded from {uri} has SHA-256 {actual}, expected {file.Sha256}; discarded.");
        }

        string partial = destination + "." + Guid.NewGuid().ToString("N") + ".part";
        await File.WriteAllBytesAsync(partial, body, cancellationToken).ConfigureAwait(false);
        File.Move(partial, destination, overwrite: true);
    }

    private async Task<byte[]> DownloadAsync(FashionMnistFile file, Uri uri, CancellationToken cancellationToken)
    {
        long max = MaxDownloadBytes(file);
        // The body is read as a stream (so that it can be cut off), which the client's timeout no longer covers.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (http.Timeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(http.Timeout);
        }

        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is 408 or 429 or >= 500)
            {
                // Worth retrying (TransientFaults): not a verdict on the dataset.
                throw new HttpRequestException($"{file.Name}: download from {uri} answered HTTP {status}.", null, response.StatusCode);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidDatasetException(file.Name, $"download from {uri} failed with HTTP {status}.");
            }

            if (response.Content.Headers.ContentLength is long declared && declared > max)
            {
                throw new InvalidDatasetException(file.Name, $"download from {uri} is {declared} bytes; refused: this file is at most {max} bytes.");
            }

            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await ReadAtMostAsync(stream, max, file, uri, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{file.Name}: download from {uri} took longer than {http.Timeout}.", e);
        }
    }

    private static async Task<byte[]> ReadAtMostAsync(Stream stream, long max, FashionMnistFile file, Uri uri, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (body.Length + read > max)
            {
                throw new InvalidDatasetException(file.Name, $"download from {uri} is larger than {max} bytes; refused: this file is at most that.");
            }

            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }

    /// <summary>The IDX bytes of a download: decompressed if it is gzip, never past the file's known length.</summary>
    private static byte[] Decompress(byte[] body, FashionMnistFile file, Uri uri)
    {
        if (body.Length < 2 || body[0] != GzipSignature[0] || body[1] != GzipSignature[1])
        {
            return body;
        }

        long expected = UncompressedLength(file);
        var output = new byte[expected];
        int filled = 0;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
            int read;
            while (filled < output.Length && (read = gzip.Read(output, filled, output.Length - filled)) > 0)
            {
                filled += read;
            }

            if (filled == output.Length && gzip.ReadByte() != -1)
            {
                throw new InvalidDatasetException(file.Name, $"downloaded from {uri} decompresses to more than {expected} bytes; refused: this file is exactly that.");
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDatasetException(file.Name, $"downloaded from {uri} is not a valid gzip stream (truncated or corrupt).", e);
        }

        // Shorter than the file is: the SHA-256 check refuses it.
        return filled == output.Length ? output : output[..filled];
    }
}

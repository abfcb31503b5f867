using System.Security.Cryptography;

namespace FashionFunctions.Core.Data;

/// <summary>
/// Downloads the gzip files from a mirror into a cache directory, verifying each against the canonical SHA-256 of
/// its uncompressed content before it is kept. A file that fails verification is discarded, never cached.
/// Network failures and 408/429/5xx answers surface as <see cref="HttpRequestException"/> (transient: a job
/// retries them); only a refusal (other 4xx) or a corrupt file is an <see cref="InvalidDatasetException"/>.
/// </summary>
public sealed class HttpDatasetSource(HttpClient http, Uri baseUri, string cacheDirectory) : IDatasetSource
{
    /// <summary>The mirror named by the Fashion-MNIST project's README.</summary>
    public static Uri CanonicalMirror { get; } = new("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");

    public string Description => baseUri.ToString();

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
        byte[] body;
        using (var response = await http.GetAsync(uri, cancellationToken).ConfigureAwait(false))
        {
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

            body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }

        byte[] uncompressed = IdxReader.ReadAllUncompressed(new MemoryStream(body), file.Name);
        string actual = Convert.ToHexStringLower(SHA256.HashData(uncompressed));
        if (actual != file.Sha256)
        {
            throw new InvalidDatasetException(file.Name, $"downloaded from {uri} has SHA-256 {actual}, expected {file.Sha256}; discarded.");
        }

        string partial = destination + "." + Guid.NewGuid().ToString("N") + ".part";
        await File.WriteAllBytesAsync(partial, body, cancellationToken).ConfigureAwait(false);
        File.Move(partial, destination, overwrite: true);
    }
}

namespace FashionFunctions.Core.Data;

/// <summary>Turns a setting or command-line value into a dataset source.</summary>
public static class DatasetSources
{
    /// <summary>
    /// An http(s) URL: that mirror, downloaded into <paramref name="cacheDirectory"/> and verified by SHA-256.
    /// A path: that directory. Empty: the Debian package directory if it exists, else the canonical mirror.
    /// </summary>
    public static IDatasetSource FromSetting(string? value, string? cacheDirectory = null)
    {
        cacheDirectory ??= Path.Combine(Path.GetTempPath(), "fashion-functions", "dataset");
        if (string.IsNullOrWhiteSpace(value))
        {
            return Directory.Exists(LocalDirectoryDatasetSource.DebianPackageDirectory)
                ? new LocalDirectoryDatasetSource(LocalDirectoryDatasetSource.DebianPackageDirectory)
                : Download(HttpDatasetSource.CanonicalMirror, cacheDirectory);
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return Download(uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/"), cacheDirectory);
        }

        return new LocalDirectoryDatasetSource(value);
    }

    private static HttpDatasetSource Download(Uri mirror, string cacheDirectory) =>
        new(new HttpClient { Timeout = TimeSpan.FromMinutes(10) }, mirror, cacheDirectory);
}

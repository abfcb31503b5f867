using FashionFunctions.Core.Data;

namespace FashionFunctions.Cli;

/// <summary>Reads the CLI's --data value: a directory, or an http(s) mirror downloaded into a cache directory.</summary>
internal static class DatasetSources
{
    public static IDatasetSource Parse(string? data)
    {
        data ??= LocalDirectoryDatasetSource.DebianPackageDirectory;
        if (Uri.TryCreate(data, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            string cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "fashion-functions", "dataset");
            var baseUri = uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
            return new HttpDatasetSource(new HttpClient { Timeout = TimeSpan.FromMinutes(10) }, baseUri, cache);
        }

        return new LocalDirectoryDatasetSource(data);
    }
}

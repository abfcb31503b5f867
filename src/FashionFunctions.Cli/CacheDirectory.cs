namespace FashionFunctions.Cli;

internal static class CacheDirectory
{
    /// <summary>Where downloaded dataset files are kept between runs.</summary>
    public static string Dataset { get; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "fashion-functions", "dataset");
}

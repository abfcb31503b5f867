namespace FashionFunctions.Core.Data;

/// <summary>A directory holding the IDX files, raw or with a .gz suffix.</summary>
public sealed class LocalDirectoryDatasetSource(string directory) : IDatasetSource
{
    /// <summary>Where Debian/Ubuntu's package dataset-fashion-mnist installs the files.</summary>
    public const string DebianPackageDirectory = "/usr/share/datasets/fashion-mnist";

    public string Directory { get; } = directory;

    public string Description => Directory;

    public Task<Stream> OpenAsync(FashionMnistFile file, CancellationToken cancellationToken)
    {
        foreach (string name in new[] { file.Name, file.GzipName })
        {
            string path = Path.Combine(Directory, name);
            if (File.Exists(path))
            {
                return Task.FromResult<Stream>(File.OpenRead(path));
            }
        }

        string hint = Directory == DebianPackageDirectory ? " Install it with: sudo apt-get install dataset-fashion-mnist" : "";
        throw new InvalidDatasetException(file.Name, $"not found in {Directory} (looked for {file.Name} and {file.GzipName}).{hint}");
    }
}

namespace FashionFunctions.Core.Data;

/// <summary>A dataset file is missing, truncated, corrupt or not the file it claims to be. The message names the file.</summary>
public sealed class InvalidDatasetException(string fileName, string problem, Exception? inner = null)
    : Exception($"{fileName}: {problem}", inner)
{
    public string FileName { get; } = fileName;
}

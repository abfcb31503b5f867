namespace FashionFunctions.Core.Storage;

/// <summary>Something the app stored itself (a pointer, a job record, a checkpoint) cannot be read back: our fault,
/// never the caller's. <see cref="Location"/> names the blob or row.</summary>
public sealed class CorruptStoredDataException(string location, string problem, Exception? inner = null)
    : Exception($"{location}: {problem}", inner)
{
    public string Location { get; } = location;
}

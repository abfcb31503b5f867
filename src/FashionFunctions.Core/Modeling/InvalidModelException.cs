namespace FashionFunctions.Core.Modeling;

/// <summary>A weights file or manifest is malformed, of the wrong shape, or fails its checksum.</summary>
public sealed class InvalidModelException(string message, Exception? inner = null) : Exception(message, inner);

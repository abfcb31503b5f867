namespace FashionFunctions.Core.Native;

/// <summary>TorchSharp's native library could not be loaded; the message says why and what to do.</summary>
public sealed class TorchUnavailableException(string message, Exception? inner) : Exception(message, inner);

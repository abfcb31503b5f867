namespace FashionFunctions.Core.Inference;

/// <summary>Why an input image was refused; callers map it to an error (HTTP 400 or 413, a CLI message).</summary>
public enum ImageRejection
{
    Undecodable,
    UnsupportedFormat,
    TooManyPixels,
    TooManyBytes,
    WrongPixelCount,
    InvalidPixelValue,
}

public sealed class ImageRejectedException(ImageRejection reason, string message) : Exception(message)
{
    public ImageRejection Reason { get; } = reason;
}

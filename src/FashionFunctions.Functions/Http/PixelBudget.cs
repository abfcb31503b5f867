using FashionFunctions.Core.Inference;

namespace FashionFunctions.Functions.Http;

/// <summary>
/// One request's allowance of decoding work, charged before anything is decoded with what each encoded image's
/// decode will cost (<see cref="EncodedImageInfo.DecodeCostPixels"/>: the full size for PNG, GIF, BMP and WebP; for
/// a large JPEG, decoded at reduced scale, far less), so that a batch of images each under the per-image limit cannot add up to an
/// expensive request. An image the preprocessor refuses is not charged: it is refused by name when decoded.
/// </summary>
public sealed class PixelBudget(ImagePreprocessor preprocessor, long maxRequestPixels)
{
    private long spent;

    public void Charge(byte[] encoded, string where)
    {
        long pixels;
        try
        {
            pixels = preprocessor.Inspect(encoded).DecodeCostPixels;
        }
        catch (ImageRejectedException)
        {
            return;
        }

        spent += pixels;
        if (pixels > maxRequestPixels)
        {
            throw ApiProblemException.TooLarge($"{where}: decoding this image would cost as much as {pixels} pixels, more than the {maxRequestPixels} one request may spend; send it smaller, or as JPEG (decoded at reduced scale, it costs far less).");
        }

        if (spent > maxRequestPixels)
        {
            throw ApiProblemException.TooLarge($"{where}: decoding the images of this request would cost more than decoding {maxRequestPixels} pixels; send fewer or smaller images per request (large JPEGs are decoded at reduced scale and cost far less).");
        }
    }
}

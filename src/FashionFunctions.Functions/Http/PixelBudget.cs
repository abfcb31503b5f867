using SkiaSharp;

namespace FashionFunctions.Functions.Http;

/// <summary>
/// One request's allowance of decoded pixels, charged with each encoded image's declared size (read from its
/// header, before any decoding) so that a batch of images each under the per-image limit cannot add up to an
/// expensive request. An image over the per-image limit is not charged: the preprocessor refuses it by name.
/// </summary>
public sealed class PixelBudget(long maxRequestPixels, long maxImagePixels)
{
    private long spent;

    public void Charge(byte[] encoded, string where)
    {
        long pixels = DeclaredPixels(encoded);
        if (pixels > maxImagePixels)
        {
            return;
        }

        spent += pixels;
        if (spent > maxRequestPixels)
        {
            throw ApiProblemException.TooLarge($"{where}: the images of this request add up to more than {maxRequestPixels} pixels; send fewer or smaller images per request.");
        }
    }

    private static long DeclaredPixels(byte[] encoded)
    {
        using var stream = new SKMemoryStream(encoded);
        using var codec = SKCodec.Create(stream);
        return codec is null ? 0 : (long)codec.Info.Width * codec.Info.Height;
    }
}

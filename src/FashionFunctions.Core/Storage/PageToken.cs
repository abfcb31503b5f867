using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// A listing's position as a URL-safe opaque string: the row key of the last row returned, and a checksum over
/// it. A token only continues the listing it came from: one that does not decode, fails its checksum, or names a
/// row key outside the listing's range is refused (400), never answered with an empty or a first page.
/// </summary>
internal static class PageToken
{
    private const int ChecksumBytes = 8;

    public static string Encode(string lastRowKey)
    {
        byte[] text = Encoding.UTF8.GetBytes(lastRowKey);
        return Base64Url.EncodeToString([.. text, .. Checksum(text)]);
    }

    /// <summary>The row key to resume the listing after; <see cref="InvalidPageTokenException"/> when the token is
    /// not one this listing issued.</summary>
    public static string? Decode(string? token, string fromRowKey, string toRowKey)
    {
        if (token is null)
        {
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException e)
        {
            throw new InvalidPageTokenException(e);
        }

        if (bytes.Length <= ChecksumBytes || !Checksum(bytes.AsSpan(0, bytes.Length - ChecksumBytes)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - ChecksumBytes)))
        {
            throw new InvalidPageTokenException(null);
        }

        string rowKey = Encoding.UTF8.GetString(bytes, 0, bytes.Length - ChecksumBytes);
        bool inRange = string.CompareOrdinal(rowKey, fromRowKey) >= 0 && string.CompareOrdinal(rowKey, toRowKey) < 0;
        return inRange ? rowKey : throw new InvalidPageTokenException(null);
    }

    private static byte[] Checksum(ReadOnlySpan<byte> text) => SHA256.HashData(text)[..ChecksumBytes];
}

/// <summary>A listing's <c>next</c> token is not one this app issued (the caller's fault).</summary>
public sealed class InvalidPageTokenException(Exception? inner)
    : Exception("The page token is not one this service issued; start again without it.", inner);

using System.Buffers.Text;
using System.Text;

namespace FashionFunctions.Core.Storage;

/// <summary>A table continuation token as a URL-safe opaque string.</summary>
internal static class PageToken
{
    public static string? Encode(string? continuation) =>
        continuation is null ? null : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(continuation));

    /// <summary>Throws <see cref="InvalidPageTokenException"/> when the text is not a token this app issued.</summary>
    public static string? Decode(string? token)
    {
        if (token is null)
        {
            return null;
        }

        try
        {
            string text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            return text.Length > 0 ? text : throw new InvalidPageTokenException(null);
        }
        catch (FormatException e)
        {
            throw new InvalidPageTokenException(e);
        }
    }
}

/// <summary>A listing's <c>next</c> token is not one this app issued (the caller's fault).</summary>
public sealed class InvalidPageTokenException(Exception? inner)
    : Exception("The page token is not one this service issued; start again without it.", inner);

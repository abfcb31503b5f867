using System.Net;

namespace FashionFunctions.Testing;

/// <summary>A request body sent with Transfer-Encoding: chunked (no Content-Length), in pieces of <paramref name="chunkSize"/>.</summary>
public sealed class ChunkedContent(byte[] body, string contentType, int chunkSize = 16 * 1024) : HttpContent
{
    public static ChunkedContent Of(byte[] body, string contentType)
    {
        var content = new ChunkedContent(body, contentType);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        for (int offset = 0; offset < body.Length; offset += chunkSize)
        {
            await stream.WriteAsync(body.AsMemory(offset, Math.Min(chunkSize, body.Length - offset)));
            await stream.FlushAsync();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        _ = contentType;
        length = 0;
        return false;
    }
}

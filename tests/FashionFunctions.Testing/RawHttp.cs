using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace FashionFunctions.Testing;

/// <summary>
/// A POST over a plain socket whose answer is read while the body is still being sent, as curl does: a server that
/// refuses a body part-way answers and hangs up, which HttpClient reports as a broken pipe instead of the answer.
/// </summary>
public static class RawHttp
{
    public static async Task<HttpAnswer> PostChunkedAsync(Uri server, string path, string contentType, byte[] body, int chunkSize = 256 * 1024)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        string head = $"POST /{path.TrimStart('/')} HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: {contentType}\r\n" +
                      "Transfer-Encoding: chunked\r\nX-Requested-With: tests\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var sending = Task.Run(async () =>
        {
            try
            {
                for (int offset = 0; offset < body.Length; offset += chunkSize)
                {
                    int length = Math.Min(chunkSize, body.Length - offset);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"{length:x}\r\n"));
                    await stream.WriteAsync(body.AsMemory(offset, length));
                    await stream.WriteAsync("\r\n"u8.ToArray());
                }

                await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The server answered and hung up: the rest of the body was not wanted.
            }
        });

        var received = new MemoryStream();
        try
        {
            await stream.CopyToAsync(received).WaitAsync(TimeSpan.FromMinutes(2)); // until the server closes (Connection: close)
        }
        catch (IOException)
        {
            // A reset after the answer: what arrived before it is the answer.
        }

        tcp.Close();
        await sending;
        return Parse(received.ToArray());
    }

    private static HttpAnswer Parse(byte[] response)
    {
        int end = response.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            throw new InvalidOperationException($"No complete answer arrived ({response.Length} bytes).");
        }

        string[] lines = Encoding.ASCII.GetString(response, 0, end).Split("\r\n");
        var headers = new HeaderDictionary();
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            headers.Append(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }

        byte[] content = response[(end + 4)..];
        if (headers["Transfer-Encoding"].ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            content = Dechunk(content);
        }

        string? contentType = headers["Content-Type"].ToString().Split(';')[0] is { Length: > 0 } type ? type : null;
        return new HttpAnswer(int.Parse(lines[0].Split(' ')[1]), contentType, headers, Encoding.UTF8.GetString(content));
    }

    private static byte[] Dechunk(byte[] chunked)
    {
        var body = new MemoryStream();
        int at = 0;
        while (at < chunked.Length)
        {
            int lineEnd = chunked.AsSpan(at).IndexOf("\r\n"u8) + at;
            int length = Convert.ToInt32(Encoding.ASCII.GetString(chunked, at, lineEnd - at).Split(';')[0], 16);
            if (length == 0)
            {
                break;
            }

            body.Write(chunked, lineEnd + 2, length);
            at = lineEnd + 2 + length + 2;
        }

        return body.ToArray();
    }
}

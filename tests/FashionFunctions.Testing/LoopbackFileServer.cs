using System.Net;

namespace FashionFunctions.Testing;

/// <summary>A tiny HTTP server on 127.0.0.1 serving byte arrays by name, counting requests; it can answer the
/// first requests with a server error, as a mirror having a bad moment does.</summary>
public sealed class LoopbackFileServer : IDisposable
{
    private readonly HttpListener listener;
    private readonly Dictionary<string, byte[]> files;
    private readonly Task loop;
    private int requests;

    public LoopbackFileServer(Dictionary<string, byte[]> files)
    {
        this.files = files;
        (listener, BaseUri) = Bind();
        loop = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; }
    public int Requests => Volatile.Read(ref requests);

    /// <summary>How many of the next requests to answer 503 Service Unavailable.</summary>
    public int FailNext { get; set; }

    /// <summary>How many requests were answered 503.</summary>
    public int Failed => Volatile.Read(ref failed);

    private int failed;

    /// <summary>HttpListener cannot bind port 0, so it takes a probed free port; another process may take that port
    /// first (test projects run in parallel), so a bind that finds it taken tries another.</summary>
    private static (HttpListener Listener, Uri BaseUri) Bind()
    {
        for (int attempt = 1; ; attempt++)
        {
            var uri = new Uri($"http://127.0.0.1:{FreePort.Next()}/mirror/");
            var listener = new HttpListener();
            listener.Prefixes.Add(uri.ToString());
            try
            {
                listener.Start();
                return (listener, uri);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref requests);
            string name = context.Request.Url!.AbsolutePath.Split('/').Last();
            if (FailNext > 0)
            {
                FailNext--;
                Interlocked.Increment(ref failed);
                context.Response.StatusCode = 503;
            }
            else if (files.TryGetValue(name, out var body))
            {
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
            }
            else
            {
                context.Response.StatusCode = 404;
            }

            context.Response.Close();
        }
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FashionFunctions.Core.Access;
using FashionFunctions.Functions.Http;
using FashionFunctions.Functions.Http.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace FashionFunctions.Testing;

/// <summary>What the app answered, as the client saw it.</summary>
public sealed record HttpAnswer(int Status, string? ContentType, IHeaderDictionary Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public void AssertProblem(int status)
    {
        Assert.True(status == Status, $"expected {status}, got {Status}: {Body}");
        Assert.Equal("application/problem+json", ContentType);
        Assert.Equal(status, Json.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(Json.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(Json.GetProperty("detail").GetString()));
    }

    public static async Task<HttpAnswer> FromAsync(HttpResponseMessage response)
    {
        var headers = new HeaderDictionary();
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            headers[name] = values.ToArray();
        }

        return new HttpAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, headers,
            await response.Content.ReadAsStringAsync());
    }
}

/// <summary>
/// Calls a function method directly on an in-memory request (no socket), executing its result and mapping what it
/// throws with the app's <see cref="ErrorMapping"/>, as the middleware does. Prefer <see cref="FunctionsApp.SendAsync(string, string, byte[], string, IDictionary{string, string})"/>:
/// this is for a test that needs to hold the function's task (a stream it cancels).
/// </summary>
public static class HttpCall
{
    public static HttpRequest Request(IServiceProvider services, string method, string path, string? query = null,
        byte[]? body = null, string? contentType = null, IDictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query is null ? "" : "?" + query);
        context.Request.Body = new MemoryStream(body ?? []);
        context.Request.ContentLength = body?.Length;
        context.Request.ContentType = contentType;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        context.Response.Body = new MemoryStream();
        CallerAccess.Set(context, Caller.Local); // called without the middleware: as the app with auth off
        return context.Request;
    }

    public static HttpRequest Json(IServiceProvider services, string method, string path, string json, string? query = null, IDictionary<string, string>? headers = null) =>
        Request(services, method, path, query, Encoding.UTF8.GetBytes(json), "application/json", headers);

    /// <summary>A multipart/form-data body with one file per image, and its content type.</summary>
    public static (byte[] Body, string ContentType) Multipart(IEnumerable<(string FileName, string ContentType, byte[] Bytes)> files)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (fileName, contentType, bytes) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            form.Add(part, "images", fileName);
        }

        return (form.ReadAsByteArrayAsync().GetAwaiter().GetResult(), form.Headers.ContentType!.ToString());
    }

    public static async Task<HttpAnswer> AnswerAsync(HttpRequest request, Task<IResult> invocation)
    {
        var context = request.HttpContext;
        IResult result;
        try
        {
            result = await invocation;
        }
        catch (Exception e)
        {
            context.Response.Clear();
            result = ErrorMapping.ToResult(e, context, NullLogger.Instance);
        }

        await result.ExecuteAsync(context);
        context.Response.Body.Position = 0;
        string body = await new StreamReader(context.Response.Body).ReadToEndAsync();
        string? contentType = context.Response.ContentType?.Split(';')[0];
        return new HttpAnswer(context.Response.StatusCode, contentType, context.Response.Headers, body);
    }
}

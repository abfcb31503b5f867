using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FashionFunctions.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace FashionFunctions.Functions.Tests.Support;

/// <summary>What a function answered, as the client would see it.</summary>
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
}

/// <summary>Builds an ASP.NET Core request, calls a function method, and executes its result into a response.</summary>
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
        return context.Request;
    }

    public static HttpRequest Json(IServiceProvider services, string method, string path, string json, string? query = null, IDictionary<string, string>? headers = null) =>
        Request(services, method, path, query, Encoding.UTF8.GetBytes(json), "application/json", headers);

    /// <summary>A multipart/form-data request with one file per image.</summary>
    public static HttpRequest Multipart(IServiceProvider services, string path, IEnumerable<(string FileName, string ContentType, byte[] Bytes)> files)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (fileName, contentType, bytes) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            form.Add(part, "images", fileName);
        }

        byte[] body = form.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        return Request(services, "POST", path, body: body, contentType: form.Headers.ContentType!.ToString());
    }

    public static async Task<HttpAnswer> AnswerAsync(HttpRequest request, Task<IActionResult> invocation)
    {
        var result = await invocation;
        var context = request.HttpContext;
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        context.Response.Body.Position = 0;
        string body = await new StreamReader(context.Response.Body).ReadToEndAsync();
        string? contentType = context.Response.ContentType?.Split(';')[0];
        return new HttpAnswer(context.Response.StatusCode, contentType, context.Response.Headers, body);
    }
}

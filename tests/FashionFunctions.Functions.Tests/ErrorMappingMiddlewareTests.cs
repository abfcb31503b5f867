using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Http;
using FashionFunctions.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Functions.Tests;

/// <summary>The worker middleware itself: what it catches, what it leaves to the host, the answer it writes.
/// (Every HTTP test through <see cref="AppServer"/> runs the functions inside it too.)</summary>
public class ErrorMappingMiddlewareTests
{
    private static readonly ErrorMappingMiddleware Middleware = new(NullLogger<ErrorMappingMiddleware>.Instance);

    [Fact]
    public async Task An_http_functions_exception_is_answered_with_problem_details()
    {
        var http = NewHttpContext("/api/models/x");

        await Middleware.Invoke(new HttpFunctionContext(http, "GetModel"), _ => throw new ModelNotFoundException("x"));

        Assert.Equal(404, http.Response.StatusCode);
        Assert.StartsWith("application/problem+json", http.Response.ContentType);
        Assert.Contains("\"status\":404", await BodyAsync(http));
    }

    [Fact]
    public async Task Our_faults_answer_500_with_a_trace_id_and_no_internal_text()
    {
        var http = NewHttpContext("/api/classify");

        await Middleware.Invoke(new HttpFunctionContext(http, "Classify"), _ => throw new CorruptStoredDataException("models/current.json", "secret internal detail"));

        string body = await BodyAsync(http);
        Assert.Equal(500, http.Response.StatusCode);
        Assert.Contains("\"traceId\"", body);
        Assert.DoesNotContain("secret internal detail", body);
        Assert.DoesNotContain("current.json", body);
    }

    [Fact]
    public async Task A_storage_timeout_reported_as_a_cancellation_answers_503_with_retry_after()
    {
        var http = NewHttpContext("/api/training-jobs/job-x");
        var timeout = new TaskCanceledException("The operation was cancelled because it exceeded the configured timeout of 0:00:01.",
            new IOException("Unable to read data from the transport connection.", new System.Net.Sockets.SocketException(125)));

        await Middleware.Invoke(new HttpFunctionContext(http, "GetTrainingJob"), _ => throw timeout);

        Assert.Equal(503, http.Response.StatusCode);
        Assert.Equal("5", http.Response.Headers.RetryAfter.ToString());
        Assert.True(TransientFaults.IsTransient(timeout));
    }

    [Fact]
    public async Task A_function_that_answered_normally_is_left_alone()
    {
        var http = NewHttpContext("/api/health");

        await Middleware.Invoke(new HttpFunctionContext(http, "Health"), _ =>
        {
            http.Response.StatusCode = 204;
            return Task.CompletedTask;
        });

        Assert.Equal(204, http.Response.StatusCode);
        Assert.Equal("", await BodyAsync(http));
    }

    [Fact]
    public async Task Headers_the_function_set_before_it_threw_are_not_part_of_the_problem()
    {
        var http = NewHttpContext("/api/training-jobs/x/events");

        await Middleware.Invoke(new HttpFunctionContext(http, "TrainingJobEvents"), _ =>
        {
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            throw new ModelNotFoundException("x");
        });

        Assert.Equal(404, http.Response.StatusCode);
        Assert.False(http.Response.Headers.ContainsKey("X-Accel-Buffering"));
        Assert.NotEqual("no-cache", http.Response.Headers.CacheControl.ToString());
    }

    [Fact]
    public async Task A_request_cancelled_by_its_caller_hanging_up_gets_no_answer_but_another_failure_does()
    {
        var gone = NewHttpContext("/api/classify");
        gone.RequestAborted = new CancellationToken(canceled: true);
        await Middleware.Invoke(new HttpFunctionContext(gone, "Classify"), _ => throw new OperationCanceledException(gone.RequestAborted));
        Assert.Equal(200, gone.Response.StatusCode);
        Assert.Equal("", await BodyAsync(gone));

        var failed = NewHttpContext("/api/classify");
        failed.RequestAborted = new CancellationToken(canceled: true);
        await Middleware.Invoke(new HttpFunctionContext(failed, "Classify"), _ => throw new CorruptStoredDataException("models/current.json", "broken"));
        Assert.Equal(500, failed.Response.StatusCode);
    }

    [Fact]
    public async Task A_non_http_functions_exception_goes_on_to_the_host()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Middleware.Invoke(new HttpFunctionContext(null, "TrainingQueue"), _ => throw new InvalidOperationException("queue message failed")));
    }

    private static DefaultHttpContext NewHttpContext(string path)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Request.Path = path;
        http.Response.Body = new MemoryStream();
        return http;
    }

    private static async Task<string> BodyAsync(HttpContext http)
    {
        http.Response.Body.Position = 0;
        return await new StreamReader(http.Response.Body).ReadToEndAsync();
    }
}

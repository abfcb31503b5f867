using System.Text.Json;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Http;
using FashionFunctions.Functions.Http.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>POST /api/training-jobs, GET /api/training-jobs[/{id}], POST /api/training-jobs/{id}/cancel,
/// GET /api/training-jobs/{id}/events, DELETE /api/training-jobs/{id}.</summary>
public sealed class TrainingJobsApi(TrainingJobService service, TrainingJobWatcher watcher)
{
    private const int MaxRequestBytes = 16 * 1024;
    private static readonly JsonSerializerOptions CompactJson = new(ModelJson.Options) { WriteIndented = false };

    [Function("CreateTrainingJob")]
    public async Task<IResult> CreateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/training-jobs")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var body = await ReadRequestAsync(request, cancellationToken);
        string? key = IdempotencyKeyHeader.Read(request);
        var (job, created) = await service.CreateAsync(body, request.Caller(), key, cancellationToken);
        IdempotencyKeyHeader.MarkReplayed(request, created);
        return TypedResults.Accepted($"/api/training-jobs/{job.Id}", job);
    }

    [Function("GetTrainingJob")]
    public async Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/training-jobs/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.GetAsync(id, request.Caller(), cancellationToken));

    [Function("ListTrainingJobs")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/training-jobs")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        int limit = RequestQuery.Int(request, "limit", 20, 1, 100);
        string? next = request.Query["next"];
        var page = await service.ListAsync(limit, string.IsNullOrEmpty(next) ? null : next, request.Caller(), cancellationToken);
        return TypedResults.Ok(new { items = page.Items, next = page.Next });
    }

    [Function("CancelTrainingJob")]
    public async Task<IResult> CancelAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/training-jobs/{id}/cancel")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.CancelAsync(id, request.Caller(), cancellationToken));

    [Function("DeleteTrainingJob")]
    public async Task<IResult> DeleteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/training-jobs/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        await service.DeleteAsync(id, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Server-sent events: <c>event: job</c> with the record as <c>data</c> and the change's id (the row's ETag)
    /// as <c>id</c>, at every change, until the job is finished or the stream's lifetime ends; a reconnect with
    /// <c>Last-Event-ID</c> resumes after that change (204 when the job is finished and that was its last).</summary>
    [Function("TrainingJobEvents")]
    public async Task<IResult> EventsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/training-jobs/{id}/events")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        // 503 at the instance's cap, 404 for a job that is unknown or not the caller's, before the stream starts
        using var stream = await watcher.OpenAsync(id, request.Caller(), request.Headers["Last-Event-ID"], cancellationToken);
        if (stream.UpToDate)
        {
            return TypedResults.NoContent();
        }

        var response = request.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await response.Body.FlushAsync(cancellationToken); // the headers now, though the next change may be a while
        await foreach (var change in stream.ReadAllAsync(cancellationToken))
        {
            string json = JsonSerializer.Serialize(change.Job, CompactJson);
            await response.WriteAsync($"id: {change.Id}\nevent: job\ndata: {json}\n\n", cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }

        return TypedResults.Empty;
    }

    private static async Task<TrainingJobRequest> ReadRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        byte[] body = await RequestBody.ReadAsync(request, MaxRequestBytes, cancellationToken);
        if (body.Length == 0)
        {
            return new TrainingJobRequest();
        }

        if (RequestBody.MediaType(request) != "application/json")
        {
            throw ApiProblemException.UnsupportedMediaType($"Content-Type '{request.ContentType}' is not accepted; send application/json (or no body).");
        }

        return RequestBody.ParseJson<TrainingJobRequest>(body) ?? new TrainingJobRequest();
    }
}

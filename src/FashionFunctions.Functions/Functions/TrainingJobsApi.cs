using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Functions.Functions;

/// <summary>POST /api/training-jobs, GET /api/training-jobs/{id}, GET /api/training-jobs.</summary>
public sealed class TrainingJobsApi(TrainingJobService service, BlobJobStore jobs, ILogger<TrainingJobsApi> logger)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    private const int MaxIdempotencyKeyLength = 200;
    private const int MaxRequestBytes = 16 * 1024;

    [Function("SubmitTrainingJob")]
    public Task<IActionResult> SubmitAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "api/training-jobs")] HttpRequest request,
        CancellationToken cancellationToken) =>
        ApiResponses.RunAsync(request, logger, async () =>
        {
            var body = await ReadRequestAsync(request, cancellationToken);
            string? key = IdempotencyKey(request);
            var (job, created) = await service.SubmitAsync(body, key, cancellationToken);
            var headers = new Dictionary<string, string> { ["Location"] = $"/api/training-jobs/{job.Id}" };
            if (!created)
            {
                headers["Idempotent-Replayed"] = "true";
            }

            return ApiResponses.Json(job, StatusCodes.Status202Accepted, headers);
        });

    [Function("GetTrainingJob")]
    public Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/training-jobs/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        ApiResponses.RunAsync(request, logger, async () =>
            await jobs.GetAsync(id, cancellationToken) is { } found
                ? ApiResponses.Json(found.Job)
                : throw ApiProblemException.NotFound($"Training job '{id}' does not exist."));

    [Function("ListTrainingJobs")]
    public Task<IActionResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "api/training-jobs")] HttpRequest request,
        CancellationToken cancellationToken) =>
        ApiResponses.RunAsync(request, logger, async () =>
        {
            int limit = RequestQuery.Int(request, "limit", 20, 1, 100);
            return ApiResponses.Json(await jobs.ListAsync(limit, cancellationToken));
        });

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

    private static string? IdempotencyKey(HttpRequest request)
    {
        string? key = request.Headers[IdempotencyKeyHeader];
        if (key is null)
        {
            return null;
        }

        if (key.Length is 0 or > MaxIdempotencyKeyLength)
        {
            throw ApiProblemException.BadRequest($"{IdempotencyKeyHeader} must be 1 to {MaxIdempotencyKeyLength} characters.", IdempotencyKeyHeader);
        }

        return key;
    }
}

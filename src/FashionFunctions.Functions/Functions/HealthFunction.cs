using FashionFunctions.Functions.Hosting;
using FashionFunctions.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>
/// Anonymous health endpoints. GET /api/health/live: the process answers (no I/O). GET /api/health/ready: this
/// instance can classify (storage reachable, current model known and loadable), else 503 with the reason.
/// GET /api/health: the same check as a summary for people (storage, current model, loaded here); 503 only when
/// storage is unreachable, so that a fresh app without a model reports itself healthy.
/// </summary>
public sealed class HealthFunction(ReadinessProbe probe)
{
    public const int RetryAfterSecondsNotReady = 10;

    [Function("HealthLive")]
    public static IResult Live(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health/live")] HttpRequest request) =>
        TypedResults.Ok(new { Status = "live" });

    [Function("HealthReady")]
    public async Task<IResult> ReadyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health/ready")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var readiness = await probe.CheckAsync(cancellationToken);
        return readiness.Ready
            ? TypedResults.Ok(new { Status = "ready", readiness.CurrentModelId }) as IResult
            : Problem.Of(request.HttpContext, StatusCodes.Status503ServiceUnavailable, "Not ready", readiness.Reason!,
                new Dictionary<string, object?> { ["storage"] = readiness.StorageReachable ? "reachable" : "unreachable", ["currentModelId"] = readiness.CurrentModelId },
                new Dictionary<string, string> { ["Retry-After"] = RetryAfterSecondsNotReady.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    [Function("Health")]
    public async Task<IResult> CheckAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var readiness = await probe.CheckAsync(cancellationToken);
        return TypedResults.Json(new
        {
            Status = readiness.StorageReachable ? "healthy" : "unhealthy",
            Storage = readiness.StorageReachable ? "reachable" : "unreachable",
            readiness.CurrentModelId,
            readiness.ModelLoaded,
            readiness.Reason,
        }, statusCode: readiness.StorageReachable ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}

using FashionFunctions.Functions.Hosting;
using FashionFunctions.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
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
    public static IActionResult Live(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health/live")] HttpRequest request) =>
        ApiResponses.Json(new { Status = "live" });

    [Function("HealthReady")]
    public async Task<IActionResult> ReadyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health/ready")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var readiness = await probe.CheckAsync(cancellationToken);
        return readiness.Ready
            ? ApiResponses.Json(new { Status = "ready", readiness.CurrentModelId })
            : ApiResponses.Problem(StatusCodes.Status503ServiceUnavailable, "Not ready", readiness.Reason!, request.Path,
                new Dictionary<string, object?> { ["storage"] = readiness.StorageReachable ? "reachable" : "unreachable", ["currentModelId"] = readiness.CurrentModelId },
                new Dictionary<string, string> { ["Retry-After"] = RetryAfterSecondsNotReady.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    [Function("Health")]
    public async Task<IActionResult> CheckAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var readiness = await probe.CheckAsync(cancellationToken);
        return ApiResponses.Json(new
        {
            Status = readiness.StorageReachable ? "healthy" : "unhealthy",
            Storage = readiness.StorageReachable ? "reachable" : "unreachable",
            readiness.CurrentModelId,
            readiness.ModelLoaded,
            readiness.Reason,
        }, readiness.StorageReachable ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}

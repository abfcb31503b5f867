using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Functions.Functions;

/// <summary>GET /api/health (anonymous): storage reachable, the current model, whether this worker has it loaded.</summary>
public sealed class HealthFunction(BlobModelRegistry registry, ModelCache cache, ILogger<HealthFunction> logger)
{
    [Function("Health")]
    public async Task<IActionResult> CheckAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (loadedId, _) = cache.Status;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var current = await registry.GetCurrentAsync(timeout.Token);
            return ApiResponses.Json(new
            {
                Status = "healthy",
                Storage = "reachable",
                CurrentModelId = current?.Pointer.ModelId,
                ModelLoaded = current is not null && current.Pointer.ModelId == loadedId,
            });
        }
        catch (Exception e) when (e is Azure.RequestFailedException or OperationCanceledException or HttpRequestException or AggregateException)
        {
            logger.LogWarning(e, "Health check could not reach storage");
            return ApiResponses.Json(new
            {
                Status = "unhealthy",
                Storage = "unreachable",
                Error = e.Message,
                CurrentModelId = loadedId,
                ModelLoaded = loadedId is not null,
            }, StatusCodes.Status503ServiceUnavailable);
        }
    }
}

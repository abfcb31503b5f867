using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Retention;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>Every hour: applies the retention policy (FashionFunctions__KeepNewestModels,
/// FashionFunctions__FinishedJobRetentionDays); GET /api/retention shows what it would remove now.</summary>
public sealed class RetentionFunction(RetentionService retention, ModelCache cache)
{
    public const string Schedule = "0 30 * * * *";

    [Function("ApplyRetention")]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        var removed = await retention.ApplyAsync(cancellationToken);
        foreach (var model in removed.Models)
        {
            cache.Forget(model.ModelId);
        }
    }

    /// <summary>The dry run: what the next run would remove if it ran now.</summary>
    [Function("RetentionPreview")]
    public async Task<IResult> PreviewAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/retention")] HttpRequest request,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await retention.PlanAsync(cancellationToken));
}

using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>GET /api/models, GET /api/models/{id}, POST /api/models/{id}/promote, DELETE /api/models/{id}.</summary>
public sealed class ModelsApi(BlobModelRegistry registry, ModelCache cache)
{
    [Function("ListModels")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/models")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        int limit = RequestQuery.Int(request, "limit", 20, 1, 100);
        string? next = request.Query["next"];
        var page = await registry.ListAsync(limit, string.IsNullOrEmpty(next) ? null : next, cancellationToken);
        return TypedResults.Ok(new
        {
            items = page.Items.Select(m => new
            {
                m.ModelId,
                m.CreatedAt,
                m.TestAccuracy,
                m.ValidationAccuracy,
                m.Epochs,
                m.HiddenUnits,
                m.JobId,
                m.SweepId,
                Current = m.ModelId == page.CurrentModelId,
            }),
            next = page.Next,
        });
    }

    [Function("GetModel")]
    public async Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/models/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await registry.GetManifestAsync(id, cancellationToken));

    [Function("PromoteModel")]
    public async Task<IResult> PromoteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/models/{id}/promote")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await registry.PromoteAsync(id, onlyIfNewer: false, cancellationToken));

    /// <summary>Removes the weights, the manifest and the index row (409 for the current model); this worker's
    /// cache drops the model at once, other workers' when they next evict it.</summary>
    [Function("DeleteModel")]
    public async Task<IResult> DeleteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/models/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        await registry.DeleteAsync(id, cancellationToken);
        cache.Forget(id);
        return TypedResults.NoContent();
    }
}

using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>GET /api/models, GET /api/models/{id}, POST /api/models/{id}/promote.</summary>
public sealed class ModelsApi(BlobModelRegistry registry)
{
    [Function("ListModels")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/models")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var current = await registry.GetCurrentAsync(cancellationToken);
        var models = await registry.ListAsync(cancellationToken);
        return TypedResults.Ok(models.Select(m => new
        {
            m.ModelId,
            m.CreatedAt,
            m.TestAccuracy,
            Epochs = m.Epochs.Count,
            Current = m.ModelId == current?.Pointer.ModelId,
        }));
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
}

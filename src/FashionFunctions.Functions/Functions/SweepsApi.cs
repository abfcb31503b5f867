using FashionFunctions.Core.Sweeps;
using FashionFunctions.Functions.Http;
using FashionFunctions.Functions.Http.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace FashionFunctions.Functions.Functions;

/// <summary>POST /api/sweeps, GET /api/sweeps[/{id}], POST /api/sweeps/{id}/cancel.</summary>
public sealed class SweepsApi(SweepService sweeps)
{
    private const int MaxRequestBytes = 64 * 1024;

    [Function("CreateSweep")]
    public async Task<IResult> CreateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/sweeps")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        byte[] body = await RequestBody.ReadAsync(request, MaxRequestBytes, cancellationToken);
        if (RequestBody.MediaType(request) != "application/json")
        {
            throw ApiProblemException.UnsupportedMediaType($"Content-Type '{request.ContentType}' is not accepted; send application/json.");
        }

        var sweepRequest = RequestBody.ParseJson<SweepRequest>(body) ?? throw ApiProblemException.BadRequest("The body must be a sweep request, not null.");
        var (sweep, created) = await sweeps.CreateAsync(sweepRequest, request.Caller(), IdempotencyKeyHeader.Read(request), cancellationToken);
        IdempotencyKeyHeader.MarkReplayed(request, created);
        return TypedResults.Accepted($"/api/sweeps/{sweep.Id}", sweep);
    }

    [Function("GetSweep")]
    public async Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sweeps/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await sweeps.GetAsync(id, request.Caller(), cancellationToken));

    [Function("ListSweeps")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/sweeps")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        int limit = RequestQuery.Int(request, "limit", 20, 1, 100);
        string? next = request.Query["next"];
        var page = await sweeps.ListAsync(limit, string.IsNullOrEmpty(next) ? null : next, request.Caller(), cancellationToken);
        return TypedResults.Ok(new { items = page.Items, next = page.Next });
    }

    [Function("CancelSweep")]
    public async Task<IResult> CancelAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/sweeps/{id}/cancel")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await sweeps.CancelAsync(id, request.Caller(), cancellationToken));
}

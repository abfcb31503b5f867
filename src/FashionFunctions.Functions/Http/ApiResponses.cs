using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Functions.Http;

/// <summary>
/// Runs a function body and maps what it returns or throws to HTTP: results as JSON, every error as RFC 7807
/// problem details (application/problem+json). The one place where exceptions meet status codes.
/// </summary>
public static class ApiResponses
{
    public const int RetryAfterSecondsWithoutModel = 30;

    public static async Task<IActionResult> RunAsync(HttpRequest request, ILogger logger, Func<Task<IActionResult>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return ToProblem(e, request, logger);
        }
    }

    public static IActionResult Json(object value, int status = StatusCodes.Status200OK, IReadOnlyDictionary<string, string>? headers = null) =>
        new ActionResultFromHttpResult(Results.Json(value, Core.Modeling.ModelJson.Options, statusCode: status), headers);

    public static IActionResult Problem(int status, string title, string detail, string instance, IDictionary<string, object?>? extensions = null,
        IReadOnlyDictionary<string, string>? headers = null) =>
        new ActionResultFromHttpResult(
            Results.Problem(detail: detail, instance: instance, statusCode: status, title: title,
                type: $"https://httpstatuses.io/{status}", extensions: extensions),
            headers);

    private static IActionResult ToProblem(Exception e, HttpRequest request, ILogger logger)
    {
        string instance = request.Path;
        switch (e)
        {
            case ApiProblemException p:
                return Problem(p.Status, p.Title, p.Message, instance, FieldExtension(p.Field));
            case Core.Training.InvalidTrainingOptionsException o:
                return Problem(400, "Invalid request", o.Message, instance, FieldExtension(o.Field));
            case ArgumentException a:
                return Problem(400, "Invalid request", a.Message, instance, FieldExtension(a.ParamName));
            case ImageRejectedException r:
                int status = r.Reason is ImageRejection.TooManyPixels or ImageRejection.TooManyBytes ? 413 : 400;
                return Problem(status, status == 413 ? "Image too large" : "Invalid image", r.Message, instance,
                    new Dictionary<string, object?> { ["reason"] = r.Reason.ToString() });
            case Core.Sweeps.InvalidSweepException s:
                return Problem(400, "Invalid request", s.Message, instance, FieldExtension(s.Field));
            case Core.Sweeps.SweepNotFoundException s:
                return Problem(404, "Not found", s.Message, instance);
            case Core.Sweeps.SweepFinishedException s:
                return Problem(409, "Sweep already finished", s.Message, instance, new Dictionary<string, object?> { ["sweepStatus"] = s.Status.ToString().ToLowerInvariant() });
            case Core.Jobs.TrainingJobNotFoundException j:
                return Problem(404, "Not found", j.Message, instance);
            case Core.Jobs.TrainingJobFinishedException f:
                return Problem(409, "Job already finished", f.Message, instance, new Dictionary<string, object?> { ["jobStatus"] = f.Status.ToString().ToLowerInvariant() });
            case Core.Jobs.IdempotencyKeyReusedException k:
                return Problem(422, "Idempotency key reused", k.Message, instance);
            case Core.Storage.InvalidPageTokenException t:
                return Problem(400, "Invalid request", t.Message, instance, FieldExtension("next"));
            case ModelNotFoundException m:
                return Problem(404, "Model not found", m.Message, instance);
            case NoCurrentModelException n:
                return Problem(503, "No model yet", n.Message, instance, null,
                    new Dictionary<string, string> { ["Retry-After"] = RetryAfterSecondsWithoutModel.ToString() });
            case System.Text.Json.JsonException j:
                return Problem(400, "Invalid JSON", j.Message, instance);
            case OperationCanceledException when request.HttpContext.RequestAborted.IsCancellationRequested:
                return Problem(499, "Client closed request", "The request was cancelled by the client.", instance);
            default:
                logger.LogError(e, "Unhandled error serving {Path}", instance);
                return Problem(500, "Internal error", "An unexpected error occurred; see the app's logs.", instance,
                    new Dictionary<string, object?> { ["traceId"] = request.HttpContext.TraceIdentifier });
        }
    }

    private static Dictionary<string, object?>? FieldExtension(string? field) =>
        string.IsNullOrEmpty(field) ? null : new Dictionary<string, object?> { ["field"] = field };
}

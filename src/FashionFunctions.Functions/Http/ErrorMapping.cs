using System.Diagnostics;
using FashionFunctions.Core.Access;
using FashionFunctions.Core.Budgets;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using FashionFunctions.Core.Training;
using FashionFunctions.Functions.Http.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Functions.Http;

/// <summary>
/// The one place where exceptions meet status codes: every error an HTTP function throws becomes RFC 7807
/// problem details. The caller's faults are narrow exception types → 4xx with their message; everything else is
/// ours → 500 (or 503 when storage is unreachable) with a correlation id (<c>traceId</c>, also in the log) and
/// no internal text. Used by <see cref="ErrorMappingMiddleware"/> in the app and by the tests' in-process server.
/// To add a case, add a narrow exception type and one line below.
/// </summary>
public static class ErrorMapping
{
    public const int RetryAfterSecondsWithoutModel = 30;
    public const int RetryAfterSecondsStorageUnavailable = 5;
    public const int RetryAfterSecondsBusy = 5;

    public static IResult ToResult(Exception exception, HttpContext http, ILogger logger)
    {
        string instance = http.Request.Path;
        LogRefusal(exception, http, logger);
        switch (exception)
        {
            case ApiProblemException p:
                return Problem.Of(http, p.Status, p.Title, p.Message, Field(p.Field), p.Headers);
            case InvalidTrainingOptionsException o:
                return Problem.Of(http, 400, "Invalid request", o.Message, Field(o.Field));
            case InvalidSweepException s:
                return Problem.Of(http, 400, "Invalid request", s.Message, Field(s.Field));
            case InvalidPageTokenException t:
                return Problem.Of(http, 400, "Invalid request", t.Message, Field("next"));
            case ImageRejectedException r:
                bool tooLarge = r.Reason is ImageRejection.TooManyPixels or ImageRejection.TooManyBytes;
                return Problem.Of(http, tooLarge ? 413 : 400, tooLarge ? "Image too large" : "Invalid image", r.Message,
                    new Dictionary<string, object?> { ["reason"] = r.Reason.ToString() });
            case ModelNotFoundException m:
                return Problem.Of(http, 404, "Model not found", m.Message);
            case ModelIsCurrentException c:
                return Problem.Of(http, 409, "Model is current", c.Message);
            case TrainingJobNotFoundException j:
                return Problem.Of(http, 404, "Not found", j.Message);
            case SweepNotFoundException s:
                return Problem.Of(http, 404, "Not found", s.Message);
            case SweepFinishedException s:
                return Problem.Of(http, 409, "Sweep already finished", s.Message,
                    new Dictionary<string, object?> { ["sweepStatus"] = s.Status.ToString().ToLowerInvariant() });
            case TrainingJobFinishedException f:
                return Problem.Of(http, 409, "Job already finished", f.Message,
                    new Dictionary<string, object?> { ["jobStatus"] = f.Status.ToString().ToLowerInvariant() });
            case TrainingJobNotDeletableException d:
                return Problem.Of(http, 409, "Job cannot be deleted", d.Message,
                    new Dictionary<string, object?> { ["jobStatus"] = d.Status.ToString().ToLowerInvariant() });
            case TrainingJobPublishingException p:
                return Problem.Of(http, 409, "Job is publishing its model", p.Message,
                    new Dictionary<string, object?> { ["jobStatus"] = "running", ["publishing"] = true });
            case UnauthenticatedException u:
                return Problem.Of(http, 401, "Unauthenticated", u.Message);
            case AccessDeniedException d:
                return Problem.Of(http, 403, "Forbidden", d.Message,
                    new Dictionary<string, object?> { ["requiredRole"] = Name(d.Required), ["role"] = Name(d.Actual) });
            case OverBudgetException o:
                return Problem.Of(http, 422, "Over budget", o.Message,
                    new Dictionary<string, object?> { ["limit"] = o.Limit, ["figure"] = Math.Round(o.Figure, 2), ["allowed"] = o.Allowed });
            case QuotaExceededException q:
                return Problem.Of(http, 429, "Too many active", q.Message,
                    new Dictionary<string, object?> { ["limit"] = q.Limit, ["figure"] = q.Count, ["allowed"] = q.Allowed },
                    RetryAfter((int)Math.Ceiling(q.RetryAfter.TotalSeconds)));
            case IdempotencyKeyReusedException k:
                return Problem.Of(http, 422, "Idempotency key reused", k.Message);
            case EventStreamLimitException l:
                return Problem.Of(http, 503, "Busy", l.Message, null, RetryAfter(RetryAfterSecondsBusy));
            case ModelLoadsBusyException m:
                return Problem.Of(http, 503, "Busy", m.Message, null, RetryAfter(RetryAfterSecondsBusy));
            case NoCurrentModelException n:
                return Problem.Of(http, 503, "No model yet", n.Message, null, RetryAfter(RetryAfterSecondsWithoutModel));
            case BadHttpRequestException b:
                // Kestrel's own refusals (a body over its limit, a body cut short): the caller's fault, our words.
                return Problem.Of(http, b.StatusCode, b.StatusCode == 413 ? "Request too large" : "Invalid request",
                    b.StatusCode == 413 ? "The body is larger than the server accepts." : "The request could not be read.");
            case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                return Problem.Of(http, 499, "Client closed request", "The request was cancelled by the client.");
        }

        string traceId = Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
        // A cancellation the caller did not ask for is a timeout inside (the storage SDK's, say): try again later.
        if (TransientFaults.IsTransient(exception) || exception is OperationCanceledException or RecordContentionException)
        {
            logger.LogWarning(exception, "Storage unavailable serving {Path} (traceId {TraceId})", instance, traceId);
            return Problem.Of(http, 503, "Storage unavailable", "The app's storage could not be reached; try again shortly.",
                TraceId(traceId), RetryAfter(RetryAfterSecondsStorageUnavailable));
        }

        logger.LogError(exception, "Error serving {Path} (traceId {TraceId})", instance, traceId);
        string detail = exception is CorruptStoredDataException or InvalidModelException
            ? "Data the app stored could not be read back; see the app's logs for this traceId."
            : "An unexpected error occurred; see the app's logs for this traceId.";
        return Problem.Of(http, 500, "Internal error", detail, TraceId(traceId));
    }

    /// <summary>The refusals an operator watches for — who was refused what, and the limit — at Warning, the level
    /// Application Insights keeps by default. Never a key or a token: a caller is its key's name or its principal's
    /// object id.</summary>
    private static void LogRefusal(Exception exception, HttpContext http, ILogger logger)
    {
        string route = $"{http.Request.Method} {http.Request.Path}";
        string? caller = http.Request.CallerOrNull()?.Id;
        switch (exception)
        {
            case UnauthenticatedException:
                logger.LogWarning("Refused {Route} (401): no valid credentials", route);
                break;
            case AccessDeniedException d:
                logger.LogWarning("Refused {Route} (403) to {Caller}, a {Role}: needs {RequiredRole}", route, d.CallerId, Name(d.Actual), Name(d.Required));
                break;
            case OverBudgetException o:
                logger.LogWarning("Refused {Route} (422) to {Caller}: {Limit} {Figure} over {Allowed}", route, caller, o.Limit, o.Figure, o.Allowed);
                break;
            case QuotaExceededException q:
                logger.LogWarning("Refused {Route} (429) to {Caller}: {Limit} {Figure} at {Allowed}", route, caller, q.Limit, q.Count, q.Allowed);
                break;
        }
    }

    private static string Name(Role role) => role.ToString().ToLowerInvariant();

    private static Dictionary<string, object?>? Field(string? field) =>
        string.IsNullOrEmpty(field) ? null : new Dictionary<string, object?> { ["field"] = field };

    private static Dictionary<string, object?> TraceId(string traceId) => new() { ["traceId"] = traceId };

    private static Dictionary<string, string> RetryAfter(int seconds) =>
        new() { ["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}

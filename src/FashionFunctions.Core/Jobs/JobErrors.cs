using System.Diagnostics;
using FashionFunctions.Core.Training;

namespace FashionFunctions.Core.Jobs;

/// <summary>
/// What a job's record says when a run fails: a fixed sentence and the trace id under which the cause was logged,
/// never an exception's text (which can carry paths, hosts, storage answers). The one exception is the trainer
/// refusing the job's own options: the caller's input, described in our words.
/// </summary>
public static class JobErrors
{
    /// <summary>The current trace's id (the run's span), or a fresh one when nothing is traced; log it with the cause.</summary>
    public static string NewTraceId() => Activity.Current?.TraceId.ToHexString() ?? ActivityTraceId.CreateRandom().ToHexString();

    public static string Failed(Exception e, string traceId) => e is InvalidTrainingOptionsException options
        ? $"The job's options were refused by the trainer: {options.Message} (traceId {traceId})."
        : $"Training failed (traceId {traceId}); the cause is in the app's logs.";

    public static string Retrying(int attempt, string traceId) =>
        $"Attempt {attempt} failed and will be retried (traceId {traceId}); the cause is in the app's logs.";

    public static string GaveUp(int attempts, string traceId) =>
        $"Gave up after {attempts} attempts (traceId {traceId}); the cause of the last is in the app's logs.";

    public static string Unusable(string traceId) =>
        $"Unusable queue message (traceId {traceId}); the message and why it could not be used are in the app's logs.";
}

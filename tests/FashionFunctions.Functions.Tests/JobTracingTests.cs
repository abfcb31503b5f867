using System.Diagnostics;
using System.Text.Json;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests;

[Trait("Category", "Azurite")]
public class JobTracingTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    [Fact]
    public async Task A_run_continues_the_submitting_requests_trace_with_one_span_per_epoch()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            // Ours, and ASP.NET Core's request activity (as Application Insights listens in the app).
            ShouldListenTo = source => source.Name is JobTelemetry.SourceName or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (spans) { spans.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);

        // The caller's trace context, as a browser or an upstream service sends it.
        var submitTrace = ActivityTraceId.CreateRandom();
        var headers = new Dictionary<string, string> { ["traceparent"] = $"00-{submitTrace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01" };
        string id = (await Jobs.CreateAsync(app, """{"epochs": 2, "trainLimit": 6000, "seed": 3}""", headers)).Json.GetProperty("id").GetString()!;

        var message = await Jobs.ReceiveAsync(app, id);
        string? traceParent = JsonDocument.Parse(message.Body.ToString()).RootElement.GetProperty("traceParent").GetString();
        Assert.NotNull(traceParent);
        Assert.Contains(submitTrace.ToHexString(), traceParent);

        await app.Get<TrainingJobRunner>().RunAsync(message.Body.ToString(), 1, 3, CancellationToken.None);

        List<Activity> ours;
        lock (spans)
        {
            ours = spans.Where(s => (string?)s.GetTagItem("job.id") == id).ToList();
        }

        var run = Assert.Single(ours, s => s.OperationName == "training-job run");
        Assert.Equal(submitTrace, run.TraceId);
        var epochs = ours.Where(s => s.OperationName == "training-job epoch").ToList();
        Assert.Equal([1, 2], epochs.Select(e => (int)e.GetTagItem("epoch")!).Order());
        Assert.All(epochs, e => Assert.Equal(run.SpanId, e.ParentSpanId));
    }
}

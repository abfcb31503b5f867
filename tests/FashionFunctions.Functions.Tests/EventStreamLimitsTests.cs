using System.Diagnostics;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Http;
using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests;

/// <summary>An instance serving at most three event streams, each for four seconds.</summary>
public sealed class EventStreamApp : FunctionsApp
{
    public const int MaxStreams = 3;
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(4);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["FashionFunctions:MaxEventStreams"] = MaxStreams.ToString(),
        ["FashionFunctions:EventStreamSeconds"] = Lifetime.TotalSeconds.ToString(),
    };
}

/// <summary>What event streams may cost one instance: a cap on open streams, a lifetime per stream (resumed with
/// Last-Event-ID without missing a change), and one storage poller per job however many streams follow it. Over
/// real sockets.</summary>
[Trait("Category", "Azurite")]
public class EventStreamLimitsTests(EventStreamApp app) : IClassFixture<EventStreamApp>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private TrainingJobWatcher Watcher => app.Get<TrainingJobWatcher>();

    private async Task<string> QueuedJobAsync()
    {
        await WaitUntilAsync(() => Watcher.OpenStreams == 0); // the previous test's streams are gone
        return (await Jobs.CreateAsync(app)).Json.GetProperty("id").GetString()!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < Patience, "the condition never held");
            await Task.Delay(20);
        }
    }

    private async Task<EventStreamClient> OpenAsync(string jobId, string? lastEventId = null)
    {
        var stream = await EventStreamClient.OpenAsync(app.Client, jobId, lastEventId);
        Assert.Equal(200, stream.Status);
        return stream;
    }

    [Fact]
    public async Task A_stream_beyond_the_instance_cap_is_503_naming_the_cap_with_retry_after_and_a_freed_place_is_taken_again()
    {
        string id = await QueuedJobAsync();
        var open = new List<EventStreamClient>();
        for (int i = 0; i < EventStreamApp.MaxStreams; i++)
        {
            open.Add(await OpenAsync(id));
        }

        using var extra = await EventStreamClient.OpenAsync(app.Client, id);
        var refused = await extra.RefusalAsync();
        refused.AssertProblem(503);
        Assert.Contains($"limit of {EventStreamApp.MaxStreams} event streams", refused.Json.GetProperty("detail").GetString());
        Assert.Equal(ErrorMapping.RetryAfterSecondsBusy.ToString(), refused.Headers["Retry-After"].ToString());

        open[0].Dispose(); // the client hangs up: its place is freed
        await WaitUntilAsync(() => Watcher.OpenStreams < EventStreamApp.MaxStreams);
        using var again = await OpenAsync(id);
        Assert.NotNull(await again.NextAsync(Patience));
        open.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task A_stream_ends_at_its_lifetime_and_a_reconnect_with_its_last_event_id_resumes_at_the_next_change()
    {
        string id = await QueuedJobAsync();
        var store = app.Get<TableJobStore>();

        string firstId;
        using (var first = await OpenAsync(id))
        {
            var queued = (await first.NextAsync(Patience))!.Value;
            Assert.Equal("queued", queued.Job.GetProperty("status").GetString());
            firstId = queued.Id;
            var open = Stopwatch.StartNew();
            Assert.Null(await first.NextAsync(Patience)); // nothing changed, and the server ended the stream
            Assert.InRange(open.Elapsed, EventStreamApp.Lifetime - TimeSpan.FromSeconds(1), Patience);
        }

        // A change while no stream is open is the first event of the reconnect; the one already seen is not repeated.
        await store.UpdateAsync(id, s => s.Record with { UpdatedAt = s.Record.UpdatedAt.AddSeconds(1) });
        string changedId;
        using (var second = await OpenAsync(id, firstId))
        {
            var changed = (await second.NextAsync(Patience))!.Value;
            Assert.NotEqual(firstId, changed.Id);
            changedId = changed.Id;
        }

        // Reconnected with the latest id, the next event is the next change: here, the cancel that finishes the job.
        using (var third = await OpenAsync(id, changedId))
        {
            Assert.Equal(200, (await app.SendAsync("POST", $"api/training-jobs/{id}/cancel")).Status);
            var cancelled = (await third.NextAsync(Patience))!.Value;
            Assert.Equal("cancelled", cancelled.Job.GetProperty("status").GetString());
            Assert.Null(await third.NextAsync(Patience)); // finished: the stream ends

            // The job is finished and the client has its last record: nothing more will come.
            using var fourth = await EventStreamClient.OpenAsync(app.Client, id, cancelled.Id);
            Assert.Equal(204, fourth.Status);
        }
    }

    [Fact]
    public async Task Every_stream_of_one_job_shares_one_storage_poller()
    {
        string id = await QueuedJobAsync();
        string row = TableJobStore.JobRowKey(id);
        var streams = new List<EventStreamClient>();
        for (int i = 0; i < EventStreamApp.MaxStreams; i++)
        {
            streams.Add(await OpenAsync(id));
            Assert.NotNull(await streams[^1].NextAsync(Patience));
        }

        Assert.Equal(1, Watcher.PolledJobs);
        app.StorageRequests.Clear();
        var window = TimeSpan.FromSeconds(2);
        await Task.Delay(window);
        int reads = app.StorageRequests.CountWhere(r => r.StartsWith("GET ", StringComparison.Ordinal) && r.Contains(row, StringComparison.Ordinal));

        // One poller reads once per poll interval (1 s); a poller per stream would read three times as often.
        var interval = app.Get<JobLifecycleOptions>().EventPollInterval;
        Assert.InRange(reads, 1, (int)(window / interval) + 1);

        streams.ForEach(s => s.Dispose());
        await WaitUntilAsync(() => Watcher.PolledJobs == 0); // nobody listens: the poller stops
        app.StorageRequests.Clear();
        await Task.Delay(interval * 2);
        Assert.Equal(0, app.StorageRequests.CountWhere(r => r.Contains(row, StringComparison.Ordinal)));
    }
}

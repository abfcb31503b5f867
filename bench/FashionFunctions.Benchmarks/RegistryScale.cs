using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Sweeps;
using FashionFunctions.Core.Training;
using FashionFunctions.Functions.Functions;
using FashionFunctions.Testing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace FashionFunctions.Benchmarks;

/// <summary>One read at one size of history: storage requests it sent (the same every time) and its wall time.</summary>
internal sealed record RegistryRead(string Read, int History, int StorageRequests, Spread Milliseconds);

/// <summary>
/// Reads that must not grow with history (docs/models.md): the first page of <c>GET /api/models</c>, a sweep's
/// <c>GET</c> and a watchdog tick, each against a store holding <see cref="Sizes"/> models and finished jobs of
/// history, in the app's functions on the in-test server (<see cref="AppServer"/>) against a fresh Azurite per
/// size. Storage requests are counted by a pipeline policy on the app's clients; every read is run once to warm
/// up, then <see cref="Repeats"/> times. The history is seeded straight into the table a hundred rows a
/// transaction; what the reads look at (a 16-point finished sweep, a running sweep of 4 points, 2 running jobs)
/// is the same at every size.
/// </summary>
internal static class RegistryScale
{
    public static readonly int[] Sizes = [10, 1_000, 10_000];
    private const int Repeats = 30;
    private const int SweepPoints = 16;
    private const int BatchRows = 100;

    public static async Task<IReadOnlyList<RegistryRead>> RunAsync(Action<string> progress)
    {
        var reads = new List<RegistryRead>();
        foreach (int size in Sizes)
        {
            progress($"{size:N0} models and jobs of history…");
            await using var azurite = new AzuriteProcess();
            await azurite.InitializeAsync();
            var counter = new StorageRequestCounter();
            await using var server = await AppServer.StartAsync(azurite.ConnectionString, configure: services => services.AddStoragePolicy(counter));
            var sweepId = await SeedAsync(server, azurite.ConnectionString, size);

            reads.Add(await MeasureAsync("GET /api/models (first page)", size, counter,
                async () => (await server.Client.GetAsync("api/models")).EnsureSuccessStatusCode()));
            reads.Add(await MeasureAsync("for comparison: that page's one query, sent straight to Azurite", size, counter, () => FirstPageQueryAsync(server)));
            reads.Add(await MeasureAsync($"GET /api/sweeps/{{id}} ({SweepPoints} points)", size, counter,
                async () => (await server.Client.GetAsync($"api/sweeps/{sweepId}")).EnsureSuccessStatusCode()));
            reads.Add(await MeasureAsync("watchdog tick (2 running jobs, 1 running sweep)", size, counter,
                () => ActivatorUtilities.CreateInstance<TrainingJobWatchdogFunction>(server.Services).RunAsync(new TimerInfo(), CancellationToken.None)));
            reads.Add(await MeasureAsync("for comparison: the status scan the watchdog ran before", size, counter, () => StatusScanAsync(server)));
        }

        return reads;
    }

    private static async Task<RegistryRead> MeasureAsync(string read, int size, StorageRequestCounter counter, Func<Task> run)
    {
        await run();
        var times = new List<double>();
        var requests = new HashSet<int>();
        for (int i = 0; i < Repeats; i++)
        {
            counter.Clear();
            long start = Stopwatch.GetTimestamp();
            await run();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            requests.Add(counter.Count);
        }

        return new RegistryRead(read, size, requests.Count == 1 ? requests.Single() : requests.Max(), Spread.Of(times));
    }

    /// <summary>The one query behind the first models page (the head row and 21 summaries), without the app: what
    /// Azurite itself takes to answer it.</summary>
    private static async Task FirstPageQueryAsync(AppServer server)
    {
        var table = server.Get<TableServiceClient>().GetTableClient(StorageNames.JobTable);
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {TableModelIndex.Partition} and RowKey ge {"m-"} and RowKey lt {"m."}");
        await foreach (var _ in table.QueryAsync<TableEntity>(filter, maxPerPage: 22).AsPages(pageSizeHint: 22))
        {
            break;
        }
    }

    /// <summary>The query the watchdog used to find running jobs: a filter on a column over the whole jobs partition.</summary>
    private static async Task StatusScanAsync(AppServer server)
    {
        var table = server.Get<TableServiceClient>().GetTableClient(StorageNames.JobTable);
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {TableJobStore.Partition} and RowKey ge {"j-"} and RowKey lt {"j."} and Status eq {"Running"}");
        await foreach (var _ in table.QueryAsync<TableEntity>(filter))
        {
        }
    }

    /// <summary>The history, then what the reads look at; returns the finished sweep's id.</summary>
    private static async Task<string> SeedAsync(AppServer server, string connection, int size)
    {
        var table = new TableServiceClient(connection).GetTableClient(StorageNames.JobTable);
        await table.CreateIfNotExistsAsync();
        var index = server.Get<TableModelIndex>();
        var jobs = server.Get<TableJobStore>();
        var start = DateTimeOffset.UtcNow.AddDays(-20);
        var epochs = Enumerable.Range(1, 10).Select(e => new EpochMetrics(e, 0.3, 0.9, 0.88, 3.0)).ToList();

        var modelRows = Enumerable.Range(0, size).SelectMany(i => index.RowsOf(new ModelSummary
        {
            ModelId = $"fmnist-history-{i:D6}",
            CreatedAt = start.AddMinutes(i),
            TestAccuracy = 0.88,
            ValidationAccuracy = 0.89,
            Epochs = 10,
            HiddenUnits = 128,
            JobId = $"job-history-{i:D6}",
        }));
        var jobRows = Enumerable.Range(0, size).Select(i => jobs.RowOf(Finished(start.AddMinutes(i), epochs)));
        foreach (var group in modelRows.Concat(jobRows).GroupBy(e => e.PartitionKey))
        {
            foreach (var batch in group.Chunk(BatchRows))
            {
                await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)));
            }
        }

        await index.SetCurrentAsync($"fmnist-history-{size - 1:D6}");
        await index.MarkBackfilledAsync();

        var sweeps = server.Get<TableSweepStore>();
        var request = new SweepRequest { Grid = new SweepGrid { LearningRate = [0.001, 0.0005], BatchSize = [32, 64], Seed = [1, 2, 3, 4] }, Budget = SweepPoints };
        var finished = new Sweep
        {
            Id = Sweep.NewId(start),
            Status = SweepStatus.Succeeded,
            CreatedAt = start,
            UpdatedAt = start,
            FinishedAt = start,
            Request = request,
            PointCount = SweepPoints,
            Finished = new string('s', SweepPoints),
            AllPointsQueued = true,
            Promoted = false,
        };
        await sweeps.CreateAsync(finished);
        for (int p = 0; p < SweepPoints; p++)
        {
            await jobs.CreateAsync(Finished(start, epochs) with { Id = Sweep.JobIdFor(finished.Id, p), SweepId = finished.Id }, null, "");
        }

        var now = DateTimeOffset.UtcNow;
        var running = finished with
        {
            Id = Sweep.NewId(now),
            Status = SweepStatus.Running,
            CreatedAt = now,
            FinishedAt = null,
            PointCount = 4,
            Finished = "....",
            Request = request with { Budget = 4, Grid = new SweepGrid { Seed = [1, 2, 3, 4] } },
            Promoted = null,
        };
        await sweeps.CreateAsync(running);
        for (int p = 0; p < 4; p++)
        {
            var point = Running(now) with { Id = Sweep.JobIdFor(running.Id, p), SweepId = running.Id };
            await jobs.CreateAsync(p < 2 ? point : point with { Status = TrainingJobStatus.Queued, RunToken = null }, null, "");
        }

        return finished.Id;
    }

    private static TrainingJob Finished(DateTimeOffset at, IReadOnlyList<EpochMetrics> epochs) => new()
    {
        Id = TrainingJob.NewId(at),
        Status = TrainingJobStatus.Succeeded,
        CreatedAt = at,
        UpdatedAt = at,
        StartedAt = at,
        FinishedAt = at.AddMinutes(1),
        Options = new TrainingOptions(),
        Attempts = 1,
        Epoch = epochs.Count,
        Metrics = epochs,
        ModelId = "fmnist-" + at.UtcDateTime.ToString("yyyyMMdd-HHmmss-fff", System.Globalization.CultureInfo.InvariantCulture),
        Enqueued = true,
    };

    /// <summary>A job a live run holds: written just now, so the watchdog leaves it alone.</summary>
    private static TrainingJob Running(DateTimeOffset at) => new()
    {
        Id = TrainingJob.NewId(at),
        Status = TrainingJobStatus.Running,
        CreatedAt = at,
        UpdatedAt = at,
        StartedAt = at,
        HeartbeatAt = at,
        Options = new TrainingOptions(),
        Attempts = 1,
        RunToken = Guid.NewGuid().ToString("N"),
        Enqueued = true,
    };
}

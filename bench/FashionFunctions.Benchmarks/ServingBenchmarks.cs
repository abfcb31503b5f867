using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Storage.Blobs;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Testing;
using SkiaSharp;

namespace FashionFunctions.Benchmarks;

/// <summary>A fresh worker-like process from <c>Main</c> to its first answers, in <see cref="ProcessesPerKind"/> processes of each
/// kind: sending the first request the moment the process listens (the model still downloading), and after the
/// warm-up has finished (as under the Functions host, which dispatches the first invocation after its own handshake).
/// Each figure is the median and range over those processes.</summary>
internal sealed record ColdStart(
    int ProcessesPerKind,
    Spread ProcessStartToMainMilliseconds,
    Spread MainToReadyMilliseconds,
    Spread ProcessStartToReadyMilliseconds,
    Spread FirstClassifyAtReadyMilliseconds,
    Spread MainToFirstAnswerMilliseconds,
    Spread ReadyToWarmedUpMilliseconds,
    Spread FirstClassifyAfterWarmUpMilliseconds,
    double WarmClassifyP50Milliseconds,
    double NewModelFromBlobMilliseconds,
    double WorkingSetAfterMiB,
    bool LibtorchLoaded,
    ColdStartRun FirstProcessAfterAzuriteStarted);

/// <summary>One cold-start child's measurements.</summary>
internal sealed record ColdStartRun(double StartToMain, double MainToReady, double ReadyToWarmedUp, double FirstClassify, double WarmP50, double NewModel, double WorkingSetMiB, bool Libtorch);

/// <summary>What one request cost the process serving it: CPU and wall time, the process's peak working set
/// while it ran (runtime included), and the answer.</summary>
internal sealed record RequestCost(string Case, int Status, double CpuMilliseconds, double WallMilliseconds, double PeakWorkingSetMiB, long RequestBytes, bool LibtorchLoaded);

internal sealed record ServingResults(bool ReadyToRun, ColdStart ColdStart, IReadOnlyList<RequestCost> Requests);

/// <summary>
/// Serving measured the way an instance meets it: each case in a fresh process that hosts the app's HTTP
/// functions with the app's own service registration (<see cref="AppServer"/>: Kestrel in place of the Functions
/// host) against a real Azurite, with the model in blob storage, warm-up on as in the app. The cold start is timed
/// from the process's start to <c>Main</c>, to listening, to the answer of a classification sent at that moment
/// (the model fetched from blob by the warm-up or by the request, whichever comes first), to a second model loaded
/// on demand. Each request at an input limit is sent, after one small warm-up request, to a process of its
/// own, so that its CPU time and peak memory are its own.
/// </summary>
internal static class ServingBenchmarks
{
    public static async Task<ServingResults> RunAsync(string storageConnection, ModelArtifact current, ModelArtifact other, FashionMnistSplit test)
    {
        var models = new BlobModelRegistry(new BlobServiceClient(storageConnection).GetBlobContainerClient(StorageNames.ModelContainer));
        await models.SaveAsync(current);
        await models.SaveAsync(other);
        await models.PromoteAsync(current.Manifest.ModelId);

        string directory = Path.Combine(Path.GetTempPath(), "fashion-serving-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var limits = new FashionFunctionsOptions();
            var requests = LimitRequests.Write(directory, limits, test);
            var coldStart = MeasureColdStart(storageConnection, other.Manifest.ModelId, Path.Combine(directory, "small.png"));
            var costs = requests
                .Select(r => JsonSerializer.Deserialize<RequestCost>(Child("request", storageConnection, r.Label, r.Path, r.ContentType))!)
                .ToList();
            return new ServingResults(ChildrenReadyToRun, coldStart, costs);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private const int ColdStartProcessesPerKind = 5;

    private static ColdStart MeasureColdStart(string storageConnection, string otherModelId, string png)
    {
        ColdStartRun Run(string when) =>
            JsonSerializer.Deserialize<ColdStartRun>(Child("cold-start", storageConnection, otherModelId, png, when))!;

        // Kept apart: the first process after Azurite's start also waits for Azurite's own start-up and the OS's
        // file cache, which a worker on Azure Storage does not.
        var first = Run("at-ready");
        var atReady = new List<ColdStartRun>();
        var afterWarmUp = new List<ColdStartRun>();
        for (int i = 0; i < ColdStartProcessesPerKind; i++)
        {
            atReady.Add(Run("at-ready"));
            afterWarmUp.Add(Run("after-warm-up"));
        }

        return new ColdStart(
            ColdStartProcessesPerKind,
            Spread.Of(atReady.Select(r => r.StartToMain)),
            Spread.Of(atReady.Select(r => r.MainToReady)),
            Spread.Of(atReady.Select(r => r.StartToMain + r.MainToReady)),
            Spread.Of(atReady.Select(r => r.FirstClassify)),
            Spread.Of(atReady.Select(r => r.MainToReady + r.FirstClassify)),
            Spread.Of(afterWarmUp.Select(r => r.ReadyToWarmedUp)),
            Spread.Of(afterWarmUp.Select(r => r.FirstClassify)),
            Statistics.Median(atReady.Select(r => r.WarmP50)),
            Statistics.Median(atReady.Select(r => r.NewModel)),
            atReady.Concat(afterWarmUp).Max(r => r.WorkingSetMiB),
            atReady.Concat(afterWarmUp).Any(r => r.Libtorch),
            first);
    }

    /// <summary>The child's side: <c>cold-start connection otherModelId png at-ready|after-warm-up</c> or
    /// <c>request connection label bodyFile contentType</c>; prints one JSON line.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        long main = Stopwatch.GetTimestamp();
        double startToMain = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        string connection = args[1];
        await using var server = await AppServer.StartAsync(connection, new Dictionary<string, string?> { ["FashionFunctions:WarmUpOnStart"] = "true" });
        double ready = Stopwatch.GetElapsedTime(main).TotalMilliseconds;
        if (args[0] == "cold-start")
        {
            byte[] png = File.ReadAllBytes(args[3]);
            double warmedUp = 0;
            if (args[4] == "after-warm-up")
            {
                await server.Get<ModelWarmUp>().Completion;
                warmedUp = Stopwatch.GetElapsedTime(main).TotalMilliseconds - ready;
            }

            long first = Stopwatch.GetTimestamp();
            await ClassifyAsync(server.Client, "api/classify", png, "image/png");
            double firstMs = Stopwatch.GetElapsedTime(first).TotalMilliseconds;
            var warm = new double[200];
            for (int i = 0; i < warm.Length; i++)
            {
                long t = Stopwatch.GetTimestamp();
                await ClassifyAsync(server.Client, "api/classify", png, "image/png");
                warm[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            }

            long load = Stopwatch.GetTimestamp();
            await ClassifyAsync(server.Client, $"api/classify?model={args[2]}", png, "image/png");
            double loadMs = Stopwatch.GetElapsedTime(load).TotalMilliseconds;
            Console.WriteLine(JsonSerializer.Serialize(new ColdStartRun(startToMain, ready, warmedUp, firstMs, Statistics.Median(warm), loadMs, ProcStatus("VmRSS"), LibtorchLoaded())));
            return 0;
        }

        string label = args[2];
        byte[] body = File.ReadAllBytes(args[3]);
        string contentType = args[4];
        await server.Get<ModelWarmUp>().Completion;
        await ClassifyAsync(server.Client, "api/classify", LimitRequests.SmallPng(), "image/png"); // model loaded, code paths jitted
        GC.Collect();
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM, the peak resident set, to the current one
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        int status = await ClassifyAsync(server.Client, "api/classify", body, contentType, allowFailure: true);
        double wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        process.Refresh();
        double cpuMs = (process.TotalProcessorTime - cpu).TotalMilliseconds;
        Console.WriteLine(JsonSerializer.Serialize(new RequestCost(label, status, cpuMs, wall, ProcStatus("VmHWM"), body.Length, LibtorchLoaded())));
        return 0;
    }

    private static async Task<int> ClassifyAsync(HttpClient client, string path, byte[] body, string contentType, bool allowFailure = false)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await client.PostAsync(path, content);
        string answer = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode && !allowFailure)
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {answer}");
        }

        return (int)response.StatusCode;
    }

    private static string Child(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(ChildDirectory, "fashion-bench.dll"));
        start.ArgumentList.Add("--serving-child");
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        var stdout = child.StandardOutput.ReadToEndAsync();
        if (!child.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException($"The {args[0]} child did not finish in 5 minutes.");
        }

        string output = stdout.Result;
        return child.ExitCode == 0
            ? output.Trim().Split('\n')[^1]
            : throw new InvalidOperationException($"The {args[0]} child failed: {stderr.Result}{output}");
    }

    /// <summary>Where the children run from: <c>FASHION_BENCH_SERVING_FROM</c> (scripts/bench.sh points it at a
    /// ReadyToRun publish of the benchmark, compiled as the deployment package is), else this build.</summary>
    public static string ChildDirectory { get; } =
        Environment.GetEnvironmentVariable("FASHION_BENCH_SERVING_FROM") is { Length: > 0 } from ? from : AppContext.BaseDirectory;

    /// <summary>Whether the children's app code is ReadyToRun (native code precompiled), as in the deployment package.</summary>
    public static bool ChildrenReadyToRun
    {
        get
        {
            using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(ChildDirectory, "FashionFunctions.Functions.dll")));
            return pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0;
        }
    }

    internal static bool LibtorchLoaded() =>
        File.Exists("/proc/self/maps") && File.ReadAllText("/proc/self/maps").Contains("libtorch_cpu.so", StringComparison.Ordinal);

    /// <summary>A size line of /proc/self/status (VmRSS, VmHWM) in MiB.</summary>
    private static double ProcStatus(string field)
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }
}

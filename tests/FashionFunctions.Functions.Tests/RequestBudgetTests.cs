using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FashionFunctions.Functions.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace FashionFunctions.Functions.Tests;

/// <summary>An app with a trained model, bodies up to 64 MiB with Kestrel's own 30 MB limit lifted (so that only the
/// value budget stands between a huge JSON body and the parser), the default 256 images per request, and two event
/// streams per instance.</summary>
public sealed class BudgetApp : FunctionsApp
{
    public const int MaxBatchImages = 256;
    public const int MaxEventStreams = 2;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["FashionFunctions:MaxRequestBytes"] = (64 * 1024 * 1024).ToString(),
        ["FashionFunctions:MaxBatchImages"] = MaxBatchImages.ToString(),
        ["FashionFunctions:MaxEventStreams"] = MaxEventStreams.ToString(),
    };

    protected override void ConfigureServices(IServiceCollection services) =>
        services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = null);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Jobs.TrainAsync(this);
    }
}

/// <summary>
/// Abusive requests, each refused with the limit and the figure, nothing stored, and the instance meanwhile serving
/// classify as fast as usual: a JSON body of twenty million numbers (counted as it arrives), a multipart body of a
/// thousand parts (read up to the cap only), event streams past the instance's cap. Over real sockets.
/// </summary>
[Trait("Category", "Azurite")]
[Collection(AbuseCollection.Name)]
public class RequestBudgetTests(BudgetApp app) : IClassFixture<BudgetApp>
{
    /// <summary>What a valid JSON body can hold: {"images": [...]} with 256 arrays of 784 numbers.</summary>
    private const long MaxJsonValues = 3 + BudgetApp.MaxBatchImages * 785L;

    private static readonly Lazy<byte[]> TwentyMillionNumbers = new(() =>
    {
        const int count = 20_000_000;
        byte[] head = "{\"pixels\": ["u8.ToArray(), tail = "0]}"u8.ToArray();
        var body = new byte[head.Length + (2 * (count - 1)) + tail.Length];
        head.CopyTo(body, 0);
        for (int i = head.Length; i < body.Length - tail.Length; i += 2)
        {
            (body[i], body[i + 1]) = ((byte)'0', (byte)',');
        }

        tail.CopyTo(body, body.Length - tail.Length);
        return body;
    });

    private static readonly Lazy<(byte[] Body, string ContentType)> ThousandParts = new(() =>
        HttpCall.Multipart(Enumerable.Range(0, 1000).Select(i => ($"{i}.png", "image/png", TestImages.Encode28(TestData.Test.Image(i % 10))))));

    private static string Json(IEnumerable<IEnumerable<int>> images) =>
        "{\"images\": [" + string.Join(",", images.Select(image => "[" + string.Join(",", image) + "]")) + "]}";

    private static IEnumerable<int> Blank(int pixels = 784) => Enumerable.Repeat(0, pixels);

    /// <summary>Chunked, without Content-Length: the body is refused part-way, never for its declared size.</summary>
    private Task<HttpAnswer> PostChunkedAsync(byte[] body, string contentType) =>
        RawHttp.PostChunkedAsync(app.Server.BaseAddress, "api/classify", contentType, body);

    private int Writes() => app.StorageRequests.CountWhere(r => !r.StartsWith("GET ", StringComparison.Ordinal) && !r.StartsWith("HEAD ", StringComparison.Ordinal));

    private static long Figure(string detail, string pattern) => long.Parse(Regex.Match(detail, pattern).Groups[1].Value);

    [Fact]
    public async Task A_twenty_million_number_json_body_is_413_naming_the_limit_after_reading_a_sliver_of_it()
    {
        byte[] body = TwentyMillionNumbers.Value;
        int writes = Writes();

        var answer = await PostChunkedAsync(body, "application/json");

        answer.AssertProblem(413);
        string detail = answer.Json.GetProperty("detail").GetString()!;
        Assert.Contains($"more than {MaxJsonValues} values", detail);
        Assert.Contains($"at most {BudgetApp.MaxBatchImages} images (setting MaxBatchImages)", detail);
        long read = Figure(detail, @"Reading stopped (\d+) bytes into the body");
        Assert.InRange(read, 2 * MaxJsonValues, body.Length / 50); // about two bytes a value: the rest was never read
        Assert.Equal(writes, Writes());
    }

    [Fact]
    public async Task A_json_batch_as_large_as_a_valid_one_is_classified_and_one_value_more_is_413()
    {
        var full = Enumerable.Range(0, BudgetApp.MaxBatchImages).Select(_ => Blank()).ToList();
        var classified = await app.SendJsonAsync("POST", "api/classify", Json(full));
        Assert.Equal(200, classified.Status);
        Assert.Equal(BudgetApp.MaxBatchImages, classified.Json.GetArrayLength());

        // One extra number in the last image: a reader that parsed it would answer 400 (not 784 pixels), not 413.
        full[^1] = Blank(785);
        var refused = await app.SendJsonAsync("POST", "api/classify", Json(full));
        refused.AssertProblem(413);
        Assert.Contains($"more than {MaxJsonValues} values", refused.Json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_thousand_part_multipart_is_413_naming_the_cap_and_reading_stops_there()
    {
        var (body, contentType) = ThousandParts.Value;
        int writes = Writes();

        var answer = await app.SendAsync("POST", "api/classify", body, contentType);

        answer.AssertProblem(413);
        string detail = answer.Json.GetProperty("detail").GetString()!;
        Assert.Contains($"more than {BudgetApp.MaxBatchImages} parts", detail);
        Assert.Equal(BudgetApp.MaxBatchImages + 1, Figure(detail, @"reading stopped at part (\d+)"));
        Assert.Equal(writes, Writes());
    }

    [Fact]
    public async Task A_multipart_body_broken_after_the_cap_is_refused_for_its_parts_not_for_the_break()
    {
        var (body, contentType) = ThousandParts.Value;
        int cut = IndexOfPart(body, contentType, BudgetApp.MaxBatchImages + 10);
        byte[] broken = [.. body.AsSpan(0, cut), .. "this is not a multipart part"u8];

        (await app.SendAsync("POST", "api/classify", broken, contentType)).AssertProblem(413);
        (await app.SendAsync("POST", "api/classify", body[..IndexOfPart(body, contentType, 3)].Concat("garbage"u8.ToArray()).ToArray(), contentType)).AssertProblem(400);
    }

    /// <summary>Where the delimiter of the given part (counted from 0) begins.</summary>
    private static int IndexOfPart(byte[] body, string contentType, int part)
    {
        byte[] delimiter = Encoding.ASCII.GetBytes("--" + contentType.Split("boundary=")[1].Trim('"'));
        int at = -1;
        for (int i = 0; i <= part; i++)
        {
            at = body.AsSpan(at + 1).IndexOf(delimiter) + at + 1;
        }

        return at;
    }

    [Fact]
    public async Task Classify_keeps_its_usual_latency_while_abusive_requests_are_refused_and_nothing_is_stored()
    {
        byte[] photo = await File.ReadAllBytesAsync(Path.Combine(RepoRoot.Path, "samples", "photo.jpg"));
        async Task<TimeSpan> ClassifyAsync()
        {
            var clock = Stopwatch.StartNew();
            var answer = await app.SendAsync("POST", "api/classify", photo, "image/jpeg");
            Assert.Equal(200, answer.Status);
            return clock.Elapsed;
        }

        for (int i = 0; i < 10; i++)
        {
            await ClassifyAsync(); // warm: the model loaded, the code paths jitted
        }

        string jobId = (await Jobs.CreateAsync(app)).Json.GetProperty("id").GetString()!;
        var streams = new List<EventStreamClient>();
        for (int i = 0; i < BudgetApp.MaxEventStreams; i++)
        {
            streams.Add(await EventStreamClient.OpenAsync(app.Client, jobId)); // the instance's every stream, held throughout
        }

        int writes = Writes();
        var abusing = false;
        var inFlight = 0;
        var refusals = new int[5];
        using var stop = new CancellationTokenSource();
        async Task AbuseAsync(int kind, Func<Task> refusedOnce)
        {
            while (!stop.IsCancellationRequested)
            {
                if (!Volatile.Read(ref abusing))
                {
                    await Task.Delay(5);
                    continue;
                }

                Interlocked.Increment(ref inFlight);
                try
                {
                    await refusedOnce();
                    Interlocked.Increment(ref refusals[kind]);
                }
                finally
                {
                    Interlocked.Decrement(ref inFlight);
                }

                await Task.Delay(20); // one abusive client after another, not a flood of requests of any kind
            }
        }

        var abusers = new[]
        {
            Task.Run(() => AbuseAsync(0, async () => (await PostChunkedAsync(TwentyMillionNumbers.Value, "application/json")).AssertProblem(413))),
            Task.Run(() => AbuseAsync(1, async () => (await app.SendAsync("POST", "api/classify", ThousandParts.Value.Body, ThousandParts.Value.ContentType)).AssertProblem(413))),
            Task.Run(() => AbuseAsync(2, async () =>
            {
                using var extra = await EventStreamClient.OpenAsync(app.Client, jobId);
                (await extra.RefusalAsync()).AssertProblem(503);
            })),
            Task.Run(() => AbuseAsync(3, async () =>
                (await Jobs.CreateAsync(app, """{"epochs": 200, "batchSize": 1, "hiddenUnits": 4096}""")).AssertProblem(422))),
            Task.Run(() => AbuseAsync(4, async () =>
                (await app.SendJsonAsync("POST", "/api/sweeps", """{"grid": {"epochs": [200], "hiddenUnits": [4096], "learningRate": [0.001, 0.002, 0.003, 0.004]}}""")).AssertProblem(422))),
        };

        // Alone and during, interleaved, so that a neighbour's load on the machine weighs on both alike.
        var alone = new List<TimeSpan>();
        var during = new List<TimeSpan>();
        for (int round = 0; round < 6; round++)
        {
            Volatile.Write(ref abusing, false);
            while (Volatile.Read(ref inFlight) > 0)
            {
                await Task.Delay(5);
            }

            for (int i = 0; i < 5; i++)
            {
                alone.Add(await ClassifyAsync());
            }

            Volatile.Write(ref abusing, true);
            await Task.Delay(50);
            for (int i = 0; i < 5; i++)
            {
                during.Add(await ClassifyAsync());
            }
        }

        await stop.CancelAsync();
        streams.ForEach(s => s.Dispose());
        await Task.WhenAll(abusers); // an abusive request that was not refused as it should be fails here

        Assert.All(refusals, count => Assert.True(count > 0, "every kind of abuse was refused while classify was measured"));
        Assert.Equal(writes, Writes());
        // A refusal costs the instance a sliver of the body and no storage; sharing two cores with three such
        // clients, classify would at worst run at half speed. Five times leaves room for a noisy machine.
        var (medianAlone, medianDuring) = (Median(alone), Median(during));
        Assert.True(medianDuring <= medianAlone * 5,
            $"classify's median went from {medianAlone.TotalMilliseconds:F1} ms alone to {medianDuring.TotalMilliseconds:F1} ms during the abuse ({string.Join(", ", refusals)} refusals)");
    }

    private static TimeSpan Median(List<TimeSpan> times) => times.Order().ElementAt(times.Count / 2);
}

/// <summary>The abuse runs alone, after the tests that run in parallel: it loads the CPU on purpose, which would
/// disturb their timings, and their load would blur its latency measurement.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AbuseCollection
{
    public const string Name = "abuse";
}

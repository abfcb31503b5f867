using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests;

/// <summary>An app with a trained model, bodies up to 64 MiB (so that only the value budget stands between a huge
/// JSON body and the parser), the default 256 images per request, and two event streams per instance.</summary>
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

    private Task<HttpAnswer> PostChunkedAsync(byte[] body, string contentType)
    {
        var content = new ChunkedContent(body, contentType, chunkSize: 256 * 1024);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return app.SendAsync(new HttpRequestMessage(HttpMethod.Post, "api/classify") { Content = content });
    }

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
        async Task<TimeSpan> MedianClassifyAsync()
        {
            var times = new List<TimeSpan>();
            for (int i = 0; i < 25; i++)
            {
                var clock = Stopwatch.StartNew();
                var answer = await app.SendAsync("POST", "api/classify", photo, "image/jpeg");
                times.Add(clock.Elapsed);
                Assert.Equal(200, answer.Status);
            }

            return times.Order().ElementAt(times.Count / 2);
        }

        await MedianClassifyAsync(); // warm: the model loaded, the code paths jitted
        var alone = await MedianClassifyAsync();

        string jobId = (await Jobs.CreateAsync(app)).Json.GetProperty("id").GetString()!;
        int writes = Writes();
        using var stop = new CancellationTokenSource();
        var refusals = new int[3];
        async Task AbuseAsync(int slot, Func<Task> refusedOnce)
        {
            while (!stop.IsCancellationRequested)
            {
                await refusedOnce();
                Interlocked.Increment(ref refusals[slot]);
            }
        }

        var streams = new List<EventStreamClient>();
        var abusers = new[]
        {
            Task.Run(() => AbuseAsync(0, async () => (await PostChunkedAsync(TwentyMillionNumbers.Value, "application/json")).AssertProblem(413))),
            Task.Run(() => AbuseAsync(1, async () => (await app.SendAsync("POST", "api/classify", ThousandParts.Value.Body, ThousandParts.Value.ContentType)).AssertProblem(413))),
            Task.Run(() => AbuseAsync(2, async () =>
            {
                while (streams.Count < BudgetApp.MaxEventStreams)
                {
                    streams.Add(await EventStreamClient.OpenAsync(app.Client, jobId));
                }

                using var extra = await EventStreamClient.OpenAsync(app.Client, jobId);
                (await extra.RefusalAsync()).AssertProblem(503);
            })),
        };

        var during = await MedianClassifyAsync();
        await stop.CancelAsync();
        await Task.WhenAll(abusers);
        streams.ForEach(s => s.Dispose());

        Assert.All(refusals, count => Assert.True(count > 0, "every kind of abuse was refused at least once while classify was measured"));
        Assert.Equal(writes, Writes());
        // Each refusal costs the instance a sliver of its body and no storage; on two cores classify could at
        // worst share the CPU with the abuse, about half speed. Five times leaves room for noisy neighbours.
        Assert.True(during <= alone * 5, $"classify's median went from {alone.TotalMilliseconds:F1} ms alone to {during.TotalMilliseconds:F1} ms during the abuse");
    }
}

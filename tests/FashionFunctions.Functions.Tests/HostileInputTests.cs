using System.Text;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Tests.Support;
using SkiaSharp;

namespace FashionFunctions.Functions.Tests;

/// <summary>
/// Hostile and broken requests over real HTTP: every answer is the documented 4xx (or, for data we stored, 5xx)
/// as problem+json, never a bare 500. One row per kind; docs/usage.md ("Classify") lists the same statuses.
/// </summary>
[Trait("Category", "Azurite")]
public class HostileInputTests(TrainedApp app) : IClassFixture<TrainedApp>
{
    private const int MaxRequestBytes = 200_000; // TrainedApp's settings
    private const int MaxBatchImages = 50;

    private static byte[] Encoded(SKEncodedImageFormat format) => TestImages.Encode28(TestData.Test.Image(0), format, 90);

    private static byte[] Bmp()
    {
        // Skia does not encode BMP: a 28×28 8-bit grayscale BMP by hand.
        var bmp = new List<byte>();
        int palette = 256 * 4, pixels = 28 * 28, offset = 14 + 40 + palette;
        bmp.AddRange("BM"u8.ToArray());
        bmp.AddRange(BitConverter.GetBytes(offset + pixels));
        bmp.AddRange(new byte[4]);
        bmp.AddRange(BitConverter.GetBytes(offset));
        foreach (int v in new[] { 40, 28, 28 })
        {
            bmp.AddRange(BitConverter.GetBytes(v));
        }

        bmp.AddRange(BitConverter.GetBytes((short)1));
        bmp.AddRange(BitConverter.GetBytes((short)8));
        bmp.AddRange(new byte[24]);
        for (int i = 0; i < 256; i++)
        {
            bmp.AddRange(new[] { (byte)i, (byte)i, (byte)i, (byte)0 });
        }

        bmp.AddRange(TestData.Test.Image(0).ToArray());
        return bmp.ToArray();
    }

    private static byte[] Truncated(byte[] image) => image[..(image.Length / 2)];

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static string Pixels(string value) => "{\"pixels\": [" + string.Join(",", Enumerable.Repeat("0", 783).Append(value)) + "]}";

    /// <summary>kind → (method, path, body, content type, chunked, expected status).</summary>
    private static readonly Dictionary<string, Func<(string Method, string Path, byte[]? Body, string? ContentType, bool Chunked, int Status)>> Kinds = new()
    {
        ["empty image body"] = () => ("POST", "api/classify", [], "image/png", false, 400),
        ["garbage as png"] = () => ("POST", "api/classify", Utf8("this is not an image at all"), "image/png", false, 400),
        ["truncated png"] = () => ("POST", "api/classify", Truncated(Encoded(SKEncodedImageFormat.Png)), "image/png", false, 400),
        ["truncated jpeg"] = () => ("POST", "api/classify", Truncated(Encoded(SKEncodedImageFormat.Jpeg)), "image/jpeg", false, 400),
        ["truncated webp"] = () => ("POST", "api/classify", Truncated(Encoded(SKEncodedImageFormat.Webp)), "image/webp", false, 400),
        ["truncated gif"] = () => ("POST", "api/classify", Utf8("GIF89a\x1c\0\x1c\0"), "image/gif", false, 400),
        ["truncated bmp"] = () => ("POST", "api/classify", Truncated(Bmp()), "image/bmp", false, 400),
        ["oversized image"] = () => ("POST", "api/classify", new byte[MaxRequestBytes + 1], "image/png", false, 413),
        ["chunked oversized body"] = () => ("POST", "api/classify", new byte[MaxRequestBytes + 1], "image/jpeg", true, 413),
        ["pixel bomb png"] = () => ("POST", "api/classify", ClassifyLimitsTests.FlatPng(6000, 6000), "image/png", false, 413),
        ["pixel bomb in a json batch"] = () => ("POST", "api/classify", Utf8("{\"images\": [\"" + Convert.ToBase64String(ClassifyLimitsTests.FlatPng(6000, 6000)) + "\"]}"), "application/json", false, 413),
        ["raw pixels of the wrong length"] = () => ("POST", "api/classify", new byte[783], "application/octet-stream", false, 400),
        ["wrong content type"] = () => ("POST", "api/classify", Utf8("hello"), "text/plain", false, 415),
        ["no content type"] = () => ("POST", "api/classify", new byte[784], null, false, 415),
        ["malformed json"] = () => ("POST", "api/classify", Utf8("{\"pixels\": [1, 2,"), "application/json", false, 400),
        ["deeply nested json"] = () => ("POST", "api/classify", Utf8("{\"images\": " + new string('[', 5000) + new string(']', 5000) + "}"), "application/json", false, 400),
        ["huge json string"] = () => ("POST", "api/classify", Utf8("{\"images\": [\"" + new string('A', 150_000) + "\"]}"), "application/json", false, 400),
        ["huge number"] = () => ("POST", "api/classify", Utf8(Pixels("1e400")), "application/json", false, 400),
        ["NaN"] = () => ("POST", "api/classify", Utf8(Pixels("NaN")), "application/json", false, 400),
        ["Infinity as a string"] = () => ("POST", "api/classify", Utf8(Pixels("\"Infinity\"")), "application/json", false, 400),
        ["pixel out of range"] = () => ("POST", "api/classify", Utf8(Pixels("256")), "application/json", false, 400),
        ["batch over the limit"] = () => ("POST", "api/classify", Utf8("{\"images\": [" + string.Join(",", Enumerable.Repeat("\"AAAA\"", MaxBatchImages + 1)) + "]}"), "application/json", false, 413),
        ["unknown json field"] = () => ("POST", "api/classify", Utf8("{\"pixles\": []}"), "application/json", false, 400),
        ["multipart without files"] = () => ("POST", "api/classify", Utf8("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--\r\n"), "multipart/form-data; boundary=b", false, 400),
        ["malformed multipart"] = () => ("POST", "api/classify", Utf8("--b\r\nno headers here"), "multipart/form-data; boundary=b", false, 400),
        ["huge query number"] = () => ("POST", "api/classify?top=99999999999999999999", new byte[784], "application/octet-stream", false, 400),
        ["path traversal model id"] = () => ("POST", "api/classify?model=..%2F..%2Fcurrent.json", new byte[784], "application/octet-stream", false, 404),
        ["training job with a huge number"] = () => ("POST", "api/training-jobs", Utf8("{\"epochs\": 1e400}"), "application/json", false, 400),
        ["training job with an unknown field"] = () => ("POST", "api/training-jobs", Utf8("{\"epochz\": 1}"), "application/json", false, 400),
    };

    public static TheoryData<string> KindNames() => [.. Kinds.Keys];

    [Theory]
    [MemberData(nameof(KindNames))]
    public async Task Each_hostile_request_gets_its_documented_status_as_problem_details(string kind)
    {
        var (method, path, body, contentType, chunked, status) = Kinds[kind]();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = chunked ? ChunkedContent.Of(body, contentType!) : new ByteArrayContent(body);
            if (!chunked && contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        var answer = await app.SendAsync(request);
        answer.AssertProblem(status);
    }
}

/// <summary>Data we stored that cannot be read back is our fault: 500 with a trace id, no internal text.</summary>
[Trait("Category", "Azurite")]
public class CorruptStoredDataTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    [Fact]
    public async Task A_corrupt_current_pointer_makes_classify_500_with_a_trace_id_not_400()
    {
        var models = app.Container(StorageNames.ModelContainer);
        await models.CreateIfNotExistsAsync();
        await models.GetBlobClient(StorageNames.CurrentModelBlob).UploadAsync(new BinaryData("{\"modelId\": [secret-internal"), overwrite: true);
        try
        {
            var answer = await app.SendAsync("POST", "api/classify", new byte[784], "application/octet-stream");
            answer.AssertProblem(500);
            Assert.False(string.IsNullOrEmpty(answer.Json.GetProperty("traceId").GetString()));
            Assert.DoesNotContain("secret-internal", answer.Body);
            Assert.DoesNotContain("current.json", answer.Body);
        }
        finally
        {
            await models.DeleteBlobAsync(StorageNames.CurrentModelBlob);
        }
    }

    [Fact]
    public async Task A_corrupt_manifest_is_500_when_asked_for_and_left_out_of_the_list()
    {
        var models = app.Container(StorageNames.ModelContainer);
        await models.CreateIfNotExistsAsync();
        await models.GetBlobClient("fmnist-20260101-000000-corrupt/manifest.json").UploadAsync(new BinaryData("not json at all"), overwrite: true);

        var answer = await app.SendAsync("GET", "api/models/fmnist-20260101-000000-corrupt");
        answer.AssertProblem(500);
        Assert.DoesNotContain("not json", answer.Body);

        var list = await app.SendAsync("GET", "api/models");
        Assert.Equal(200, list.Status);
        Assert.DoesNotContain("corrupt", list.Body);
    }
}

using System.Text.Json;
using FashionFunctions.Core.Inference;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Functions.Http;
using FashionFunctions.Functions.Tests.Support;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace FashionFunctions.Functions.Tests;

/// <summary>Bounded cost per classify request: body limits whatever the transfer encoding, a pixel budget per
/// request, a cap on concurrent decodes. Over real sockets.</summary>
[Trait("Category", "Azurite")]
public class ClassifyLimitsTests(TrainedApp app) : IClassFixture<TrainedApp>
{
    private const int MaxRequestBytes = 200_000; // TrainedApp's setting

    public static byte[] FlatPng(int width, int height) => Flat(width, height, SKEncodedImageFormat.Png);

    private static byte[] Flat(int width, int height, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.Black);
        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(format, 100).ToArray();
    }

    private async Task<HttpAnswer> PostChunkedAsync(byte[] body, string contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/classify") { Content = ChunkedContent.Of(body, contentType) };
        return await app.SendAsync(request);
    }

    public static TheoryData<string> BodyForms() => ["image/png", "application/octet-stream", "application/json", "multipart/form-data"];

    [Theory]
    [MemberData(nameof(BodyForms))]
    public async Task A_chunked_body_over_the_limit_is_413_in_every_form(string form)
    {
        byte[] oversized = new byte[MaxRequestBytes + 50_000];
        var (body, contentType) = form == "multipart/form-data"
            ? HttpCall.Multipart([("big.png", "image/png", oversized)])
            : (oversized, form);

        var answer = await PostChunkedAsync(body, contentType);
        answer.AssertProblem(413);
    }

    [Fact]
    public async Task A_chunked_body_within_the_limit_is_classified()
    {
        var (body, contentType) = HttpCall.Multipart([("a.png", "image/png", TestImages.Encode28(TestData.Test.Image(0)))]);
        var answer = await PostChunkedAsync(body, contentType);
        Assert.Equal(200, answer.Status);
        Assert.Single(answer.Json.EnumerateArray());
    }

    [Fact]
    public async Task A_batch_whose_images_add_up_past_the_pixel_budget_is_413_before_decoding()
    {
        string image = Convert.ToBase64String(FlatPng(1500, 1500)); // 2.25 MP each: under the 4 MP per image
        var two = await app.SendJsonAsync("POST", "api/classify", JsonSerializer.Serialize(new { images = new[] { image, image } }));
        Assert.Equal(200, two.Status);

        var three = await app.SendJsonAsync("POST", "api/classify", JsonSerializer.Serialize(new { images = new[] { image, image, image } }));
        three.AssertProblem(413);
        Assert.StartsWith("images[2]:", three.Json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Jpegs_are_charged_their_reduced_scale_decode_so_more_fit_than_pngs_or_webps_of_their_size()
    {
        // 1900×1900 (3.6 MP) each: three PNGs or WebPs are charged 10.8 MP of decoding (WebP in full: its lossless
        // form was not measured), over the 6 MP budget; three JPEGs are decoded at an eighth of their side (238×238) and
        // charged that plus a sixteenth of 3.6 MP each.
        string jpeg = Convert.ToBase64String(Flat(1900, 1900, SKEncodedImageFormat.Jpeg));
        string png = Convert.ToBase64String(FlatPng(1900, 1900));
        string webp = Convert.ToBase64String(Flat(1900, 1900, SKEncodedImageFormat.Webp));

        var jpegs = await app.SendJsonAsync("POST", "api/classify", JsonSerializer.Serialize(new { images = new[] { jpeg, jpeg, jpeg } }));
        var pngs = await app.SendJsonAsync("POST", "api/classify", JsonSerializer.Serialize(new { images = new[] { png, png, png } }));
        var webps = await app.SendJsonAsync("POST", "api/classify", JsonSerializer.Serialize(new { images = new[] { webp, webp, webp } }));

        Assert.Equal(200, jpegs.Status);
        pngs.AssertProblem(413);
        webps.AssertProblem(413);
    }

    [Fact]
    public void One_lossless_image_that_alone_costs_more_than_the_budget_is_refused_as_too_costly_on_its_own()
    {
        var budget = new PixelBudget(new ImagePreprocessor(), maxRequestPixels: 1_000_000);
        var refused = Assert.Throws<ApiProblemException>(() => budget.Charge(FlatPng(1100, 1100), "images[0]"));
        Assert.Equal(413, refused.Status);
        Assert.StartsWith("images[0]: decoding this image would cost", refused.Message);
    }

    [Fact]
    public async Task When_every_decode_slot_stays_busy_past_the_queue_time_the_answer_is_503_with_retry_after()
    {
        var gate = new DecodeGate(Options.Create(new FashionFunctionsOptions { MaxConcurrentDecodes = 1, DecodeQueueSeconds = 0 }));
        var release = new TaskCompletionSource();
        var holding = Task.Run(() => gate.RunAsync(() => { release.Task.Wait(); return 1; }, CancellationToken.None));
        while (!holding.IsCompleted && !SpinWait.SpinUntil(() => false, 10))
        {
            try
            {
                await gate.RunAsync(() => 2, CancellationToken.None);
                await Task.Delay(10); // the holder has not taken the slot yet
            }
            catch (ApiProblemException busy)
            {
                Assert.Equal(503, busy.Status);
                Assert.Equal(DecodeGate.RetryAfterSeconds.ToString(), busy.Headers!["Retry-After"]);
                release.SetResult();
                Assert.Equal(1, await holding);
                Assert.Equal(2, await gate.RunAsync(() => 2, CancellationToken.None)); // the slot is free again
                return;
            }
        }

        Assert.Fail("the second decode never found the slot taken");
    }
}

using System.Text;
using System.Text.Json;
using FashionFunctions.Core.Data;
using FashionFunctions.Functions.Tests.Support;
using SkiaSharp;

namespace FashionFunctions.Functions.Tests;

[Trait("Category", "Azurite")]
public class ClassifyTests(TrainedApp app) : IClassFixture<TrainedApp>
{
    private Task<HttpAnswer> ClassifyAsync(byte[] body, string? contentType, string? query = null) =>
        app.SendAsync("POST", query is null ? "api/classify" : $"api/classify?{query}", body, contentType);

    private Task<HttpAnswer> ClassifyJsonAsync(string json, string? query = null) =>
        ClassifyAsync(Encoding.UTF8.GetBytes(json), "application/json", query);

    [Fact]
    public async Task Png_test_images_get_the_right_labels_from_the_trained_model()
    {
        int correct = 0;
        const int count = 100;
        for (int i = 0; i < count; i++)
        {
            var answer = await ClassifyAsync(TestImages.Encode28(TestData.Test.Image(i)), "image/png");
            Assert.Equal(200, answer.Status);
            correct += answer.Json.GetProperty("label").GetInt32() == TestData.Test.Labels[i] ? 1 : 0;
        }

        Assert.True(correct >= 0.7 * count, $"{correct} of {count} right");
    }

    [Fact]
    public async Task The_answer_has_label_class_name_confidence_all_probabilities_and_model_id()
    {
        var answer = await ClassifyAsync(TestImages.Encode28(TestData.Test.Image(0), SKEncodedImageFormat.Jpeg, 95), "image/jpeg", "top=3");
        Assert.Equal("application/json", answer.ContentType);
        var json = answer.Json;
        int label = json.GetProperty("label").GetInt32();
        Assert.Equal(FashionMnistClasses.NameOf(label), json.GetProperty("className").GetString());
        var probabilities = json.GetProperty("probabilities").EnumerateObject().ToList();
        Assert.Equal(FashionMnistClasses.Names, probabilities.Select(p => p.Name));
        Assert.Equal(1.0, probabilities.Sum(p => p.Value.GetDouble()), 3);
        Assert.Equal(probabilities.Max(p => p.Value.GetDouble()), json.GetProperty("confidence").GetDouble(), 5);
        Assert.Equal(app.Job.ModelId, json.GetProperty("modelId").GetString());
        var top = json.GetProperty("top").EnumerateArray().ToList();
        Assert.Equal(3, top.Count);
        Assert.Equal(label, top[0].GetProperty("label").GetInt32());
    }

    [Fact]
    public async Task Raw_bytes_and_pixel_arrays_give_the_same_answer_as_png()
    {
        byte[] pixels = TestData.Test.Image(5).ToArray();
        var fromPng = await ClassifyAsync(TestImages.Encode28(pixels), "image/png");
        var fromRaw = await ClassifyAsync(pixels, "application/octet-stream");
        var fromJson = await ClassifyJsonAsync(JsonSerializer.Serialize(new { pixels = pixels.Select(p => (int)p) }));

        Assert.Equal(fromPng.Json.GetProperty("label").GetInt32(), fromRaw.Json.GetProperty("label").GetInt32());
        Assert.Equal(fromPng.Json.GetProperty("confidence").GetDouble(), fromRaw.Json.GetProperty("confidence").GetDouble(), 5);
        Assert.Equal(fromRaw.Json.GetProperty("confidence").GetDouble(), fromJson.Json.GetProperty("confidence").GetDouble(), 5);
    }

    [Fact]
    public async Task A_json_batch_answers_a_list_in_input_order()
    {
        var images = new object[]
        {
            TestData.Test.Image(0).ToArray().Select(p => (int)p),
            Convert.ToBase64String(TestImages.Encode28(TestData.Test.Image(1))),
            TestData.Test.Image(2).ToArray().Select(p => (int)p),
        };
        var batch = await ClassifyJsonAsync(JsonSerializer.Serialize(new { images }));
        Assert.Equal(200, batch.Status);
        var labels = batch.Json.EnumerateArray().Select(a => a.GetProperty("label").GetInt32()).ToList();

        var singles = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            singles.Add((await ClassifyAsync(TestData.Test.Image(i).ToArray(), "application/octet-stream")).Json.GetProperty("label").GetInt32());
        }

        Assert.Equal(singles, labels);
    }

    [Fact]
    public async Task A_multipart_upload_answers_each_file_in_order()
    {
        var files = Enumerable.Range(10, 4).Select(i => ($"item{i}.png", "image/png", TestImages.Encode28(TestData.Test.Image(i)))).ToList();
        var (body, contentType) = HttpCall.Multipart(files);
        var answer = await ClassifyAsync(body, contentType);

        Assert.Equal(200, answer.Status);
        var labels = answer.Json.EnumerateArray().Select(a => a.GetProperty("label").GetInt32()).ToList();
        Assert.Equal(4, labels.Count);
        for (int i = 0; i < 4; i++)
        {
            var single = await ClassifyAsync(files[i].Item3, "image/png");
            Assert.Equal(single.Json.GetProperty("label").GetInt32(), labels[i]);
        }
    }

    [Fact]
    public async Task A_model_can_be_named_and_an_unknown_one_is_404()
    {
        var named = await ClassifyAsync(TestData.Test.Image(0).ToArray(), "application/octet-stream", $"model={app.Job.ModelId}");
        Assert.Equal(app.Job.ModelId, named.Json.GetProperty("modelId").GetString());

        (await ClassifyAsync(TestData.Test.Image(0).ToArray(), "application/octet-stream", "model=fmnist-does-not-exist")).AssertProblem(404);
        (await ClassifyAsync(TestData.Test.Image(0).ToArray(), "application/octet-stream", "model=../../etc/passwd")).AssertProblem(404);
    }

    [Theory]
    [InlineData("not an image at all", "image/png", 400)]
    [InlineData("short", "application/octet-stream", 400)]
    [InlineData("hello", "text/plain", 415)]
    [InlineData("", "image/png", 400)]
    [InlineData("{\"pixels\": [1, 2, 3]}", "application/json", 400)]
    [InlineData("{\"pixels\": ", "application/json", 400)]
    [InlineData("{\"pixel\": []}", "application/json", 400)]
    [InlineData("{\"images\": [\"%%%\"]}", "application/json", 400)]
    [InlineData("{\"images\": [true]}", "application/json", 400)]
    public async Task Bad_input_is_a_problem_with_the_right_status(string body, string contentType, int status)
    {
        (await ClassifyAsync(Encoding.UTF8.GetBytes(body), contentType)).AssertProblem(status);
    }

    [Fact]
    public async Task A_missing_content_type_is_415()
    {
        (await ClassifyAsync(TestData.Test.Image(0).ToArray(), null)).AssertProblem(415);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        (await ClassifyAsync(new byte[200_001], "image/png")).AssertProblem(413);
    }

    [Fact]
    public async Task An_image_with_too_many_pixels_is_413_before_decoding()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(2100, 2000, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.Black);
        using var image = SKImage.FromBitmap(bitmap);
        byte[] png = image.Encode(SKEncodedImageFormat.Png, 100).ToArray();
        Assert.True(png.Length < 200_000); // small on the wire, 4.2 megapixels decoded

        var answer = await ClassifyAsync(png, "image/png");
        answer.AssertProblem(413);
        Assert.Equal("TooManyPixels", answer.Json.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Too_many_images_in_a_batch_is_413()
    {
        var images = Enumerable.Repeat(Enumerable.Repeat(0, 784), 51);
        (await ClassifyJsonAsync(JsonSerializer.Serialize(new { images }))).AssertProblem(413);
    }

    [Fact]
    public async Task A_bad_image_in_a_batch_is_named_by_its_index()
    {
        var images = new object[] { Enumerable.Repeat(0, 784), Enumerable.Repeat(0, 783) };
        var answer = await ClassifyJsonAsync(JsonSerializer.Serialize(new { images }));
        answer.AssertProblem(400);
        Assert.StartsWith("images[1]:", answer.Json.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("top=0")]
    [InlineData("top=11")]
    [InlineData("top=three")]
    public async Task An_out_of_range_top_is_400_naming_it(string query)
    {
        var answer = await ClassifyAsync(TestData.Test.Image(0).ToArray(), "application/octet-stream", query);
        answer.AssertProblem(400);
        Assert.Equal("top", answer.Json.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Explain_returns_the_28x28_image_the_model_saw_as_png()
    {
        byte[] pixels = TestData.Test.Image(7).ToArray();
        var answer = await ClassifyAsync(pixels, "application/octet-stream", "explain=true");
        Assert.Equal(200, answer.Status);

        byte[] png = Convert.FromBase64String(answer.Json.GetProperty("modelInput").GetString()!);
        using var decoded = SKBitmap.Decode(png);
        Assert.Equal((28, 28), (decoded.Width, decoded.Height));
        var seen = Enumerable.Range(0, 784).Select(i => (byte)decoded.GetPixel(i % 28, i / 28).Red).ToArray();
        Assert.Equal(pixels, seen);

        var plain = await ClassifyAsync(pixels, "application/octet-stream");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, plain.Json.GetProperty("modelInput").ValueKind);
        (await ClassifyAsync(pixels, "application/octet-stream", "explain=maybe")).AssertProblem(400);
    }
}

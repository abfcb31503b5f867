using System.Net.Http.Headers;
using System.Text;
using FashionFunctions.Functions.Tests.Support;
using FashionFunctions.Testing;

namespace FashionFunctions.Functions.Tests;

/// <summary>Serving never pays for training's 440 MiB dependency: a process that warms up and classifies never maps libtorch.</summary>
[Trait("Category", "Azurite")]
[Trait("Category", "ChildProcess")]
public class ClassifyWithoutLibtorchTests(TrainedApp app) : IClassFixture<TrainedApp>
{
    [Fact]
    public async Task A_worker_process_that_warms_up_and_classifies_single_images_and_batches_never_maps_libtorch()
    {
        using var worker = await AppServerProcess.StartAsync(app.ConnectionString);
        using var client = new HttpClient { BaseAddress = worker.BaseAddress };
        byte[] png = TestImages.Encode28(TestData.Test.Image(0));

        using var single = new ByteArrayContent(png);
        single.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var one = await client.PostAsync("api/classify?explain=true", single);
        string batchJson = $"{{\"images\": [\"{Convert.ToBase64String(png)}\", [{string.Join(',', TestData.Test.Image(1).ToArray())}]]}}";
        using var many = await client.PostAsync("api/classify", new StringContent(batchJson, Encoding.UTF8, "application/json"));

        Assert.Equal(200, (int)one.StatusCode);
        Assert.Equal(200, (int)many.StatusCode);
        string mapped = worker.MappedFiles();
        Assert.Contains("libSkiaSharp.so", mapped); // the maps do show what classifying loaded
        Assert.DoesNotContain("libtorch_cpu.so", mapped);
        Assert.DoesNotContain("libLibTorchSharp.so", mapped);
    }
}

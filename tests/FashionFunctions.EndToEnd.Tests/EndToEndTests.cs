using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FashionFunctions.Core.Data;
using FashionFunctions.Testing;

namespace FashionFunctions.EndToEnd.Tests;

/// <summary>The whole app under the real Functions host, over real HTTP, with the real queue trigger.</summary>
[Trait("Category", "Azurite")]
[Trait("Category", "ChildProcess")]
public class EndToEndTests(FunctionsHost host) : IClassFixture<FunctionsHost>
{
    private static void SkipWithoutHost()
    {
        var (command, reason) = FunctionsHost.FindCommand();
        Skip.If(command is null, reason);
    }

    [SkippableFact]
    public async Task Health_is_anonymous_and_reports_storage()
    {
        SkipWithoutHost();
        using var anonymous = new HttpClient { BaseAddress = host.BaseUri };
        using var response = await anonymous.GetAsync("api/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("reachable", json.GetProperty("storage").GetString());
    }

    [SkippableFact]
    public async Task Errors_are_problem_details_over_http()
    {
        SkipWithoutHost();
        using var content = new StringContent("hello", System.Text.Encoding.UTF8, "text/plain");
        using var response = await host.Http.PostAsync("api/classify", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [SkippableFact]
    public async Task Answers_through_the_host_carry_nosniff_and_hsts()
    {
        SkipWithoutHost();
        using var anonymous = new HttpClient { BaseAddress = host.BaseUri };
        using var response = await anonymous.GetAsync("api/health/live");
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.StartsWith("max-age=", string.Join(",", response.Headers.GetValues("Strict-Transport-Security")));
    }

    [SkippableFact]
    public async Task Enqueue_train_through_the_queue_trigger_then_classify_pngs_accurately()
    {
        SkipWithoutHost();
        using var submit = await host.Http.PostAsJsonAsync("api/training-jobs", new { epochs = 3, seed = 1 });
        Assert.Equal(HttpStatusCode.Accepted, submit.StatusCode);
        var location = submit.Headers.Location!;

        JsonElement job = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (DateTime.UtcNow < deadline)
        {
            job = await host.Http.GetFromJsonAsync<JsonElement>(location.ToString().TrimStart('/'));
            string status = job.GetProperty("status").GetString()!;
            Assert.NotEqual("failed", status);
            if (status == "succeeded")
            {
                break;
            }

            await Task.Delay(1000);
        }

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        string modelId = job.GetProperty("modelId").GetString()!;

        var test = (await FashionMnistLoader.LoadAsync(new LocalDirectoryDatasetSource(LocalDirectoryDatasetSource.DebianPackageDirectory))).Test;
        const int count = 300;
        int correct = 0;
        for (int start = 0; start < count; start += 50)
        {
            using var form = new MultipartFormDataContent();
            for (int i = start; i < start + 50; i++)
            {
                var part = new ByteArrayContent(TestImages.Encode28(test.Image(i)));
                part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                form.Add(part, "images", $"test-{i}.png");
            }

            using var response = await host.Http.PostAsync($"api/classify?model={modelId}", form);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var answers = await response.Content.ReadFromJsonAsync<JsonElement>();
            int i2 = start;
            foreach (var answer in answers.EnumerateArray())
            {
                correct += answer.GetProperty("label").GetInt32() == test.Labels[i2++] ? 1 : 0;
            }
        }

        double accuracy = (double)correct / count;
        Assert.True(accuracy >= 0.85, $"accuracy {accuracy:F3} on {count} PNG test images");
    }
}

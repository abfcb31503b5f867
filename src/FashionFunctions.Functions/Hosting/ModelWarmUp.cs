using System.Text.Json;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Functions.Functions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace FashionFunctions.Functions.Hosting;

/// <summary>
/// As the worker starts, loads the current model into the <see cref="ModelCache"/> (taking the download
/// <see cref="StartupModelFetch"/> began on Main's first line) and classifies one small image through the whole
/// classify path, in the background: the first request then finds the weights in memory and the code compiled,
/// instead of paying for both itself. It never delays
/// or fails start-up: its services are resolved inside its own error handling (a malformed storage setting fails
/// the warm-up, not the host), and with no model yet, or storage out of reach, it logs and leaves the work to the
/// first request, giving up after <see cref="Timeout"/>. <see cref="FashionFunctionsOptions.WarmUpOnStart"/>
/// turns it off.
/// </summary>
public sealed class ModelWarmUp(IServiceProvider services, IOptions<FashionFunctionsOptions> options, ILogger<ModelWarmUp> logger)
    : BackgroundService
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Completes when the warm-up has finished, whatever its outcome.</summary>
    public Task Completion => completion.Task;

    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WarmUpOnStart)
        {
            completion.TrySetResult();
            return;
        }

        await Task.Yield(); // the host's start continues while this runs
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(Timeout);
        try
        {
            var cache = services.GetRequiredService<ModelCache>();
            var preprocessor = services.GetRequiredService<ImagePreprocessor>();
            var current = cache.GetCurrentAsync(timeout.Token);
            // While the model downloads, a blank model of the same shape takes the classify path, so that its code is
            // compiled by the time the model (and perhaps the first request) arrives.
            byte[] png = BlankPng();
            ClassifyBlankImage(BlankClassifier(), preprocessor, png);
            var classifier = await current.ConfigureAwait(false);
            ClassifyBlankImage(classifier, preprocessor, png);
            logger.LogInformation("Warmed up: model {ModelId} loaded and the classify path run once", classifier.ModelId);
        }
        catch (NoCurrentModelException)
        {
            logger.LogInformation("Nothing to warm up: no model has been trained yet");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Warm-up gave up after {Timeout}; the first classify request will load the model itself", Timeout);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Warm-up failed; the first classify request will load the model itself");
        }
        finally
        {
            completion.TrySetResult();
        }
    }

    /// <summary>What a classify request does with an image, up to its answer's JSON.</summary>
    private static void ClassifyBlankImage(Classifier classifier, ImagePreprocessor preprocessor, byte[] png)
    {
        var prediction = classifier.Predict(preprocessor.FromEncodedImage(png));
        JsonSerializer.SerializeToUtf8Bytes(ClassifyAnswer.From(prediction, top: 3), ModelJson.Options);
    }

    private static Classifier BlankClassifier() => new(
        ModelWeights.FromTensors(ModelWeights.LayoutFor(FashionMlp.HiddenUnits)
            .Select(t => new NamedTensor(t.Name, t.Shape, new float[t.Shape.Aggregate(1, (size, d) => size * d)]))),
        "warm-up");

    private static byte[] BlankPng()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.White);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}

using System.ComponentModel;
using System.Text.Json;
using FashionFunctions.Core.Inference;
using FashionFunctions.Core.Modeling;
using Spectre.Console.Cli;

namespace FashionFunctions.Cli.Commands;

internal sealed class ClassifyCommand : AsyncCommand<ClassifyCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-m|--model <MODEL_DIR>")]
        [Description("Directory holding model.safetensors and manifest.json.")]
        public string ModelDirectory { get; init; } = "";

        [CommandArgument(0, "<IMAGES>")]
        [Description("PNG, JPEG, GIF, BMP or WebP files.")]
        public string[] Images { get; init; } = [];
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(settings.ModelDirectory))
        {
            throw new ArgumentException("--model <MODEL_DIR> is required.");
        }

        var artifact = await ModelArtifact.LoadFromDirectoryAsync(settings.ModelDirectory, cancellationToken);
        var classifier = new Classifier(artifact);
        var preprocessor = new ImagePreprocessor();
        foreach (string path in settings.Images)
        {
            byte[] pixels;
            try
            {
                pixels = preprocessor.FromEncodedImage(await File.ReadAllBytesAsync(path, cancellationToken));
            }
            catch (ImageRejectedException e)
            {
                throw new ImageRejectedException(e.Reason, $"{path}: {e.Message}");
            }

            var prediction = classifier.Predict(pixels);
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                file = path,
                label = prediction.Label,
                className = prediction.ClassName,
                confidence = prediction.Confidence,
            }));
        }

        return 0;
    }
}

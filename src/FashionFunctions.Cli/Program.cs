using FashionFunctions.Cli;
using FashionFunctions.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("fashion");
    config.AddCommand<TrainCommand>("train").WithDescription("Train the model and save model.safetensors + manifest.json.");
    config.AddCommand<SweepCommand>("sweep").WithDescription("Train a grid of hyperparameters one point at a time; keep the winner by validation accuracy.");
    config.AddCommand<EvaluateCommand>("evaluate").WithDescription("Evaluate a saved model on the test set.");
    config.AddCommand<ClassifyCommand>("classify").WithDescription("Classify image files with a saved model.");
    config.AddCommand<SeedCommand>("seed").WithDescription("Upload the dataset into the app's blob storage (Azurite by default).");
    config.AddCommand<EnqueueCommand>("enqueue").WithDescription("Create a training job and put it on the app's queue.");
    config.AddCommand<SamplesCommand>("samples").WithDescription("Write the sample images (test-set images and product-photo-style variants) to samples/.");
    config.SetExceptionHandler((exception, _) => CliErrors.Report(exception));
});
return await app.RunAsync(args);

using System.ComponentModel;
using Azure.Storage.Blobs;
using FashionFunctions.Core.Data;
using FashionFunctions.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console.Cli;

namespace FashionFunctions.Cli.Commands;

/// <summary>Uploads the dataset into the app's storage account (datasets/fashion-mnist/), skipping files already there.</summary>
internal sealed class SeedCommand : AsyncCommand<SeedCommand.Settings>
{
    public sealed class Settings : StorageSettings
    {
        [CommandOption("--data <DIR_OR_URL>")]
        [Description("Where to copy the files from. Default: /usr/share/datasets/fashion-mnist")]
        public string? Data { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var container = new BlobServiceClient(settings.ConnectionString).GetBlobContainerClient(StorageNames.DatasetContainer);
        var seeder = new DatasetBlobSeeder(container, NullLogger<DatasetBlobSeeder>.Instance);
        var from = DatasetSources.FromSetting(settings.Data ?? LocalDirectoryDatasetSource.DebianPackageDirectory, CacheDirectory.Dataset);
        int uploaded = await seeder.EnsureSeededAsync(from, cancellationToken);
        Console.Out.WriteLine($"{uploaded} of {FashionMnistFile.All.Count} dataset files uploaded to {container.Uri}/{StorageNames.DatasetPrefix} (the rest were there).");
        return 0;
    }
}

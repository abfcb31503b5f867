using System.ComponentModel;
using Spectre.Console.Cli;

namespace FashionFunctions.Cli.Commands;

/// <summary>The storage account to talk to: --connection, else $AzureWebJobsStorage, else local Azurite.</summary>
internal class StorageSettings : CommandSettings
{
    [CommandOption("--connection <CONNECTION_STRING>")]
    [Description("Storage connection string. Default: $AzureWebJobsStorage, else UseDevelopmentStorage=true (Azurite).")]
    public string? Connection { get; init; }

    public string ConnectionString =>
        Connection ?? Environment.GetEnvironmentVariable("AzureWebJobsStorage") ?? "UseDevelopmentStorage=true";
}

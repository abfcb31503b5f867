using System.Reflection;
using System.Text.Json;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Testing;
using Microsoft.Extensions.Configuration;

namespace FashionFunctions.Infra.Tests;

/// <summary>One source of truth for settings: what the app reads, the local sample, and the Bicep agree.</summary>
[Trait("Category", "ChildProcess")]
public class SettingsTests
{
    /// <summary>Local-only: a connection string to Azurite, and the worker runtime that Flex Consumption sets in functionAppConfig.</summary>
    private static readonly string[] LocalOnly = [ServiceRegistration.StorageConnection, "FUNCTIONS_WORKER_RUNTIME"];

    /// <summary>Azure-only: identity-based storage and telemetry settings that replace the connection string (the
    /// app's data has a connection of its own there, which locally falls back to AzureWebJobsStorage), and the auth
    /// mode, which follows whether App Service Authentication is on.</summary>
    private static readonly string[] AzureOnly =
    [
        "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId", "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri",
        "FashionFunctionsStorage__credential", "FashionFunctionsStorage__clientId", "FashionFunctionsStorage__blobServiceUri",
        "FashionFunctionsStorage__queueServiceUri", "FashionFunctionsStorage__tableServiceUri",
        "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "FashionFunctions__Auth__Mode",
    ];

    /// <summary>Settings whose values differ on purpose: the local Debian directory vs the canonical mirror.</summary>
    private const string SeedSource = "FashionFunctions__DatasetSeedSource";

    private static IReadOnlyList<string> AppSettingsTheAppReads() =>
        ScalarOptions()
            .Select(p => $"{FashionFunctionsOptions.Section}__{p.Name}")
            .Concat(LocalOnly)
            .Order()
            .ToList();

    /// <summary>The options that are one setting each (Auth is a section: its mode is Azure-only, its keys are issued
    /// by scripts/issue-key.sh).</summary>
    private static IEnumerable<PropertyInfo> ScalarOptions() =>
        typeof(FashionFunctionsOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name != nameof(FashionFunctionsOptions.Auth));

    private static Dictionary<string, string> LocalSample()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "local.settings.sample.json")));
        return sample.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    /// <summary>The app settings the templates write (infra/app/app-settings.bicep's <c>settings</c>), evaluated for
    /// the given main.bicep parameters; values known only at deployment time read as their expression.</summary>
    internal static Dictionary<string, string> BicepAppSettings(params (string Name, object? Value)[] parameters)
    {
        var module = CompiledTemplate.Deploy(parameters).Single(r => r.Type == "Microsoft.Resources/deployments" && r.Symbol == "appSettings");
        var settings = (Dictionary<string, object?>)module.Property("parameters", "settings", "value")!;
        return settings.ToDictionary(p => p.Key, p => ArmScope.Render(p.Value));
    }

    [Fact]
    public void The_local_sample_lists_exactly_the_settings_the_app_reads()
    {
        Assert.Equal(AppSettingsTheAppReads(), LocalSample().Keys.Order());
    }

    [Fact]
    public void Every_setting_the_app_reads_has_a_row_in_the_settings_document()
    {
        string[] rows = File.ReadAllLines(Path.Combine(RepoRoot.Path, "docs", "settings.md"));
        var undocumented = AppSettingsTheAppReads().Append("FashionFunctions__Auth__Mode").Append("FashionFunctions__Auth__Keys__{name}")
            .Where(setting => !rows.Any(r => r.StartsWith($"| `{setting}` |", StringComparison.Ordinal)));
        Assert.Empty(undocumented);
    }

    [Fact]
    public void The_bicep_sets_the_same_settings_but_for_local_only_and_identity_based_ones()
    {
        var expected = AppSettingsTheAppReads().Except(LocalOnly).Concat(AzureOnly).Order();
        Assert.Equal(expected, BicepAppSettings().Keys.Order());
    }

    [Fact]
    public void Local_and_azure_values_agree_and_match_the_code_defaults()
    {
        var local = LocalSample();
        var azure = BicepAppSettings();
        var defaults = new FashionFunctionsOptions();
        foreach (var property in ScalarOptions())
        {
            string key = $"{FashionFunctionsOptions.Section}__{property.Name}";
            if (key == SeedSource)
            {
                continue;
            }

            object? value = property.GetValue(defaults);
            Assert.Equal(value is bool flag ? (flag ? "true" : "false") : Convert.ToString(value), local[key]); // JSON and Bicep spell booleans in lower case
            Assert.Equal(local[key], azure[key]);
        }

        Assert.Equal("/usr/share/datasets/fashion-mnist", local[SeedSource]);
        Assert.StartsWith("https://", azure[SeedSource]);
        Assert.Equal("UseDevelopmentStorage=true", local[ServiceRegistration.StorageConnection]);
        Assert.Equal("dotnet-isolated", local["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("managedidentity", azure["AzureWebJobsStorage__credential"]);
    }

    [Fact]
    public void Host_json_max_dequeue_count_matches_the_setting_the_runner_reads()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "host.json")));
        var queues = host.RootElement.GetProperty("extensions").GetProperty("queues");
        int maxDequeue = queues.GetProperty("maxDequeueCount").GetInt32();
        Assert.Equal(maxDequeue.ToString(), LocalSample()["FashionFunctions__MaxDequeueCount"]);
        Assert.Equal(maxDequeue.ToString(), BicepAppSettings()["FashionFunctions__MaxDequeueCount"]);
        Assert.Equal(1, queues.GetProperty("batchSize").GetInt32());
        Assert.Equal(0, queues.GetProperty("newBatchThreshold").GetInt32());
        Assert.Equal("base64", queues.GetProperty("messageEncoding").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_apps_storage_clients_use_the_data_connection_the_bicep_sets_and_the_hosts_without_it(bool withDataConnection)
    {
        // The Bicep's storage settings as the worker sees them, each service URI naming the connection it belongs to.
        var settings = BicepAppSettings()
            .Where(s => s.Key.StartsWith("AzureWebJobsStorage__", StringComparison.Ordinal)
                || (withDataConnection && s.Key.StartsWith($"{ServiceRegistration.DataConnection}__", StringComparison.Ordinal)))
            .ToDictionary(
                s => s.Key.Replace("__", ":", StringComparison.Ordinal),
                s => (string?)(s.Key.EndsWith("ServiceUri", StringComparison.Ordinal) ? $"https://{s.Key.Split("__")[0].ToLowerInvariant()}.core.windows.net" : s.Value));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        var endpoints = StorageEndpoints.From(ServiceRegistration.DataStorage(configuration));
        string expected = withDataConnection ? "fashionfunctionsstorage" : "azurewebjobsstorage";
        Assert.Equal($"{expected}.core.windows.net", endpoints.Blobs(new()).Uri.Host);
        Assert.Equal($"{expected}.core.windows.net", endpoints.Queues(new()).Uri.Host);
        Assert.Equal($"{expected}.core.windows.net", endpoints.Tables(new()).Uri.Host);
        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(endpoints.Credential);
    }
}

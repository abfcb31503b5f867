using System.Text.Json;
using FashionFunctions.Core.Storage;
using FashionFunctions.Testing;

namespace FashionFunctions.Infra.Tests;

/// <summary>What the templates create, as docs/deploy.md describes it.</summary>
[Trait("Category", "ChildProcess")]
public class InfrastructureTests
{
    private static JsonElement Single(string type) => Assert.Single(CompiledTemplate.Resources(type), r => !IsExisting(r));

    [Fact]
    public void The_app_runs_on_flex_consumption_linux_dotnet_isolated_10_with_4096_mb()
    {
        var plan = Single("Microsoft.Web/serverfarms");
        Assert.Equal("FlexConsumption", plan.GetProperty("sku").GetProperty("tier").GetString());
        Assert.True(plan.GetProperty("properties").GetProperty("reserved").GetBoolean());

        var site = Single("Microsoft.Web/sites");
        Assert.Equal("functionapp,linux", site.GetProperty("kind").GetString());
        var config = site.GetProperty("properties").GetProperty("functionAppConfig");
        Assert.Equal("dotnet-isolated", config.GetProperty("runtime").GetProperty("name").GetString());
        Assert.Equal("10.0", config.GetProperty("runtime").GetProperty("version").GetString());
        Assert.Equal("UserAssignedIdentity", config.GetProperty("deployment").GetProperty("storage").GetProperty("authentication").GetProperty("type").GetString());

        var main = CompiledTemplate.Root.GetProperty("parameters");
        Assert.Equal(4096, main.GetProperty("instanceMemoryMB").GetProperty("defaultValue").GetInt32());
    }

    [Fact]
    public void Storage_disallows_shared_keys_and_holds_the_apps_queues_and_containers()
    {
        var accounts = CompiledTemplate.Resources("Microsoft.Storage/storageAccounts").Where(a => !IsExisting(a)).ToList();
        Assert.Equal(2, accounts.Count);
        foreach (var account in accounts)
        {
            Assert.False(account.GetProperty("properties").GetProperty("allowSharedKeyAccess").GetBoolean());
            Assert.False(account.GetProperty("properties").GetProperty("allowBlobPublicAccess").GetBoolean());
        }

        // Each kind of resource from its own list: the queue and a container could share a name. The app's data in
        // its account; the queues in the host's, where the queue triggers read them through AzureWebJobsStorage.
        string dataModule = File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "app", "data-storage.bicep"));
        string hostModule = File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "app", "storage.bicep"));
        Assert.Superset(new HashSet<string> { StorageNames.DatasetContainer, StorageNames.ModelContainer, StorageNames.CheckpointContainer }, BicepList(dataModule, "containers"));
        Assert.Superset(new HashSet<string> { StorageNames.JobTable }, BicepList(dataModule, "tables"));
        Assert.Superset(new HashSet<string> { StorageNames.TrainingQueue, StorageNames.TrainingPoisonQueue }, BicepList(hostModule, "queues"));
        var containers = CompiledTemplate.Deploy().Where(r => r.Type == "Microsoft.Storage/storageAccounts/blobServices/containers").Select(r => r.Name.Split('/')).ToList();
        string hostAccount = containers.Single(c => c[^1] == "app-package")[0];
        Assert.Equal(["app-package"], containers.Where(c => c[0] == hostAccount).Select(c => c[^1]));
        Assert.Contains("Microsoft.Storage/storageAccounts/queueServices/queues@", hostModule);
        Assert.Contains("Microsoft.Storage/storageAccounts/tableServices/tables@", dataModule);
    }

    [Fact]
    public void Model_blobs_are_versioned_and_soft_deleted_and_deleted_containers_can_be_restored()
    {
        var deployed = CompiledTemplate.Deploy();
        string dataAccount = deployed.Where(r => r.Type == "Microsoft.Storage/storageAccounts/blobServices/containers")
            .Select(r => r.Name.Split('/')).Single(n => n[^1] == StorageNames.ModelContainer)[0];
        var blobService = Assert.Single(deployed, r => r.Type == "Microsoft.Storage/storageAccounts/blobServices" && r.Name == $"{dataAccount}/default");

        Assert.Equal(true, blobService.Property("isVersioningEnabled"));
        Assert.Equal(true, blobService.Property("deleteRetentionPolicy", "enabled"));
        Assert.InRange((long)blobService.Property("deleteRetentionPolicy", "days")!, 7, 365);
        Assert.Equal(true, blobService.Property("containerDeleteRetentionPolicy", "enabled"));
        Assert.InRange((long)blobService.Property("containerDeleteRetentionPolicy", "days")!, 7, 365);

        // Previous versions of models are kept for weeks, not deleted with the checkpoints' after a day.
        var rules = LifecycleRules(deployed);
        var models = Assert.Single(rules, r => Prefixes(r).Contains($"{StorageNames.ModelContainer}/"));
        Assert.InRange(VersionDeleteDays(models) ?? long.MaxValue, 30, long.MaxValue);
    }

    [Fact]
    public void Monitoring_is_application_insights_on_log_analytics_without_local_auth()
    {
        var insights = Single("Microsoft.Insights/components");
        Assert.True(insights.GetProperty("properties").GetProperty("DisableLocalAuth").GetBoolean());
        Single("Microsoft.OperationalInsights/workspaces");
    }

    [Fact]
    public void The_outputs_name_the_app_and_its_url_and_azd_can_find_the_service()
    {
        var outputs = CompiledTemplate.Root.GetProperty("outputs");
        Assert.True(outputs.TryGetProperty("AZURE_FUNCTION_APP_NAME", out _));
        Assert.True(outputs.TryGetProperty("AZURE_FUNCTION_APP_URL", out _));
        Assert.Contains("azd-service-name", Single("Microsoft.Web/sites").GetProperty("tags").ToString());

        string azureYaml = File.ReadAllText(Path.Combine(RepoRoot.Path, "azure.yaml"));
        Assert.Contains("project: ./src/FashionFunctions.Functions/", azureYaml);
        Assert.Contains("host: function", azureYaml);
    }

    [Fact]
    public void The_function_timeout_fits_training()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "host.json")));
        var timeout = TimeSpan.Parse(host.RootElement.GetProperty("functionTimeout").GetString()!);
        Assert.InRange(timeout, TimeSpan.FromMinutes(10), TimeSpan.FromHours(4)); // a 10-epoch job takes under a minute on 2 cores
    }

    [Fact]
    public void Checkpoints_a_crash_left_behind_are_deleted_by_a_lifecycle_rule_and_nothing_else_is()
    {
        var rules = LifecycleRules(CompiledTemplate.Deploy());
        var checkpoints = Assert.Single(rules, r => Actions(r).ContainsKey("baseBlob"));
        Assert.Equal(["checkpoints/"], Prefixes(checkpoints));
        Assert.NotNull(VersionDeleteDays(checkpoints)); // a deleted checkpoint lives on as a version: it goes too
        Assert.All(rules.Where(r => r != checkpoints), r => Assert.Equal(["version"], Actions(r).Keys)); // the rest only expire old versions
    }

    [Fact]
    public void The_dataset_mirror_is_https_and_the_same_as_the_apps_canonical_one()
    {
        var mirror = CompiledTemplate.Root.GetProperty("parameters").GetProperty("datasetMirror").GetProperty("defaultValue").GetString()!;
        Assert.StartsWith("https://", mirror);
        Assert.Equal(FashionFunctions.Core.Data.HttpDatasetSource.CanonicalMirror, new Uri(mirror));
        Assert.Equal(mirror, SettingsTests.BicepAppSettings()["FashionFunctions__DatasetSeedSource"]);
    }

    private static bool IsExisting(JsonElement resource) => resource.TryGetProperty("existing", out var existing) && existing.GetBoolean();

    private static List<Dictionary<string, object?>> LifecycleRules(IReadOnlyList<ArmResource> deployed)
    {
        var policy = Assert.Single(deployed, r => r.Type == "Microsoft.Storage/storageAccounts/managementPolicies");
        return ((List<object?>)policy.Property("policy", "rules")!).Cast<Dictionary<string, object?>>().ToList();
    }

    private static List<string> Prefixes(Dictionary<string, object?> rule) =>
        ((List<object?>)((Dictionary<string, object?>)((Dictionary<string, object?>)rule["definition"]!)["filters"]!)["prefixMatch"]!).Cast<string>().ToList();

    private static Dictionary<string, object?> Actions(Dictionary<string, object?> rule) =>
        (Dictionary<string, object?>)((Dictionary<string, object?>)rule["definition"]!)["actions"]!;

    private static long? VersionDeleteDays(Dictionary<string, object?> rule) =>
        Actions(rule).TryGetValue("version", out var version)
            ? (long)((Dictionary<string, object?>)((Dictionary<string, object?>)version!)["delete"]!)["daysAfterCreationGreaterThan"]!
            : null;

    /// <summary>The string literals of <c>var {name} = [...]</c> in a Bicep file.</summary>
    private static HashSet<string> BicepList(string bicep, string name)
    {
        var list = System.Text.RegularExpressions.Regex.Match(bicep, $@"(?m)^var {name} = \[(?<items>[^\]]*)\]");
        Assert.True(list.Success, $"storage.bicep has no list '{name}'");
        return System.Text.RegularExpressions.Regex.Matches(list.Groups["items"].Value, "'([^']*)'").Select(m => m.Groups[1].Value).ToHashSet();
    }
}

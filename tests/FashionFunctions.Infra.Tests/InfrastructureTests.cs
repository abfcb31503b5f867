using System.Text.Json;
using FashionFunctions.Core.Storage;
using FashionFunctions.Testing;

namespace FashionFunctions.Infra.Tests;

/// <summary>What the templates create, as docs/deploy.md describes it.</summary>
[Trait("Category", "ChildProcess")]
public class InfrastructureTests
{
    private static JsonElement Single(string type) => Assert.Single(CompiledTemplate.Resources(type));

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
        var account = Single("Microsoft.Storage/storageAccounts");
        Assert.False(account.GetProperty("properties").GetProperty("allowSharedKeyAccess").GetBoolean());
        Assert.False(account.GetProperty("properties").GetProperty("allowBlobPublicAccess").GetBoolean());

        // Each kind of resource from its own list: the queue and a container could share a name.
        string storageModule = File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "app", "storage.bicep"));
        Assert.Superset(new HashSet<string> { StorageNames.DatasetContainer, StorageNames.ModelContainer, StorageNames.CheckpointContainer }, BicepList(storageModule, "containers"));
        Assert.Superset(new HashSet<string> { StorageNames.TrainingQueue, StorageNames.TrainingPoisonQueue }, BicepList(storageModule, "queues"));
        Assert.Superset(new HashSet<string> { StorageNames.JobTable }, BicepList(storageModule, "tables"));
        Assert.Contains("Microsoft.Storage/storageAccounts/queueServices/queues@", storageModule);
        Assert.Contains("Microsoft.Storage/storageAccounts/tableServices/tables@", storageModule);
    }

    [Fact]
    public void The_identity_gets_exactly_the_blob_queue_table_and_monitoring_roles()
    {
        var roles = CompiledTemplate.Resources("Microsoft.Authorization/roleAssignments").ToList();
        string text = string.Join("\n", roles.Select(r => r.ToString()));
        string template = CompiledTemplate.Root.ToString();
        foreach (string role in new[]
        {
            "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner
            "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
            "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
            "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher
        })
        {
            Assert.Contains(role, template);
        }

        Assert.DoesNotContain("17d1049b-9a84-46fb-8f53-869881c3d3ab", template); // Storage Account Contributor: not needed
        Assert.DoesNotContain("ba92f5b4-2d11-453d-a403-e96b0029c9fe", template); // Blob Data Contributor: Owner covers it
        Assert.Equal(2, roles.Count); // one looped assignment over the three storage roles, one for telemetry
        Assert.Contains("ServicePrincipal", text);
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

    /// <summary>The string literals of <c>var {name} = [...]</c> in a Bicep file.</summary>
    [Fact]
    public void Checkpoints_a_crash_left_behind_are_deleted_by_a_lifecycle_rule_and_nothing_else_is()
    {
        var rules = Single("Microsoft.Storage/storageAccounts/managementPolicies").GetProperty("properties").GetProperty("policy").GetProperty("rules");
        var rule = Assert.Single(rules.EnumerateArray());
        var definition = rule.GetProperty("definition");
        Assert.Equal(["checkpoints/"], definition.GetProperty("filters").GetProperty("prefixMatch").EnumerateArray().Select(p => p.GetString()));
        Assert.True(definition.GetProperty("actions").GetProperty("baseBlob").GetProperty("delete").TryGetProperty("daysAfterModificationGreaterThan", out _));
    }

    private static HashSet<string> BicepList(string bicep, string name)
    {
        var list = System.Text.RegularExpressions.Regex.Match(bicep, $@"(?m)^var {name} = \[(?<items>[^\]]*)\]");
        Assert.True(list.Success, $"storage.bicep has no list '{name}'");
        return System.Text.RegularExpressions.Regex.Matches(list.Groups["items"].Value, "'([^']*)'").Select(m => m.Groups[1].Value).ToHashSet();
    }
}

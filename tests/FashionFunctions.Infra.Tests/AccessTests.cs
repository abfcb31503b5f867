using System.Text.RegularExpressions;
using FashionFunctions.Core.Storage;

namespace FashionFunctions.Infra.Tests;

/// <summary>Who may touch what: the two identities' role assignments, evaluated down to their scopes.</summary>
[Trait("Category", "ChildProcess")]
public class AccessTests
{
    private const string BlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string BlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    private const string QueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string TableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    private sealed record Grant(string Identity, string Role, string Scope);

    private static readonly IReadOnlyList<ArmResource> Deployed = CompiledTemplate.Deploy();

    private static string AccountHolding(string container) =>
        Deployed.Where(r => r.Type == "Microsoft.Storage/storageAccounts/blobServices/containers")
            .Select(r => r.Name.Split('/'))
            .Single(parts => parts[^1] == container)[0];

    private static string DataAccount => AccountHolding(StorageNames.ModelContainer);

    private static string HostAccount => AccountHolding("app-package");

    private static string IdentityNamedIn(string setting)
    {
        var settings = SettingsTests.BicepAppSettings();
        var match = Regex.Match(settings[setting], "userAssignedIdentities/([^,)]+)");
        Assert.True(match.Success, $"{setting} names no user-assigned identity: {settings[setting]}");
        return match.Groups[1].Value;
    }

    /// <summary>Every role assignment: the identity it is for, the role, and its scope below "providers/".</summary>
    private static List<Grant> Grants() => Deployed
        .Where(r => r.Type == "Microsoft.Authorization/roleAssignments")
        .Select(r =>
        {
            string principal = ArmScope.Render(r.Property("principalId"));
            string identity = Regex.Match(principal, "userAssignedIdentities/([^,)]+)").Groups[1].Value;
            string role = ArmScope.Render(r.Property("roleDefinitionId")).Split('/')[^1];
            string scope = r.Scope!;
            return new Grant(identity, role, scope[(scope.IndexOf("/providers/", StringComparison.Ordinal) + "/providers/".Length)..]);
        })
        .ToList();

    [Fact]
    public void The_app_data_and_the_hosts_state_are_in_two_accounts_each_with_its_own_identity()
    {
        Assert.NotEqual(DataAccount, HostAccount);
        Assert.Equal(2, Deployed.Count(r => r.Type == "Microsoft.Storage/storageAccounts"));
        Assert.NotEqual(IdentityNamedIn("AzureWebJobsStorage__clientId"), IdentityNamedIn("FashionFunctionsStorage__clientId"));
        Assert.Equal(2, Deployed.Count(r => r.Type == "Microsoft.ManagedIdentity/userAssignedIdentities"));
    }

    [Fact]
    public void The_data_identity_holds_contributor_roles_on_each_data_container_table_and_queue_and_nothing_else()
    {
        string data = IdentityNamedIn("FashionFunctionsStorage__clientId");
        var expected = new HashSet<Grant>
        {
            new(data, BlobDataContributor, $"Microsoft.Storage/storageAccounts/{DataAccount}/blobServices/default/containers/{StorageNames.DatasetContainer}"),
            new(data, BlobDataContributor, $"Microsoft.Storage/storageAccounts/{DataAccount}/blobServices/default/containers/{StorageNames.ModelContainer}"),
            new(data, BlobDataContributor, $"Microsoft.Storage/storageAccounts/{DataAccount}/blobServices/default/containers/{StorageNames.CheckpointContainer}"),
            new(data, TableDataContributor, $"Microsoft.Storage/storageAccounts/{DataAccount}/tableServices/default/tables/{StorageNames.JobTable}"),
            new(data, QueueDataContributor, $"Microsoft.Storage/storageAccounts/{HostAccount}/queueServices/default/queues/{StorageNames.TrainingQueue}"),
            new(data, QueueDataContributor, $"Microsoft.Storage/storageAccounts/{HostAccount}/queueServices/default/queues/{StorageNames.TrainingPoisonQueue}"),
        };

        Assert.Equal(expected, Grants().Where(g => g.Identity == data).ToHashSet());
    }

    [Fact]
    public void The_host_identity_holds_the_hosts_roles_on_the_host_account_and_telemetry_only()
    {
        string host = IdentityNamedIn("AzureWebJobsStorage__clientId");
        var grants = Grants().Where(g => g.Identity == host).ToList();
        string account = $"Microsoft.Storage/storageAccounts/{HostAccount}";
        Assert.Equal(
            new HashSet<Grant> { new(host, BlobDataOwner, account), new(host, QueueDataContributor, account), new(host, TableDataContributor, account) },
            grants.Where(g => g.Scope.StartsWith("Microsoft.Storage/", StringComparison.Ordinal)).ToHashSet());
        var telemetry = Assert.Single(grants, g => !g.Scope.StartsWith("Microsoft.Storage/", StringComparison.Ordinal));
        Assert.Equal(MonitoringMetricsPublisher, telemetry.Role);
        Assert.StartsWith("Microsoft.Insights/components/", telemetry.Scope);
    }

    [Fact]
    public void No_one_holds_a_role_on_the_whole_data_account_and_no_one_owns_its_blobs()
    {
        var grants = Grants();
        Assert.Equal(2, grants.Select(g => g.Identity).Distinct().Count());
        string account = $"Microsoft.Storage/storageAccounts/{DataAccount}";
        Assert.DoesNotContain(grants, g => g.Scope == account);
        Assert.DoesNotContain(grants, g => g.Role == BlobDataOwner && g.Scope.StartsWith(account + "/", StringComparison.Ordinal));
        Assert.DoesNotContain(grants, g => g.Role == "17d1049b-9a84-46fb-8f53-869881c3d3ab"); // Storage Account Contributor: keys
    }

    [Fact]
    public void The_app_signs_in_to_its_data_with_the_data_identity_and_the_host_with_its_own()
    {
        var settings = SettingsTests.BicepAppSettings();
        Assert.Equal("managedidentity", settings["FashionFunctionsStorage__credential"]);
        Assert.Contains($"storageAccounts/{DataAccount}", settings["FashionFunctionsStorage__blobServiceUri"]);
        Assert.Contains($"storageAccounts/{DataAccount}", settings["FashionFunctionsStorage__tableServiceUri"]);
        // The queue triggers read the queues through AzureWebJobsStorage, so the app sends to them there.
        Assert.Contains($"storageAccounts/{HostAccount}", settings["FashionFunctionsStorage__queueServiceUri"]);
        Assert.Contains($"storageAccounts/{HostAccount}", settings["AzureWebJobsStorage__blobServiceUri"]);

        var site = Assert.Single(Deployed, r => r.Type == "Microsoft.Web/sites");
        string identities = ArmScope.Render(site.Evaluate("identity"));
        Assert.Contains(IdentityNamedIn("AzureWebJobsStorage__clientId"), identities);
        Assert.Contains(IdentityNamedIn("FashionFunctionsStorage__clientId"), identities);
    }
}

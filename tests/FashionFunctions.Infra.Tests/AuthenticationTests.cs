using FashionFunctions.Testing;

namespace FashionFunctions.Infra.Tests;

/// <summary>How callers and deployers authenticate: Entra ID through App Service Authentication exactly when a
/// tenant is given (and the app's auth mode agreeing), named function keys otherwise, no basic-auth publishing.</summary>
[Trait("Category", "ChildProcess")]
public class AuthenticationTests
{
    private const string Tenant = "11111111-2222-3333-4444-555555555555";
    private const string Client = "66666666-7777-8888-9999-000000000000";

    [Fact]
    public void Basic_auth_publishing_is_off_for_scm_and_ftp()
    {
        var policies = CompiledTemplate.Deploy().Where(r => r.Type == "Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(["ftp", "scm"], policies.Select(p => p.Name.Split('/')[^1]).Order());
        Assert.All(policies, p => Assert.Equal(false, p.Property("allow")));
        string site = Assert.Single(CompiledTemplate.Deploy(), r => r.Type == "Microsoft.Web/sites").Name;
        Assert.All(policies, p => Assert.Equal(site, p.Name.Split('/')[0]));
    }

    [Fact]
    public void Without_a_tenant_there_is_no_app_service_authentication_and_the_app_uses_keys()
    {
        Assert.DoesNotContain(CompiledTemplate.Deploy(), r => r.Type == "Microsoft.Web/sites/config" && r.Name.EndsWith("/authsettingsV2", StringComparison.Ordinal));
        Assert.Equal("Keys", SettingsTests.BicepAppSettings()["FashionFunctions__Auth__Mode"]);
        var parameters = CompiledTemplate.Root.GetProperty("parameters");
        Assert.Equal("", parameters.GetProperty("authTenantId").GetProperty("defaultValue").GetString());
    }

    [Fact]
    public void With_a_tenant_entra_id_validates_tokens_for_the_app_registration_and_the_app_trusts_the_principal()
    {
        var deployed = CompiledTemplate.Deploy(("authTenantId", Tenant), ("authClientId", Client));
        var auth = Assert.Single(deployed, r => r.Type == "Microsoft.Web/sites/config" && r.Name.EndsWith("/authsettingsV2", StringComparison.Ordinal));
        Assert.Equal("EntraId", SettingsTests.BicepAppSettings(("authTenantId", Tenant), ("authClientId", Client))["FashionFunctions__Auth__Mode"]);

        Assert.Equal(true, auth.Property("platform", "enabled"));
        // Anonymous requests reach the worker, whose rights table answers them: health, the page and the OpenAPI
        // document stay open, every other route refuses them. A token, when sent, is validated by the platform.
        Assert.Equal("AllowAnonymous", auth.Property("globalValidation", "unauthenticatedClientAction"));
        Assert.Equal(false, auth.Property("globalValidation", "requireAuthentication"));
        Assert.Equal(true, auth.Property("httpSettings", "requireHttps"));
        Assert.Equal(true, auth.Property("identityProviders", "azureActiveDirectory", "enabled"));
        Assert.Equal(Client, auth.Property("identityProviders", "azureActiveDirectory", "registration", "clientId"));
        Assert.Equal($"https://login.microsoftonline.com/{Tenant}/v2.0", auth.Property("identityProviders", "azureActiveDirectory", "registration", "openIdIssuer"));
        Assert.Equal(
            new List<object?> { $"api://{Client}", Client },
            auth.Property("identityProviders", "azureActiveDirectory", "validation", "allowedAudiences"));
    }

    [Fact]
    public void Azd_passes_the_tenant_and_client_from_the_environment_and_defaults_to_none()
    {
        string parameters = File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "main.parameters.json"));
        Assert.Contains("\"authTenantId\": { \"value\": \"${FASHION_AUTH_TENANT_ID}\" }", parameters);
        Assert.Contains("\"authClientId\": { \"value\": \"${FASHION_AUTH_CLIENT_ID}\" }", parameters);
        Assert.Contains("env set FASHION_AUTH_TENANT_ID", File.ReadAllText(Path.Combine(RepoRoot.Path, "scripts", "entra-app.sh")));
    }

    [Fact]
    public void Deploying_app_settings_keeps_the_named_keys_the_script_issued_and_sets_none_itself()
    {
        var deployed = CompiledTemplate.Deploy();
        var module = Assert.Single(deployed, r => r.Type == "Microsoft.Resources/deployments" && r.Symbol == "appSettings");
        // Read back from the app at deployment time: only the settings issue-key.sh writes.
        string kept = ArmScope.Render(module.Property("parameters", "issuedKeys", "value")).Replace("⟨", "").Replace("⟩", "");
        Assert.StartsWith("toObject(filter(items(list(app::currentAppSettings, 2024-04-01).properties)", kept);
        Assert.Contains("startsWith(lambdaVariables(setting).key, FashionFunctions__Auth__Keys__)", kept);
        Assert.Contains("SETTING_PREFIX=FashionFunctions__Auth__Keys__", File.ReadAllText(Path.Combine(RepoRoot.Path, "scripts", "issue-key.sh")));
        Assert.DoesNotContain(SettingsTests.BicepAppSettings().Keys, k => k.StartsWith("FashionFunctions__Auth__Keys__", StringComparison.OrdinalIgnoreCase));

        var settings = Assert.Single(deployed, r => r.Type == "Microsoft.Web/sites/config" && r.Name.EndsWith("/appsettings", StringComparison.Ordinal));
        Assert.Equal("union(parameters('issuedKeys'), parameters('settings'))", settings.Definition.GetProperty("properties").GetString()!.Trim('[', ']'));
    }
}

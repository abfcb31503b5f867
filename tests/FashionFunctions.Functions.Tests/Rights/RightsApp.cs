using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Functions.Tests.Support;

namespace FashionFunctions.Functions.Tests.Rights;

/// <summary>
/// One storage with a trained, current model, served three ways: with auth off (the fixture's own server, which
/// trained the model), with named keys, and behind Entra ID (the principal header App Service Authentication sets).
/// </summary>
public sealed class RightsApp : FunctionsApp
{
    public static readonly string[] Roles = ["classifier", "trainer", "admin"];

    public TrainingJob Job { get; private set; } = null!;

    public AppServer KeysServer { get; private set; } = null!;

    public AppServer EntraServer { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Job = await Jobs.TrainAsync(this, """{"epochs": 1, "trainLimit": 6000, "seed": 3}""");
        KeysServer = await AppServer.StartAsync(ConnectionString, With(KeySettings()));
        EntraServer = await AppServer.StartAsync(ConnectionString, With(new() { ["FashionFunctions:Auth:Mode"] = "EntraId" }));
    }

    public override async Task DisposeAsync()
    {
        await KeysServer.DisposeAsync();
        await EntraServer.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>The key of the named caller (a role, or "trainer2", a second trainer).</summary>
    public static string KeyOf(string caller) => $"key-of-{caller}";

    /// <summary>The <c>X-MS-CLIENT-PRINCIPAL</c> header of a signed-in caller with these app roles.</summary>
    public static string PrincipalOf(string objectId, params string[] roles)
    {
        var claims = new List<object> { new { typ = "http://schemas.microsoft.com/identity/claims/objectidentifier", val = objectId } };
        claims.AddRange(roles.Select(r => new { typ = "roles", val = r }));
        return Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new
        {
            auth_typ = "aad",
            claims,
            name_typ = "name",
            role_typ = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        }));
    }

    private static Dictionary<string, string?> KeySettings()
    {
        var settings = new Dictionary<string, string?> { ["FashionFunctions:Auth:Mode"] = "Keys" };
        foreach (var (name, role) in new[] { ("classifier", "classifier"), ("trainer", "trainer"), ("trainer2", "trainer"), ("admin", "admin") })
        {
            settings[$"FashionFunctions:Auth:Keys:{name}"] = $"{role}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(KeyOf(name))))}";
        }

        return settings;
    }

    private Dictionary<string, string?> With(Dictionary<string, string?> auth)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var (key, value) in auth)
        {
            settings[key] = value;
        }

        return settings;
    }
}

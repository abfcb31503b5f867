using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FashionFunctions.Core.Access;
using FashionFunctions.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FashionFunctions.Functions.Http.Access;

/// <summary>
/// Who is calling, by the configured <see cref="AuthMode"/>: null for nobody known. The principal header is read only
/// in <see cref="AuthMode.EntraId"/>, where App Service Authentication sets it and drops any the client sent; in any
/// other mode a caller could write it themselves.
/// </summary>
public sealed class CallerResolver
{
    public const string KeyHeader = "x-functions-key";
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";
    private const string ObjectIdClaim = "http://schemas.microsoft.com/identity/claims/objectidentifier";

    private readonly AuthMode mode;
    private readonly IReadOnlyDictionary<string, Caller> keys;

    public CallerResolver(IOptions<FashionFunctionsOptions> options)
    {
        mode = options.Value.Auth.Mode;
        keys = options.Value.Auth.ParseKeys();
    }

    public AuthMode Mode => mode;

    /// <summary>Throws <see cref="UnauthenticatedException"/> for credentials that are present but not valid.</summary>
    public Caller? Resolve(HttpRequest request) => mode switch
    {
        AuthMode.Off => Caller.Local,
        AuthMode.Keys => FromKey(request),
        AuthMode.EntraId => FromPrincipal(request),
        _ => throw new InvalidOperationException($"Unknown auth mode {mode}."),
    };

    private Caller? FromKey(HttpRequest request)
    {
        // The header only: a key in the URL (the host's ?code=) would be kept by every log that records URLs.
        string? key = request.Headers[KeyHeader].FirstOrDefault();
        if (string.IsNullOrEmpty(key))
        {
            return null;
        }

        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        return keys.TryGetValue(hash, out var caller)
            ? caller
            : throw new UnauthenticatedException("This key is not one the app has issued to a caller (scripts/issue-key.sh issues them).");
    }

    private static Caller? FromPrincipal(HttpRequest request)
    {
        string? encoded = request.Headers[PrincipalHeader].FirstOrDefault();
        if (string.IsNullOrEmpty(encoded))
        {
            return null;
        }

        ClientPrincipal? principal;
        try
        {
            principal = JsonSerializer.Deserialize<ClientPrincipal>(Convert.FromBase64String(encoded), JsonSerializerOptions.Web);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new UnauthenticatedException("The signed-in principal could not be read.");
        }

        var claims = principal?.Claims ?? [];
        string? roleType = principal?.RoleType;
        string? id = claims.FirstOrDefault(c => c.Typ is ObjectIdClaim or "oid")?.Val ?? request.Headers["X-MS-CLIENT-PRINCIPAL-ID"].FirstOrDefault();
        if (string.IsNullOrEmpty(id))
        {
            throw new UnauthenticatedException("The signed-in principal has no object id.");
        }

        var roles = claims.Where(c => c.Typ == "roles" || (roleType is not null && c.Typ == roleType))
            .Select(c => Enum.TryParse<Role>(c.Val, ignoreCase: true, out var r) && Enum.IsDefined(r) ? r : (Role?)null)
            .OfType<Role>()
            .ToList();
        return new Caller($"entra:{id}", roles.Count == 0 ? Role.None : roles.Max());
    }

    private sealed record ClientPrincipal(
        [property: System.Text.Json.Serialization.JsonPropertyName("auth_typ")] string? AuthType,
        [property: System.Text.Json.Serialization.JsonPropertyName("role_typ")] string? RoleType,
        IReadOnlyList<PrincipalClaim>? Claims);

    private sealed record PrincipalClaim(string Typ, string Val);
}

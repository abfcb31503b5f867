using System.ComponentModel.DataAnnotations;
using FashionFunctions.Core.Access;

namespace FashionFunctions.Functions.Http.Access;

/// <summary>Settings under <c>FashionFunctions:Auth</c>.</summary>
public sealed class AuthOptions
{
    public AuthMode Mode { get; set; } = AuthMode.Off;

    /// <summary>
    /// In <see cref="AuthMode.Keys"/>: the callers, by name, each <c>{role}:{SHA-256 of the key, lowercase hex}</c>
    /// (<c>scripts/issue-key.sh</c> issues a key and writes its entry). The key itself is stored nowhere in the app.
    /// </summary>
    public Dictionary<string, string> Keys { get; set; } = [];

    /// <summary>The key entries parsed: SHA-256 hex → caller. Throws for an entry that is not <c>{role}:{hex}</c>.</summary>
    public IReadOnlyDictionary<string, Caller> ParseKeys()
    {
        var callers = new Dictionary<string, Caller>(StringComparer.Ordinal);
        foreach (var (name, entry) in Keys)
        {
            string[] parts = entry.Split(':');
            if (parts.Length != 2 || !Enum.TryParse<Role>(parts[0], ignoreCase: true, out var role) || !Enum.IsDefined(role)
                || parts[1].Length != 64 || !parts[1].All(char.IsAsciiHexDigitLower))
            {
                throw new ValidationException($"FashionFunctions:Auth:Keys:{name} must be '{{classifier|trainer|admin}}:{{SHA-256 of the key in lowercase hex}}'.");
            }

            if (!callers.TryAdd(parts[1], new Caller($"key:{name}", role)))
            {
                throw new ValidationException($"FashionFunctions:Auth:Keys:{name} has the same key as another caller.");
            }
        }

        return callers;
    }
}

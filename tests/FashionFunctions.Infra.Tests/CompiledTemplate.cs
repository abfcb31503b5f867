using System.Text.Json;
using FashionFunctions.Testing;

namespace FashionFunctions.Infra.Tests;

/// <summary>infra/main.bicep compiled to ARM JSON, with helpers to find resources in nested module deployments.</summary>
internal static class CompiledTemplate
{
    private static readonly Lazy<JsonElement> Compiled = new(() =>
    {
        var result = BicepCli.Run("build", Path.Combine(RepoRoot.Path, "infra", "main.bicep"), "--stdout");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.StandardError);
        }

        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    });

    public static JsonElement Root => Compiled.Value;

    /// <summary>What deploying main.bicep with these parameters (besides an environment name and a location) would
    /// create, modules followed (see <see cref="ArmScope"/>).</summary>
    public static IReadOnlyList<ArmResource> Deploy(params (string Name, object? Value)[] parameters)
    {
        var given = new Dictionary<string, object?> { ["environmentName"] = "test", ["location"] = "westeurope" };
        foreach (var (name, value) in parameters)
        {
            given[name] = value;
        }

        return new ArmScope(Root, given).Deployed().ToList();
    }

    /// <summary>Every resource object of the given type, at any depth.</summary>
    public static IEnumerable<JsonElement> Resources(string type) => Walk(Root).Where(e =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String &&
        string.Equals(t.GetString(), type, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<JsonElement> Walk(JsonElement element)
    {
        yield return element;
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                foreach (var child in Walk(property.Value))
                {
                    yield return child;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var child in Walk(item))
                {
                    yield return child;
                }
            }
        }
    }
}

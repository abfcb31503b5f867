using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FashionFunctions.Core.Access;
using FashionFunctions.Testing;

namespace FashionFunctions.Infra.Tests;

/// <summary>
/// infra/roles.json, the Entra app roles, and scripts/issue-key.sh run against a stand-in Azure CLI that records
/// every call: the hash the app setting carries (never the key), revocation, refusals.
/// </summary>
[Trait("Category", "ChildProcess")]
public class KeyScriptTests
{
    private static readonly string Scripts = Path.Combine(RepoRoot.Path, "scripts");

    private static JsonElement Roles()
    {
        using var roles = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "roles.json")));
        return roles.RootElement.GetProperty("roles").Clone();
    }

    [Fact]
    public void The_roles_are_the_apps_roles_above_none()
    {
        Assert.Equal(
            Enum.GetValues<Role>().Where(r => r != Role.None).Select(r => r.ToString().ToLowerInvariant()),
            Roles().EnumerateObject().Select(r => r.Name));
    }

    [Fact]
    public void The_entra_app_roles_are_classifier_trainer_and_admin_for_users_and_applications()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot.Path, "infra", "entra", "app-roles.json")));
        var appRoles = manifest.RootElement.EnumerateArray().ToList();
        Assert.Equal(["Classifier", "Trainer", "Admin"], appRoles.Select(r => r.GetProperty("value").GetString()));
        Assert.Equal(Roles().EnumerateObject().Select(r => r.Value.GetProperty("appRole").GetString()), appRoles.Select(r => r.GetProperty("value").GetString()));
        Assert.Equal(3, appRoles.Select(r => Guid.Parse(r.GetProperty("id").GetString()!)).Distinct().Count());
        Assert.All(appRoles, r => Assert.Equal(["User", "Application"], r.GetProperty("allowedMemberTypes").EnumerateArray().Select(t => t.GetString())));
        Assert.All(appRoles, r => Assert.True(r.GetProperty("isEnabled").GetBoolean()));
    }

    [Theory]
    [InlineData("classifier")]
    [InlineData("trainer")]
    [InlineData("admin")]
    public void A_key_is_random_and_only_its_role_and_hash_reach_the_apps_settings(string role)
    {
        using var az = new FakeAz();
        var run = az.Run("issue-key.sh", "alice", role, "--resource-group", "rg", "--app", "func");
        Assert.True(run.ExitCode == 0, run.StandardError);
        string key = run.StandardOutput.Trim();
        Assert.Matches("^[A-Za-z0-9_-]{43}$", key);

        var set = Assert.Single(az.Calls, c => c.StartsWith("functionapp config appsettings set", StringComparison.Ordinal));
        Assert.Equal($"FashionFunctions__Auth__Keys__alice={role}:{Sha256(key)}", FakeAz.Option(set, "--settings"));
        Assert.Equal("rg", FakeAz.Option(set, "--resource-group"));
        Assert.Equal("func", FakeAz.Option(set, "--name"));
        Assert.DoesNotContain(key, string.Join("\n", az.Calls));
        Assert.DoesNotContain(az.Calls, c => c.Contains("keys", StringComparison.Ordinal));

        using var again = new FakeAz();
        Assert.NotEqual(key, again.Run("issue-key.sh", "alice", role, "--resource-group", "rg", "--app", "func").StandardOutput.Trim());
    }

    [Fact]
    public void Revoking_removes_the_keys_app_setting_and_nothing_else()
    {
        using var az = new FakeAz { ExistingSetting = "trainer:" + new string('a', 64) };
        var run = az.Run("issue-key.sh", "--revoke", "alice", "--resource-group", "rg", "--app", "func");
        Assert.True(run.ExitCode == 0, run.StandardError);

        var change = Assert.Single(az.Calls, c => !c.StartsWith("functionapp config appsettings list", StringComparison.Ordinal));
        Assert.StartsWith("functionapp config appsettings delete", change);
        Assert.Equal("FashionFunctions__Auth__Keys__alice", FakeAz.Option(change, "--setting-names"));
    }

    [Theory]
    [InlineData("alice", "owner")] // no such role
    [InlineData("Alice", "classifier")] // names are lower case: app settings and config keys ignore case
    [InlineData("a__b", "classifier")] // a double underscore would nest the setting
    [InlineData("ci-bot", "classifier")]
    public void A_malformed_name_or_an_unknown_role_is_refused_before_anything_changes(string name, string role)
    {
        using var az = new FakeAz();
        var run = az.Run("issue-key.sh", name, role, "--resource-group", "rg", "--app", "func");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Empty(run.StandardOutput);
        Assert.Empty(az.Calls);
    }

    [Fact]
    public void A_name_already_issued_is_refused_until_revoked()
    {
        using var az = new FakeAz { ExistingSetting = "classifier:" + new string('b', 64) };
        var run = az.Run("issue-key.sh", "alice", "classifier", "--resource-group", "rg", "--app", "func");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--revoke alice", run.StandardError);
        Assert.All(az.Calls, c => Assert.Contains(" list", c));
    }

    [Fact]
    public void The_scripts_parse_and_pass_shellcheck()
    {
        foreach (string script in Directory.GetFiles(Scripts, "*.sh"))
        {
            var syntax = ChildProcess.Run("bash", ["-n", script], Scripts);
            Assert.True(syntax.ExitCode == 0, $"{script}: {syntax.StandardError}");
        }

        Assert.True(File.Exists("/usr/bin/shellcheck"), "ShellCheck is not installed: scripts/setup.sh installs it (apt-get install shellcheck)");
        var check = ChildProcess.Run("shellcheck", ["-x", "-P", "SCRIPTDIR", .. Directory.GetFiles(Scripts, "*.sh")], Scripts);
        Assert.True(check.ExitCode == 0, check.StandardOutput + check.StandardError);
    }

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>An <c>az</c> that records its arguments (one call a line, arguments separated by a unit separator) and
    /// answers the app-setting look-up with <see cref="ExistingSetting"/>.</summary>
    private sealed class FakeAz : IDisposable
    {
        private const char Separator = '\u001f';
        private readonly string directory = Directory.CreateTempSubdirectory("fake-az-").FullName;

        public FakeAz()
        {
            File.WriteAllText(Path.Combine(directory, "az"), $$"""
                #!/usr/bin/env bash
                {
                  for arg in "$@"; do printf '%s\x1f' "$arg"; done
                  printf '\n'
                } >> "{{Path.Combine(directory, "calls")}}"
                if [ "$1 $2 $3 $4" = "functionapp config appsettings list" ] && [ -f "{{Path.Combine(directory, "setting")}}" ]; then
                  cat "{{Path.Combine(directory, "setting")}}"
                fi
                """);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path.Combine(directory, "az"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        public string? ExistingSetting
        {
            init => File.WriteAllText(Path.Combine(directory, "setting"), value + "\n");
        }

        /// <summary>Each call's arguments, joined by spaces (only the setting look-up's --query holds one).</summary>
        public List<string> Calls => File.Exists(Path.Combine(directory, "calls"))
            ? File.ReadAllLines(Path.Combine(directory, "calls")).Select(l => string.Join(' ', l.TrimEnd(Separator).Split(Separator))).ToList()
            : [];

        public static string Option(string call, string name)
        {
            var words = call.Split(' ');
            int at = Array.IndexOf(words, name);
            Assert.True(at >= 0 && at + 1 < words.Length, $"no {name} in: {call}");
            return words[at + 1];
        }

        public ChildProcessResult Run(string script, params string[] args) =>
            ChildProcess.Run("bash", [Path.Combine(Scripts, script), .. args], RepoRoot.Path, new Dictionary<string, string> { ["AZ"] = Path.Combine(directory, "az"), ["AZD"] = "/nonexistent/azd" });

        public void Dispose() => Directory.Delete(directory, recursive: true);
    }
}

using System.Text.RegularExpressions;
using FashionFunctions.Testing;

namespace FashionFunctions.Infra.Tests;

[Trait("Category", "ChildProcess")]
public class BicepTests
{
    private static readonly string MainBicep = Path.Combine(RepoRoot.Path, "infra", "main.bicep");

    [Fact]
    public void Main_bicep_builds_with_no_errors_or_warnings()
    {
        var result = BicepCli.Run("build", MainBicep, "--stdout");
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("", result.StandardError.Trim());
        Assert.Contains("\"$schema\"", result.StandardOutput);
    }

    [Fact]
    public void Main_bicep_lints_clean()
    {
        var result = BicepCli.Run("lint", MainBicep);
        Assert.True(result.ExitCode == 0, result.StandardError + result.StandardOutput);
        Assert.Equal("", (result.StandardError + result.StandardOutput).Trim());
    }

    [Fact]
    public void No_module_comes_from_a_registry()
    {
        foreach (string file in Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, "infra"), "*.bicep", SearchOption.AllDirectories))
        {
            foreach (Match module in Regex.Matches(File.ReadAllText(file), @"^\s*module\s+\w+\s+'([^']+)'", RegexOptions.Multiline))
            {
                string source = module.Groups[1].Value;
                Assert.False(source.StartsWith("br", StringComparison.Ordinal) || source.StartsWith("ts", StringComparison.Ordinal), $"{file}: module from a registry: {source}");
                Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(file)!, source)), $"{file}: {source} is not a local file");
            }
        }
    }
}

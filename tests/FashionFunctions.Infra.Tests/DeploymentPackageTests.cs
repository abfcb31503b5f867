using FashionFunctions.Build;
using FashionFunctions.Testing;

namespace FashionFunctions.Infra.Tests;

/// <summary>The package scripts/package.sh publishes (scripts/test.sh runs it before the tests).</summary>
[Trait("Category", "Package")]
public class DeploymentPackageTests
{
    private static readonly string Package = Path.Combine(RepoRoot.Path, "artifacts", "functions-app");

    private static void RequirePackage() =>
        Assert.True(Directory.Exists(Package), $"{Package} does not exist: run scripts/package.sh (scripts/test.sh does).");

    [Fact]
    public void The_package_is_linux_x64_only_without_unused_libtorch_parts()
    {
        RequirePackage();
        Assert.False(Directory.Exists(Path.Combine(Package, "runtimes", "osx-arm64")));
        Assert.False(Directory.Exists(Path.Combine(Package, "runtimes", "win-x64")));
        Assert.True(File.Exists(Path.Combine(Package, "libtorch_cpu.so")));
        Assert.False(File.Exists(Path.Combine(Package, "libtorch_python.so")));
        Assert.Empty(Directory.GetFiles(Package, "*_test.so"));
    }

    [Fact]
    public void The_packaged_torchsharp_library_is_patched_for_older_libstdcxx()
    {
        RequirePackage();
        var needs = ElfVersionNeeds.Read(Path.Combine(Package, "libLibTorchSharp.so"));
        Assert.True(needs.Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak);
    }

    [Theory]
    [InlineData("FashionFunctions.Functions.dll")]
    [InlineData("FashionFunctions.Core.dll")]
    [InlineData("Azure.Core.dll")]
    [InlineData("Azure.Storage.Blobs.dll")]
    [InlineData("Microsoft.Azure.Functions.Worker.Core.dll")]
    [InlineData("SkiaSharp.dll")]
    public void The_packaged_assemblies_a_cold_start_runs_are_ReadyToRun(string assembly)
    {
        RequirePackage();
        using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(Package, assembly)));
        Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{assembly} carries no ReadyToRun code");
    }

    [Fact]
    public void The_package_stays_within_its_budget()
    {
        RequirePackage();
        long unzipped = Directory.EnumerateFiles(Package, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        long zipped = new FileInfo(Package + ".zip").Length;
        Assert.InRange(unzipped, 100L << 20, 600L << 20);
        Assert.InRange(zipped, 50L << 20, 200L << 20);
        Assert.True(File.Exists(Path.Combine(Package, "host.json")));
        Assert.True(File.Exists(Path.Combine(Package, "functions.metadata")));
        Assert.False(File.Exists(Path.Combine(Package, "local.settings.json")));
    }
}

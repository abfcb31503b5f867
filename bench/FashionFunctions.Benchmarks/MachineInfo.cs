using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace FashionFunctions.Benchmarks;

/// <summary>Where a benchmark ran: the CPU, its vector extensions and caches, and the settings that pick MKL's and
/// ATen's kernels and thread counts — the numbers mean little without them.</summary>
internal sealed record MachineInfo(
    string CpuModel,
    int LogicalCores,
    IReadOnlyList<string> VectorExtensions,
    string? L2CachePerCore,
    string? L3Cache,
    IReadOnlyDictionary<string, string?> CodePathSettings,
    int ManagedVectorBits,
    string Os,
    string Dotnet)
{
    private static readonly string[] Settings =
        ["MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "DOTNET_EnableAVX512", "DOTNET_PreferredVectorBitWidth"];

    public static MachineInfo Collect()
    {
        string cpuinfo = File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : "";
        string model = cpuinfo.Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            ?? RuntimeInformation.ProcessArchitecture.ToString();
        var flags = (cpuinfo.Split('\n').FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1] ?? "")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        string[] interesting = ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile"];
        var extensions = interesting.Where(flags.Contains).ToList();
        if (extensions.Count == 0)
        {
            extensions.AddRange(new[] { ("avx2", Avx2.IsSupported), ("fma", Fma.IsSupported), ("avx512f", Avx512F.IsSupported) }.Where(x => x.Item2).Select(x => x.Item1));
        }

        return new MachineInfo(
            model,
            Environment.ProcessorCount,
            extensions,
            CacheSize(2) ?? CpuinfoCacheSize(cpuinfo),
            CacheSize(3),
            Settings.ToDictionary(s => s, Environment.GetEnvironmentVariable),
            System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 512 : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? 256 : 128,
            RuntimeInformation.OSDescription,
            Environment.Version.ToString());
    }

    /// <summary>One line for the printed header.</summary>
    public string Describe() =>
        $"{CpuModel}, {LogicalCores} logical cores, {string.Join('/', VectorExtensions)}, L2 {L2CachePerCore ?? "?"}/core, L3 {L3Cache ?? "?"}, " +
        $"widest managed SIMD {ManagedVectorBits}-bit; " +
        string.Join(", ", CodePathSettings.Select(kv => $"{kv.Key}={kv.Value ?? "unset"}"));

    /// <summary>Where sysfs lists no caches (some VMs), /proc/cpuinfo's "cache size": the L2 per core on x86.</summary>
    private static string? CpuinfoCacheSize(string cpuinfo) =>
        cpuinfo.Split('\n').FirstOrDefault(l => l.StartsWith("cache size", StringComparison.Ordinal)) is { } line ? line.Split(':', 2)[1].Trim() + " (cpuinfo)" : null;

    private static string? CacheSize(int level)
    {
        const string root = "/sys/devices/system/cpu/cpu0/cache";
        if (!Directory.Exists(root))
        {
            return null;
        }

        foreach (string index in Directory.EnumerateDirectories(root, "index*"))
        {
            string Read(string name) => File.Exists(Path.Combine(index, name)) ? File.ReadAllText(Path.Combine(index, name)).Trim() : "";
            if (Read("level") == level.ToString() && Read("type") is "Unified" or "Data")
            {
                return Read("size");
            }
        }

        return null;
    }
}

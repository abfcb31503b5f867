using System.Text.Json;
using FashionFunctions.Testing;

namespace FashionFunctions.Benchmarks;

/// <summary>The BLAS a peer's products ran on, as the peer found it mapped into its own process.</summary>
/// <param name="Provider">The library (e.g. libopenblasp-r0.3.21.so), or what was found instead.</param>
/// <param name="Optimised">Whether it is an optimised BLAS (OpenBLAS, BLIS, MKL, ATLAS), not the reference one.</param>
internal sealed record PeerBlas(string Provider, bool Optimised, IReadOnlyList<string> Libraries);

/// <summary>A peer's training run, its version, its BLAS and that BLAS's large-sgemm rate on the peer's threads.</summary>
internal sealed record PeerRun(TrainerRun Run, string Version, PeerBlas? Blas, double? SgemmGflops)
{
    /// <summary>Below this share of libtorch's sgemm rate on the same machine, a peer's BLAS counts as a reference
    /// one whatever its name: an optimised BLAS reaches the same order as libtorch's, the reference one a few
    /// percent of it.</summary>
    public const double MinimumShareOfLibtorchGemm = 0.25;

    /// <summary>Why no ratio against this peer may be printed, or null when one may: a peer on the reference BLAS
    /// (or on one not identified, or one multiplying far slower than libtorch does here) is not the peer a user
    /// would run.</summary>
    public string? RatioRefusal(GemmRate? libtorchGemm)
    {
        if (Blas is not { Optimised: true })
        {
            return Blas is null ? "no ratio: BLAS not reported" : "no ratio: not an optimised BLAS";
        }

        if (SgemmGflops is { } rate && libtorchGemm is { } reference && rate < MinimumShareOfLibtorchGemm * reference.Gflops)
        {
            return $"no ratio: sgemm {rate:F1} GFLOP/s, under {MinimumShareOfLibtorchGemm:P0} of libtorch's";
        }

        return null;
    }
}

/// <summary>Runs a peer script in bench/peers with Debian's python3 and reads its one JSON line.</summary>
internal static class PythonPeer
{
    public const string Python = "/usr/bin/python3";

    public static (PeerRun? Run, string Note) Train(string script, string dataDirectory, int epochs, long seed, string peersDirectory)
    {
        if (!File.Exists(Python))
        {
            return (null, $"{Python} not found (scripts/bench.sh installs python3-torch and python3-sklearn)");
        }

        var result = ChildProcess.Run(Python, [script, "--data", dataDirectory, "--epochs", epochs.ToString(), "--seed", seed.ToString()], peersDirectory);
        if (result.ExitCode != 0)
        {
            return (null, $"{script} failed: {result.LastErrorLine}");
        }

        using var json = JsonDocument.Parse(result.StandardOutput.Trim().Split('\n')[^1]);
        var root = json.RootElement;
        var seconds = root.GetProperty("epochSeconds").EnumerateArray().Select(e => e.GetDouble()).ToList();
        string version = root.TryGetProperty("version", out var v) ? v.GetString() ?? "" : "";
        var blas = root.TryGetProperty("blas", out var b)
            ? new PeerBlas(
                b.GetProperty("provider").GetString() ?? "",
                b.GetProperty("optimised").GetBoolean(),
                b.GetProperty("libraries").EnumerateArray().Select(l => l.GetString() ?? "").ToList())
            : null;
        double? sgemm = root.TryGetProperty("sgemmGflops", out var g) ? g.GetDouble() : null;
        var run = new TrainerRun(seconds, root.GetProperty("testAccuracy").GetDouble());
        return (new PeerRun(run, version, blas, sgemm), blas is null ? version : $"{version}, {blas.Provider}");
    }
}

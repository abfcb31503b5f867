using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FashionFunctions.Core.Training;

/// <summary>
/// Which vector code path this process trains on: <c>avx512</c> or <c>avx2</c> (or <c>scalar</c>). The managed
/// kernels sum in an order set by the vector width, and libtorch's kernels (ATen, MKL) pick theirs at start-up,
/// so the same checkpoint resumed on two paths gives weights that differ in their last bits and then drift apart
/// (docs/jobs.md, "Resuming on another CPU"). An AVX-512 CPU runs the AVX2 path when .NET's AVX-512 is off or
/// ATen or MKL is told to use AVX2.
/// </summary>
public static class CpuCodePath
{
    public static string Current { get; } = Detect();

    private static string Detect()
    {
        bool toldAvx2 = string.Equals(Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY"), "avx2", StringComparison.OrdinalIgnoreCase)
            || string.Equals(Environment.GetEnvironmentVariable("MKL_ENABLE_INSTRUCTIONS"), "AVX2", StringComparison.OrdinalIgnoreCase);
        return Vector512.IsHardwareAccelerated && !toldAvx2 ? "avx512"
            : Avx2.IsSupported ? "avx2"
            : "scalar";
    }
}

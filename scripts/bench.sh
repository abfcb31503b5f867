#!/usr/bin/env bash
# Benchmarks training and inference side by side with PyTorch and scikit-learn (Debian's python3-torch and
# python3-sklearn, installed when missing, with OpenBLAS as their BLAS), in one run. Prints a table; writes
# bench/results/benchmark.json.
# Arguments go to the benchmark: --epochs N (default 3), --out FILE, --no-peers, --serving-only, --registry-only, --training-only
# (the training rows, the GEMM peak and the Debug-build rows), --step-budget.
# --avx2-path (first argument) runs the kernels an AVX2-only CPU runs, on a machine with AVX-512: MKL's and
# ATen's AVX2 code paths, and .NET without AVX-512.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${1:-}" = "--avx2-path" ]; then
  shift
  export MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2 DOTNET_EnableAVX512=0
fi

training_only=false
for arg in "$@"; do [ "$arg" = "--training-only" ] && training_only=true; done

ensure_dotnet
ensure_dataset
ensure_azurite
# The peers multiply through whatever provides libblas.so.3; Debian's default is the reference BLAS, tens of times
# slower than an optimised one, and no user would train on it. libopenblas0-pthread registers itself as the
# libblas.so.3 alternative with a higher priority. The benchmark still checks what each peer ran on, and prints
# no ratio against one on the reference BLAS (an alternative set by hand wins over priorities).
apt_install python3-torch python3-sklearn libopenblas0-pthread
say "Building the benchmark (Release), the CLI in Debug and Release and the app in Debug for the Debug-build rows"
dotnet build "$REPO_ROOT/bench/FashionFunctions.Benchmarks" -c Release --verbosity quiet -nologo
dotnet build "$REPO_ROOT/src/FashionFunctions.Cli" -c Release --verbosity quiet -nologo
dotnet build "$REPO_ROOT/src/FashionFunctions.Cli" -c Debug --verbosity quiet -nologo
dotnet build "$REPO_ROOT/tests/FashionFunctions.AppServer.TestHost" -c Debug --verbosity quiet -nologo
if ! $training_only; then
  say "Publishing the benchmark ReadyToRun for the serving rows, as the app is deployed"
  serving_from="$REPO_ROOT/bench/FashionFunctions.Benchmarks/bin/ReadyToRun"
  dotnet publish "$REPO_ROOT/bench/FashionFunctions.Benchmarks" -c Release -r linux-x64 --self-contained false \
    -p:PublishReadyToRun=true -o "$serving_from" --verbosity quiet -nologo
  export FASHION_BENCH_SERVING_FROM="$serving_from"
fi
cd "$REPO_ROOT"
dotnet "$REPO_ROOT/bench/FashionFunctions.Benchmarks/bin/Release/net10.0/fashion-bench.dll" "$@"

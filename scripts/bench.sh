#!/usr/bin/env bash
# Benchmarks training and inference side by side with PyTorch and scikit-learn (Debian's python3-torch and
# python3-sklearn, installed when missing), in one run. Prints a table; writes bench/results/benchmark.json.
# Arguments go to the benchmark: --epochs N (default 3), --out FILE, --no-peers, --serving-only, --step-budget.
# --avx2-path (first argument) runs the kernels an AVX2-only CPU runs, on a machine with AVX-512: MKL's and
# ATen's AVX2 code paths, and .NET without AVX-512.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${1:-}" = "--avx2-path" ]; then
  shift
  export MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2 DOTNET_EnableAVX512=0
fi

ensure_dotnet
ensure_dataset
ensure_azurite
apt_install python3-torch python3-sklearn
say "Building the benchmark (Release), and publishing it ReadyToRun for the serving rows, as the app is deployed"
dotnet build "$REPO_ROOT/bench/FashionFunctions.Benchmarks" -c Release --verbosity quiet -nologo
serving_from="$REPO_ROOT/bench/FashionFunctions.Benchmarks/bin/ReadyToRun"
dotnet publish "$REPO_ROOT/bench/FashionFunctions.Benchmarks" -c Release -r linux-x64 --self-contained false \
  -p:PublishReadyToRun=true -o "$serving_from" --verbosity quiet -nologo
export FASHION_BENCH_SERVING_FROM="$serving_from"
cd "$REPO_ROOT"
dotnet "$REPO_ROOT/bench/FashionFunctions.Benchmarks/bin/Release/net10.0/fashion-bench.dll" "$@"

#!/usr/bin/env bash
# Benchmarks training and inference side by side with PyTorch and scikit-learn (Debian's python3-torch and
# python3-sklearn, installed when missing), in one run. Prints a table; writes bench/results/benchmark.json.
# Arguments go to the benchmark: --epochs N (default 3), --out FILE, --no-peers.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_dotnet
ensure_dataset
ensure_azurite
apt_install python3-torch python3-sklearn
say "Building the benchmark (Release)"
dotnet build "$REPO_ROOT/bench/FashionFunctions.Benchmarks" -c Release --verbosity quiet -nologo
cd "$REPO_ROOT"
dotnet "$REPO_ROOT/bench/FashionFunctions.Benchmarks/bin/Release/net10.0/fashion-bench.dll" "$@"

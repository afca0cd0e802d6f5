#!/usr/bin/env bash
# Training speed of the float engine, pinned (n threads on CPUs 0 .. n-1), batch 64, 1 and 2
# threads with the 2 / 1 ratio from the same run, OpenBLAS and the portable matrix product.
# Usage: bench/train-speed.sh [BUILD_DIR] [extra train-speed arguments: --profile,
# --model fm-resnet, --seconds 20, --isa scalar, --qat, --qat-frozen, ...]. Builds the bench
# first. On a shared machine compare the "cpu ms/step" column (the wall time counts other
# processes' turns).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
shift || true
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench-train-speed >/dev/null
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for gemm in auto portable; do
  "$build/bench/bench-train-speed" --pin --threads 1 --threads 2 --gemm "$gemm" "$@"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

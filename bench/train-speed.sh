#!/usr/bin/env bash
# Training speed of the float engine, pinned: 1 thread on CPU 0, 2 threads on CPUs 0-1 (taskset),
# batch 64, OpenBLAS and the portable matrix product. Usage: bench/train-speed.sh [BUILD_DIR]
# [extra train-speed arguments, e.g. --profile or --model fm-resnet]. Builds the bench first.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
shift || true
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench-train-speed >/dev/null
bin="$build/bench/bench-train-speed"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for gemm in auto portable; do
  for model in fm-cnn fm-mobilenet; do
    taskset -c 0 "$bin" --model "$model" --threads 1 --gemm "$gemm" "$@"
    taskset -c 0,1 "$bin" --model "$model" --threads 2 --gemm "$gemm" "$@"
  done
done

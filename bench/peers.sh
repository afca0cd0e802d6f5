#!/usr/bin/env bash
# q8 beside oneDNN 2.6 and XNNPACK (Debian's packages) on the same work, in one run:
# bench-peers (bench/peers/) reads each model with q8's TFLite reader, rebuilds it with each
# peer's operators, times all three interleaved (median of RUNS invokes after warm-up) and
# prints each peer's time over q8's (above 1: q8 faster), with a warning where a peer's output
# is far from q8's (a sanity check: the peers round differently).
# Work: the layer shapes (--layers: MobileNet v1 and ResNet-50 convolutions, depthwise and FC,
# int8 and float32) and the ImageNet reference models written by `q8 gen` (int8 and float32,
# kept in OUT like bench/models.sh; without q8 gen, the shared test models instead).
# Usage: bench/peers.sh [BUILD_DIR] [extra bench-peers options: --verbose, ...]
# Environment: RUNS (default 30), WARMUP (3), THREADS (thread counts to run, default "1 2"),
#   CPUS (pinning for one thread, default 0; two threads use 0,1), MODES ("layers models"),
#   MODELS (names for q8 gen), OUT (default BUILD_DIR/bench-models), CLOCK (wall, default, or
#   thread: the calling thread's CPU time, for the one-thread runs on a machine others load:
#   there wall-time medians mostly measure preemption, and more so for the slower library).
# Installs Q8_BENCH_PACKAGES (scripts/deps.sh) when missing; needs root or sudo for that.
# Method, what each peer runs natively and the known output differences: doc/bench-peers.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
build="${1:-build}"
shift || true
runs=${RUNS:-30}
warmup=${WARMUP:-3}
threads_list=${THREADS:-"1 2"}
cpu=${CPUS:-0}
modes=${MODES:-"layers models"}
models=${MODELS:-"mobilenet_v1_1.0_224 mobilenet_v2_1.0_224 resnet50_v1 inception_v3"}
out=${OUT:-$build/bench-models}
clock=${CLOCK:-wall}

ensure_packages "${Q8_BENCH_PACKAGES[@]}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target q8 bench-peers >/dev/null
q8="$build/q8"
bench="$build/bench/bench-peers"
mkdir -p "$out"

files=()
if [[ " $modes " == *" models "* ]]; then
  if "$q8" gen --help >/dev/null 2>&1; then
    for name in $models; do
      [ -s "$out/$name.int8.tflite" ] || "$q8" gen "$name" --out "$out/$name.int8.tflite" >/dev/null ||
        { echo "$name: q8 gen failed; skipped"; continue; }
      [ -s "$out/$name.float.tflite" ] || "$q8" gen "$name" --float --out "$out/$name.float.tflite" >/dev/null ||
        { echo "$name: q8 gen --float failed; skipped"; continue; }
      files+=("$out/$name.int8.tflite" "$out/$name.float.tflite")
    done
  else
    echo "note: this q8 has no 'q8 gen': timing the shared test models instead"
    for m in mobilenet_v1_0.5_160_quant person_detect; do
      files+=("../shared/testdata/tflite/$m.tflite")
    done
  fi
fi

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for threads in $threads_list; do
  pin=$cpu
  [ "$threads" -gt 1 ] && pin=$(seq -s, 0 $((threads - 1)))
  # oneDNN's Debian build threads with OpenMP (bench-peers also sets its thread count). Its
  # idle workers spin for a while after each primitive; interleaved with q8 and XNNPACK on the
  # same cores that spinning would steal their time, so it is kept short.
  export OMP_NUM_THREADS=$threads GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-10000}
  args=(--runs "$runs" --warmup "$warmup" --threads "$threads" "$@")
  [ "$threads" -eq 1 ] && args+=(--clock "$clock")
  echo "== $threads thread(s), pinned to CPU $pin"
  if [[ " $modes " == *" layers "* ]]; then
    taskset -c "$pin" "$bench" "${args[@]}" --layers | tee "$out/peers-layers-t$threads.txt"
  fi
  if [ ${#files[@]} -gt 0 ]; then
    taskset -c "$pin" "$bench" "${args[@]}" "${files[@]}" | tee "$out/peers-models-t$threads.txt"
  fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); tables in $out/peers-*.txt"

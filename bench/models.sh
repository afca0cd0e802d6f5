#!/usr/bin/env bash
# Latency of the ImageNet reference models (../shared/reference-models.md), int8 against float32
# in the same run: `q8 gen` writes each model in both forms (random weights, same graph) once,
# then `q8 bench INT8 FLOAT` times them interleaved on one core (taskset -c $CPU) and a table
# gives each median, the float / int8 ratio and the work rate.
# Usage: bench/models.sh [BUILD_DIR] [extra q8 bench arguments: --runs 20, --isa scalar, ...]
# Environment: MODELS (names, default all four), CPU (default 0), OUT (generated models and JSON,
# default BUILD_DIR/bench-models), Q8 (a q8 binary to use; otherwise BUILD_DIR's is built
# first). Needs python3 for the table.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
shift || true
models=${MODELS:-"mobilenet_v1_1.0_224 mobilenet_v2_1.0_224 resnet50_v1 inception_v3"}
cpu=${CPU:-0}
out=${OUT:-$build/bench-models}
if [ -n "${Q8:-}" ]; then
  q8=$Q8 # a q8 built already: nothing is built
else
  q8="$build/q8"
  if ! log=$( (cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release &&
               cmake --build "$build" --target q8) 2>&1); then
    tail -n 30 <<<"$log"
    echo "bench/models.sh: building q8 in $build failed"
    exit 1
  fi
fi
if ! "$q8" gen --help >/dev/null 2>&1; then
  echo "skip: this q8 has no 'q8 gen' yet: nothing writes the reference models"
  exit 0
fi
mkdir -p "$out"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg); pinned to CPU $cpu"

# Writes $out/NAME.int8.tflite and $out/NAME.float.tflite unless they are there already (the
# generator's seed is fixed, so a model written earlier is the same model).
generate() {
  local name=$1
  [ -s "$out/$name.int8.tflite" ] || "$q8" gen "$name" --out "$out/$name.int8.tflite" >/dev/null
  [ -s "$out/$name.float.tflite" ] || "$q8" gen "$name" --float --out "$out/$name.float.tflite" >/dev/null
}

for name in $models; do
  if ! generate "$name"; then echo "$name: q8 gen failed; skipped"; continue; fi
  # A model the runtime refuses (a float path not built, say) is reported in the JSON and
  # makes q8 bench exit 1; the table says so and goes on.
  taskset -c "$cpu" "$q8" bench "$out/$name.int8.tflite" "$out/$name.float.tflite" --json "$@" \
    > "$out/$name.json" || true
done

python3 - "$out" $models <<'PY'
import json, os, sys
out, names = sys.argv[1], sys.argv[2:]
print(f"{'model':24} {'int8 ms':>9} {'float ms':>9} {'float/int8':>10} {'int8 GOPS':>9} {'float GOPS':>10}  path, threads")
for name in names:
    path = os.path.join(out, name + ".json")
    try:
        r = json.load(open(path))
    except (OSError, ValueError):
        print(f"{name:24} (no result)")
        continue
    m = r["models"]
    def cell(x, key, fmt): return format(x[key], fmt) if key in x else "-"
    both = all("median_ms" in x for x in m)
    ratio = m[1]["median_ms"] / m[0]["median_ms"] if both else None
    print(f"{name:24} {cell(m[0], 'median_ms', '9.2f')} {cell(m[1], 'median_ms', '9.2f')} "
          f"{format(ratio, '10.2f') if ratio is not None else '-':>10} {cell(m[0], 'gops', '9.1f')} "
          f"{cell(m[1], 'gops', '10.1f')}  {m[0].get('isa', '-')}, {m[0].get('threads', '-')}")
    for x in m:
        if "error" in x: print(f"  {os.path.basename(x['model'])}: {x['error']}")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); JSON per model in $out"

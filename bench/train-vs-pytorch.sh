#!/usr/bin/env bash
# Training speed of q8 against PyTorch 1.13 on the same machine, in the same run: for each
# repetition, model and thread count, bench-train-phases (q8's training loop, as q8 train runs
# it) and bench/pytorch-fashion.py --speed run back to back (their order alternating between
# repetitions), pinned with taskset, on the same first --limit Fashion-MNIST training images,
# batch 64: float, QAT before the batch-norm freeze, QAT after it (--epochs epochs each, the
# first --warmup steps of each phase untimed). Prints per phase the medians over the
# repetitions: images/s (wall), wall and CPU seconds per 60,000-image epoch (938 steps) for
# both, and q8's speed over PyTorch's (the median of the paired ratios, wall and CPU, and the
# range of the CPU ones).
# Not a test.
#
# Usage: bench/train-vs-pytorch.sh [--build DIR] [--models "fm-cnn fm-mobilenet fm-resnet"]
#          [--threads "1 2"] [--reps 5] [--limit 6400] [--epochs 1] [--warmup 5]
#          [--cpu1 1] [--cpu2 0,1] [--bn-stats unfolded|folded] [--out DIR]
#   --cpu1 / --cpu2  the CPUs (taskset -c) of 1-thread / 2-thread runs
#   --bn-stats S     q8's QAT batch statistics before the freeze: unfolded (q8 train's default,
#                    TensorFlow's) or folded (PyTorch's ConvBn2d: the same work as PyTorch)
#   --out DIR        transcripts (raw.txt: one line per run and phase) and the table (table.md);
#                    default build/train-vs-pytorch
# What the two sides do per step: gather a shuffled batch of 64 images (x / 255), forward,
# cross-entropy, backward, SGD (momentum 0.9, weight decay 5e-4 on conv / fc weights, cosine lr).
# Where they differ: before the freeze q8's QAT (by default, --bn-stats unfolded) runs each
# folded layer's unfolded convolution too (forward and backward) for the batch statistics,
# TensorFlow's rewrite; PyTorch's ConvBn runs one convolution and takes the statistics from its
# rescaled output, as q8 does with --bn-stats folded. After the freeze both run one. PyTorch's QAT
# starts its activation ranges from the first batch, q8 from a 1,000-image calibration (untimed).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build models="fm-cnn fm-mobilenet fm-resnet" threads="1 2" reps=5 limit=6400 epochs=1
warmup=5 cpu1=1 cpu2=0,1 bn_stats=unfolded out=build/train-vs-pytorch
while [ $# -gt 0 ]; do
  case "$1" in -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;; esac
  [ $# -ge 2 ] || { echo "$1 needs a value (--help)" >&2; exit 2; }
  case "$1" in
    --build) build=$2 ;;
    --models) models=$2 ;;
    --threads) threads=$2 ;;
    --reps) reps=$2 ;;
    --limit) limit=$2 ;;
    --epochs) epochs=$2 ;;
    --warmup) warmup=$2 ;;
    --cpu1) cpu1=$2 ;;
    --cpu2) cpu2=$2 ;;
    --bn-stats) bn_stats=$2 ;;
    --out) out=$2 ;;
    *) echo "unknown option $1 (--help)" >&2; exit 2 ;;
  esac
  shift 2
done

python=/usr/bin/python3 # Debian's, with python3-torch
source scripts/deps.sh
ensure_packages python3 python3-torch python3-numpy dataset-fashion-mnist
if ! built=$(cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release 2>&1 &&
              cmake --build "$build" --target bench-train-phases 2>&1); then
  echo "$built" >&2
  echo "building bench-train-phases in $build failed" >&2
  exit 1
fi

mkdir -p "$out"
raw="$out/raw.txt"
: >"$raw"
load() { cut -d' ' -f1 /proc/loadavg; }
common=(--limit "$limit" --epochs "$epochs" --warmup "$warmup")
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
  "load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/machine.txt"
echo "command: bench/train-vs-pytorch.sh --models \"$models\" --threads \"$threads\" --reps $reps" \
  "--limit $limit --epochs $epochs --warmup $warmup --cpu1 $cpu1 --cpu2 $cpu2" \
  "--bn-stats $bn_stats" | tee -a "$out/machine.txt"

# One run: its phase lines, prefixed with system, model, threads, repetition and the load
# average at its start, appended to raw.txt; the transcript in $out.
run_one() {
  local system=$1 model=$2 t=$3 rep=$4 cpus log
  cpus=$([ "$t" = 1 ] && echo "$cpu1" || echo "$cpu2")
  log="$out/$system-$model-t$t-r$rep.txt"
  local before
  before=$(load)
  if [ "$system" = q8 ]; then
    taskset -c "$cpus" "$build/bench/bench-train-phases" --model "$model" --threads "$t" \
      "${common[@]}" --bn-stats "$bn_stats" >"$log"
  else
    taskset -c "$cpus" $python bench/pytorch-fashion.py --speed --model "$model" --threads "$t" \
      "${common[@]}" >"$log"
  fi
  grep '^phase ' "$log" | sed "s/^/$system $model $t $rep $before /" >>"$raw"
  echo "  $system $model t$t rep $rep (load $before): $(grep '^phase ' "$log" |
    awk '{printf "%s %.0f img/s  ", $2, $6 / $8}')"
}

for rep in $(seq 1 "$reps"); do
  for model in $models; do
    for t in $threads; do
      if [ $((rep % 2)) = 1 ]; then
        run_one q8 "$model" "$t" "$rep"
        run_one pytorch "$model" "$t" "$rep"
      else
        run_one pytorch "$model" "$t" "$rep"
        run_one q8 "$model" "$t" "$rep"
      fi
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"

echo
$python - "$raw" <<'EOF' | tee "$out/table.md"
import statistics, sys
from collections import defaultdict

EPOCH = 60000  # images of a Fashion-MNIST epoch (938 steps of batch 64, the last one 32)
runs = defaultdict(dict)  # (model, threads, rep, phase) -> system -> (images, wall, cpu, load)
loads = []
for line in open(sys.argv[1]):
    system, model, t, rep, load, _, phase, _, steps, _, images, _, wall, _, cpu = line.split()
    runs[(model, int(t), int(rep), phase)][system] = (int(images), float(wall), float(cpu))
    loads.append(float(load))

groups = defaultdict(list)
for (model, t, rep, phase), r in runs.items():
    if "q8" in r and "pytorch" in r:
        groups[(model, t, phase)].append(r)

names = {"float": "float", "qat": "QAT before the freeze", "qat-frozen": "QAT after the freeze"}
med = statistics.median
print(f"medians of {max(len(v) for v in groups.values())} paired runs; load average at the "
      f"runs' starts {min(loads):.2f} to {max(loads):.2f}")
print()
print("| model | threads | phase | q8 images/s | PyTorch images/s | q8 s/epoch (CPU) "
      "| PyTorch s/epoch (CPU) | q8 / PyTorch speed: wall (CPU); CPU range |")
print("|---|---|---|---|---|---|---|---|")
order = {name: i for i, name in enumerate(names)}
for (model, t, phase) in sorted(groups, key=lambda k: (k[0], k[1], order[k[2]])):
    rs = groups[(model, t, phase)]
    def stat(system, f):
        return med(f(*r[system]) for r in rs)
    rate = {s: stat(s, lambda n, w, c: n / w) for s in ("q8", "pytorch")}
    wall = {s: stat(s, lambda n, w, c: w / n * EPOCH) for s in ("q8", "pytorch")}
    cpu = {s: stat(s, lambda n, w, c: c / n * EPOCH) for s in ("q8", "pytorch")}
    def ratios(i):  # PyTorch's seconds per image over q8's, per pair
        return sorted((r["pytorch"][i] / r["pytorch"][0]) / (r["q8"][i] / r["q8"][0]) for r in rs)
    wall_ratios, cpu_ratios = ratios(1), ratios(2)
    print(f"| {model} | {t} | {names[phase]} | {rate['q8']:.0f} | {rate['pytorch']:.0f} | "
          f"{wall['q8']:.1f} ({cpu['q8']:.1f}) | {wall['pytorch']:.1f} ({cpu['pytorch']:.1f}) | "
          f"{med(wall_ratios):.2f} ({med(cpu_ratios):.2f}); {cpu_ratios[0]:.2f}-{cpu_ratios[-1]:.2f} |")
EOF

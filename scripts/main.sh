#!/usr/bin/env bash
# The main job: train fm-mobilenet on Fashion-MNIST with the recipe of
# ../shared/reference-models.md (5 float epochs, then 2 quantization-aware epochs), write the
# int8 model and its post-training-quantized baseline, evaluate both with the integer runtime,
# time the integer models on one core, and print a summary table.
# Usage: scripts/main.sh [--quick]   (--quick: 6,000 training images, 2 + 1 epochs, 1,000 test
# images: a smoke run of the whole pipeline in about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: scripts/main.sh [--quick]" >&2; exit 2 ;;
esac
# Q8_BIN=path/to/q8 uses that binary (the test command passes its own build) and Q8_MAIN_OUT
# another output folder; otherwise packages are installed and build/release is built.
if [ -n "${Q8_BIN:-}" ]; then
  q8=$Q8_BIN
else
  source scripts/deps.sh
  ensure_packages "${Q8_BUILD_PACKAGES[@]}" dataset-fashion-mnist
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/q8-ccache}"
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DQ8_BUILD_TESTS=OFF \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
  cmake --build build/release -j"$(nproc)" >/dev/null
  q8=build/release/q8
fi
out=${Q8_MAIN_OUT:-build/main} model=fm-mobilenet
mkdir -p "$out"
$q8 version

args=(--model "$model" --out "$out/$model.tflite" --ptq-out "$out/$model-ptq.tflite"
      --log "$out/$model.csv" --threads "$(nproc)" --scheme int8)
if [ "$quick" = 1 ]; then
  args+=(--limit 6000 --test-limit 1000 --epochs 2 --qat-epochs 1)
fi
# A fresh run each time: an old checkpoint beside the output would be refused as another run's.
rm -f "$out/$model.ckpt"
$q8 train "${args[@]}" | tee "$out/train.txt"

# Accuracies as q8 train printed them (float: training engine; PTQ, QAT: integer runtime).
float=$(sed -n 's/.*float \([0-9.]*\)% (before QAT).*/\1/p' "$out/train.txt" | tail -1)
ptq=$(sed -n 's/^post-training quantization:.* int8 \([0-9.]*\)% (integer runtime).*/\1/p' \
  "$out/train.txt" | tail -1)
qat=$(sed -n 's/.* int8 \([0-9.]*\)% (integer runtime, .*/\1/p' "$out/train.txt" | tail -1)

# Latency: q8 eval of the first 1,000 test images on one core (taskset), seconds over images;
# the data set is read first and the time covers the inferences and ranking only.
latency_ms() {
  taskset -c 0 "$q8" eval "$1" --limit 1000 --json |
    sed -n 's/.*"images": \([0-9]*\),.*"seconds": \([0-9.]*\).*/\2 \1/p' |
    awk '{ printf "%.3f", 1000 * $1 / $2 }'
}
ptq_ms=$(latency_ms "$out/$model-ptq.tflite")
qat_ms=$(latency_ms "$out/$model.tflite")
size() { stat -c %s "$1"; }

echo
echo "summary: $model on Fashion-MNIST$([ "$quick" = 1 ] && echo ' (--quick subset)')"
printf '| %-34s | %9s | %11s | %16s |\n' model "accuracy" "size (B)" "ms/image, 1 core"
printf '| %-34s | %9s | %11s | %16s |\n' ---------------------------------- --------- ----------- ----------------
printf '| %-34s | %8s%% | %11s | %16s |\n' "float (training engine)" "$float" - -
printf '| %-34s | %8s%% | %11s | %16s |\n' "PTQ int8 (integer runtime)" "$ptq" \
  "$(size "$out/$model-ptq.tflite")" "$ptq_ms"
printf '| %-34s | %8s%% | %11s | %16s |\n' "QAT int8 (integer runtime)" "$qat" \
  "$(size "$out/$model.tflite")" "$qat_ms"
echo "models: $out/$model.tflite (QAT), $out/$model-ptq.tflite (PTQ); log: $out/$model.csv"

#!/usr/bin/env bash
# The main job (for now): build q8, then describe and run the shared uint8 MobileNet on the
# cat image, printing its top-5 classes. The training issue turns this into
# train -> convert -> evaluate -> benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${Q8_BUILD_PACKAGES[@]}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/q8-ccache}"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DQ8_BUILD_TESTS=OFF \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build build/release -j"$(nproc)"
data=../shared/testdata/tflite
if [ ! -d "$data" ]; then
  echo "main: $data is absent; it holds the models this job runs" >&2
  exit 1
fi
q8=build/release/q8
$q8 version
$q8 info "$data/mobilenet_v1_0.5_160_quant.tflite" | grep -v '^ '
$q8 run "$data/mobilenet_v1_0.5_160_quant.tflite" --input "$data/cat_160x160_nearest_rgb.uint8.bin" \
  --labels "$data/imagenet_labels.txt" --top 5 --output build/release/cat-scores.npy
echo "wrote build/release/cat-scores.npy"

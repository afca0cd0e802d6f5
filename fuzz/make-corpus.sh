#!/usr/bin/env bash
# Fills a seed corpus directory for the fuzzer: the shared models, every operator model of the
# shared op tests, and the regression cases of test/data/fuzz. Usage: make-corpus.sh OUT TESTDATA
set -euo pipefail
out=$1 testdata=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for f in "$testdata"/tflite/*.tflite; do
  [ -f "$f" ] && cp "$f" "$out/$(basename "$f")"
done
for f in "$testdata"/ops/*/*.tflite; do
  [ -f "$f" ] && cp "$f" "$out/ops-$(basename "$(dirname "$f")")-$(basename "$f")"
done
for f in "$here"/../test/data/fuzz/*; do
  [ -f "$f" ] && cp "$f" "$out/regression-$(basename "$f")"
done
echo "seed corpus: $(find "$out" -type f | wc -l) files in $out"

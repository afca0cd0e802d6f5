#!/usr/bin/env bash
# Fills a seed corpus directory for the fuzzer: the shared models, every operator model of the
# shared op tests, the regression cases of test/data/fuzz and, given the replay driver, q8's
# own encoding of each model (read, then written). Usage: make-corpus.sh OUT TESTDATA [REPLAY]
set -euo pipefail
out=$1 testdata=$2 replay=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
# Models over 1 MB (MobileNet) are left out: each of their mutants costs milliseconds and
# they use no operator or layout the smaller ones lack (fuzz/truncate still covers them).
for f in "$testdata"/tflite/*.tflite; do
  if [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 1048576 ]; then cp "$f" "$out/$(basename "$f")"; fi
done
for f in "$testdata"/ops/*/*.tflite; do
  if [ -f "$f" ]; then cp "$f" "$out/ops-$(basename "$(dirname "$f")")-$(basename "$f")"; fi
done
for f in "$here"/../test/data/fuzz/*; do
  if [ -f "$f" ]; then cp "$f" "$out/regression-$(basename "$f")"; fi
done
if [ -n "$replay" ]; then
  "$replay" --rewrite "$out" "$out" >/dev/null 2>&1
fi
echo "seed corpus: $(find "$out" -type f | wc -l) files in $out"

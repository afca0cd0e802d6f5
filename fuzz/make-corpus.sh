#!/usr/bin/env bash
# Fills a seed corpus directory for the fuzzer: the shared models, every operator model of the
# shared op tests, the regression cases of test/data/fuzz and, given the replay driver, q8's
# own encoding of each model (read, then written). Usage: make-corpus.sh OUT TESTDATA [REPLAY]
set -euo pipefail
out=$1 testdata=$2 replay=${3:-}
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
if [ -n "$replay" ]; then
  "$replay" --rewrite "$out" "$testdata/tflite" "$testdata/ops" >/dev/null 2>&1
fi
echo "seed corpus: $(find "$out" -type f | wc -l) files in $out"

#!/usr/bin/env bash
# Runs the libFuzzer target for a bounded time on a fresh copy of the seed corpus (the fuzz
# test). Usage: run-libfuzzer.sh FUZZER TESTDATA WORKDIR SECONDS [REPLAY]
# Fails, naming the reproducer, when libFuzzer reports a crash, leak, timeout or UB.
set -uo pipefail
fuzzer=$1 testdata=$2 work=$3 seconds=$4 replay=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$testdata/tflite" ] || { echo "SKIP: no shared test data at $testdata"; exit 77; }
rm -rf "$work"
mkdir -p "$work/corpus" "$work/crashes"
bash "$here/make-corpus.sh" "$work/corpus" "$testdata" "$replay"
"$fuzzer" "$work/corpus" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 \
  -max_len=2000000 -print_final_stats=1 -artifact_prefix="$work/crashes/" >"$work/fuzz.log" 2>&1
status=$?
tail -n 25 "$work/fuzz.log"
execs=$(grep -E '^stat::number_of_executed_units' "$work/fuzz.log" | awk '{print $2}')
rate=$(grep -E '^stat::average_exec_per_sec' "$work/fuzz.log" | awk '{print $2}')
echo "libFuzzer: ${execs:-?} executions, ${rate:-?} per second, exit status $status"
found=$(find "$work/crashes" -type f | head -5)
if [ "$status" -ne 0 ] || [ -n "$found" ]; then
  echo "FAILED: libFuzzer found a problem; reproducer(s):"
  for f in $found; do echo "  $f"; done
  echo "replay with: $fuzzer <reproducer>   (full log: $work/fuzz.log)"
  exit 1
fi

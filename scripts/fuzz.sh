#!/usr/bin/env bash
# Fuzzes q8 (load, prepare, invoke) with libFuzzer and the structure-aware mutator of fuzz/
# for as long as asked. Usage: scripts/fuzz.sh [SECONDS=600] [JOBS=1]
# Keeps its corpus in build-fuzz-corpus/ (grows across runs), stores crashes, leaks and
# timeouts in fuzz/crashes/, and ends with the executions per second and in total.
# Replay one: build/fuzz/fuzz/fuzz-replay fuzz/crashes/<file> (prints the failure again).
# Q8_FUZZ_BUILD_DIR overrides the build directory (default build/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600} jobs=${2:-1}
source scripts/deps.sh
ensure_packages "${Q8_BUILD_PACKAGES[@]}" clang-14 libclang-rt-14-dev

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/q8-ccache}"
dir=${Q8_FUZZ_BUILD_DIR:-build/fuzz} corpus=build-fuzz-corpus crashes=fuzz/crashes
cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DQ8_FUZZ=ON -DQ8_BUILD_TESTS=OFF >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null
mkdir -p "$corpus/corpus" "$crashes"
rm -rf "$corpus/seeds"
bash fuzz/make-corpus.sh "$corpus/seeds" ../shared/testdata "$dir/fuzz/fuzz-replay"

log="$corpus/fuzz-$(date +%Y%m%d-%H%M%S).log"
args=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=2000000
      -print_final_stats=1 -artifact_prefix="$crashes/")
# Several jobs: libFuzzer's fork mode (children share the corpus; a crash does not stop the rest).
if [ "$jobs" -gt 1 ]; then
  args+=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi
echo "fuzzing for $seconds s with $jobs job(s); log: $log"
start=$(date +%s)
marker=$(mktemp)
set +e
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$dir/fuzz/fuzz-model" "$corpus/corpus" "$corpus/seeds" "${args[@]}" >"$log" 2>&1
status=$?
set -e
elapsed=$(( $(date +%s) - start ))
# Total executions: the final stats (one job) or the last progress line (fork mode).
execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1 || true)
[ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
execs=${execs:-0}
files=$(find "$corpus/corpus" -type f | wc -l)
echo "libFuzzer exit status $status after $elapsed s; corpus: $files files"
grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz-model: )' "$log" |
  sort | uniq -c | head -20 || true
found=$(find "$crashes" -type f -newer "$marker" 2>/dev/null || true)
rm -f "$marker"
if [ -n "$found" ]; then echo "new reproducers in $crashes:"; echo "$found" | sed 's/^/  /'; fi
rate=$(( execs / (elapsed > 0 ? elapsed : 1) ))
echo "executions: $execs in total, $rate per second ($jobs job(s))"

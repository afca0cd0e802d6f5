#!/usr/bin/env bash
# Runs every q8 test: native, AddressSanitizer+UBSan, the integer-only build, aarch64 under
# qemu, and a bounded fuzzing run (clang + libFuzzer: truncations, mutation rounds, about 75 s
# of libFuzzer; scripts/fuzz.sh fuzzes for longer). Installs missing Debian packages first.
# Usage: scripts/test.sh [config...] (configs: native asan intonly aarch64 fuzz; default all).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages "${Q8_BUILD_PACKAGES[@]}" "${Q8_TEST_PACKAGES[@]}"
# The test packages are installed now: a test that finds one missing fails instead of skipping.
export Q8_REQUIRE_TEST_DEPS=1

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/q8-ccache}"
export CCACHE_MAXSIZE=2G
configs=("$@")
[ ${#configs[@]} -eq 0 ] && configs=(native asan intonly aarch64 fuzz)

flags_of() {
  case "$1" in
    native) echo "-DCMAKE_BUILD_TYPE=Release" ;;
    asan) echo "-DCMAKE_BUILD_TYPE=RelWithDebInfo -DQ8_SANITIZE=ON" ;;
    intonly) echo "-DCMAKE_BUILD_TYPE=Release -DQ8_INTEGER_ONLY=ON" ;;
    aarch64) echo "-DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=$PWD/cmake/toolchain-aarch64.cmake" ;;
    fuzz) echo "-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 -DQ8_FUZZ=ON -DQ8_BUILD_TESTS=OFF" ;;
    *) echo "unknown config $1" >&2; exit 2 ;;
  esac
}

check_install() {
  local prefix="$PWD/$1/install" model=../shared/testdata/tflite/hello_world_int8.tflite
  rm -rf "$prefix"
  cmake --install "$1" --prefix "$prefix" >/dev/null || return 1
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Wextra -Werror examples/minimal.c -o "$1/minimal-installed" \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig" \
      pkg-config --cflags --libs --static q8) || return 1
  # The training API: header, static libraries and q8-train.pc (compiled and linked; running it
  # would train for a minute).
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Wextra -Werror examples/train.c -o "$1/train-installed" \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig" \
      pkg-config --cflags --libs --static q8-train) || return 1
  [ -f "$model" ] || { echo "install check: skipped running (no shared test data)"; return 0; }
  LD_LIBRARY_PATH="$prefix/lib:$prefix/lib/x86_64-linux-gnu" "$1/minimal-installed" "$model" | grep -q "^q8 "
}

# The README's main job on a subset (scripts/main.sh --quick) with this build's q8: the summary
# table must have all three accuracies, sizes and latencies, and the accuracies must show that
# the models learned (chance is 10%; the subset reaches about 78% float, 79% QAT).
check_main_quick() {
  local out="$PWD/$1/main-quick" table
  rm -rf "$out"
  table=$(Q8_BIN="$PWD/$1/q8" Q8_MAIN_OUT="$out" bash scripts/main.sh --quick 2>&1 | tail -5) || {
    echo "$table"; return 1; }
  echo "$table"
  echo "$table" | awk -F'|' '
    /float \(training engine\)/ { f = $3 + 0 }
    /PTQ int8/ { p = $3 + 0; ps = $4 + 0; pm = $5 + 0 }
    /QAT int8/ { q = $3 + 0; qs = $4 + 0; qm = $5 + 0 }
    END { exit !(f > 60 && p > 60 && q > 60 && ps > 1000 && qs > 1000 && pm > 0 && qm > 0) }'
}

passed=0; failed=0; start=$(date +%s)
for c in "${configs[@]}"; do
  echo "=== $c ==="
  dir="build/test-$c"
  # shellcheck disable=SC2046
  cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache $(flags_of "$c") >/dev/null
  cmake --build "$dir" -j"$(nproc)"
  log="$dir/ctest.log"
  # aarch64: qemu-user emulates the CPU QEMU_CPU names (its hwcaps pick the kernel path):
  # every test on "max" (dot product: neondot), then the kernel, op and model tests again on
  # "cortex-a53" (no dot product: the neon path; core/test-arm-dispatch checks the choice).
  runs=(all); [ "$c" = aarch64 ] && runs=(max cortex-a53)
  for run in "${runs[@]}"; do
    select=(); cpu=()
    if [ "$run" != all ]; then
      cpu=(QEMU_CPU="$run"); echo "--- QEMU_CPU=$run"
      [ "$run" = cortex-a53 ] && select=(-R "^(core/test-arm-dispatch|ukernels/|ops/|e2e/)")
    fi
    set +e
    (cd "$dir" && env "${cpu[@]}" ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
       ctest --output-on-failure -j"$(nproc)" "${select[@]}" 2>&1) | tee "$log"
    set -e
    line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -1)
    total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
    bad=$(echo "$line" | sed -E 's/.*tests passed, ([0-9]+) tests failed.*/\1/')
    [ -z "$total" ] && { total=0; bad=1; }
    passed=$((passed + total - bad)); failed=$((failed + bad))
  done
  if [ "$c" = native ]; then
    # An installed q8 works for a program outside the tree: headers, library, pkg-config.
    if check_install "$dir"; then passed=$((passed + 1)); echo "install check: ok";
    else failed=$((failed + 1)); echo "install check: FAILED"; fi
    if check_main_quick "$dir"; then passed=$((passed + 1)); echo "main job --quick: ok";
    else failed=$((failed + 1)); echo "main job --quick: FAILED"; fi
  fi
done
echo "test command took $(( $(date +%s) - start )) s"
echo "all configs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

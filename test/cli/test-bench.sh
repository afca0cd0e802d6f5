#!/usr/bin/env bash
# q8 bench: the report's fields exist and agree with each other (never how fast anything is),
# several models with one refused, and errors (message and non-zero exit).
# Usage: test-bench.sh Q8_BINARY TESTDATA_DIR [EMULATOR...]
set -u
q8_bin=$1; data=$2/tflite; shift 2
emulator=("$@")
if [ ! -d "$data" ]; then echo "SKIP: cli/test-bench: ../shared/testdata is absent"; exit 77; fi
source "$(dirname "$0")/cli-common.sh"

person=$data/person_detect.tflite hello=$data/hello_world_int8.tflite
quick=(--runs 3 --warmup 1)

# Text: every section of one model's report.
out=$(run bench "$person" "${quick[@]}" --top 3 --isa scalar --threads 2); rc=$?
check "text exits 0" test $rc -eq 0
for field in "^affinity: [0-9]* CPU(s)" "^  kernels: scalar, 2 thread(s)$" \
    "^  latency: median [0-9.]* ms; min [0-9.]*, p10 [0-9.]*, p90 [0-9.]*, max [0-9.]*, MAD [0-9.]* ms (3 runs)$" \
    "^  work: 7157888 MACs, [0-9.]* GOPS" "^  memory: arena [1-9][0-9]* bytes" \
    "persistent [1-9][0-9]* bytes" "file $(stat -c %s "$person") bytes" \
    "^  profile: invoke median" "^  by operator kind" "^    CONV_2D  *14 " \
    "^  slowest nodes (3 of 31):$" "^peak resident memory: [1-9][0-9]* KiB"; do
  check "text has '$field'" grep -q -- "$field" <<<"$out"
done
check "three slowest nodes listed" test "$(sed -n '/slowest nodes/,/^$/p' <<<"$out" | grep -c '^ *[0-9][0-9]* [A-Z][A-Z0-9_]* ')" -eq 3

# JSON of one model: a flat object; the numbers agree with each other.
run bench "$person" "${quick[@]}" --isa ref --json > "$tmp/one.json"; rc=$?
check "json exits 0" test $rc -eq 0
check "one model's JSON" python3 - "$tmp/one.json" "$(stat -c %s "$person")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); file_bytes = int(sys.argv[2])
p = r["profile"]
def near(a, b, slack): return abs(a - b) <= slack
checks = {
    "isa and threads": r["isa"] == "ref" and r["threads"] == 1,
    "runs": r["runs"] == 3 and r["warmup"] == 1 and p["runs"] == 3,
    "spread ordered": 0 < r["min_ms"] <= r["p10_ms"] <= r["median_ms"] <= r["p90_ms"] <= r["max_ms"],
    "mad within range": 0 <= r["mad_ms"] <= r["max_ms"] - r["min_ms"],
    "macs": r["macs"] == 7157888,
    "gops at the median": near(r["gops"], 2 * r["macs"] / (r["median_ms"] * 1e6), 1e-3 * r["gops"] + 1e-4),
    "memory": r["arena_bytes"] > 0 and r["persistent_bytes"] > 0 and r["file_bytes"] == file_bytes
              and r["peak_rss_bytes"] >= r["arena_bytes"],
    "affinity": r["affinity_cpus"] >= 1,
    "nodes": len(p["nodes"]) == 31 and [n["index"] for n in p["nodes"]] == list(range(31)),
    "node macs add up": sum(n["macs"] for n in p["nodes"]) == r["macs"],
    "kinds add up": near(sum(k["ms"] for k in p["by_kind"]), p["nodes_sum_ms"], 1e-4)
                    and sum(k["nodes"] for k in p["by_kind"]) == 31
                    and sum(k["macs"] for k in p["by_kind"]) == r["macs"],
    "node medians add up": near(sum(n["ms"] for n in p["nodes"]), p["nodes_sum_ms"], 1e-4),
    # In every profiled run the nodes' times sum to at most the whole invoke (clock reads
    # around it come on top), so their means do too; the loop itself costs little beside them.
    "breakdown within the profiled invoke": p["nodes_mean_sum_ms"] <= p["invoke_mean_ms"] + 1e-5
                                            and p["nodes_mean_sum_ms"] >= 0.5 * p["invoke_mean_ms"],
}
bad = [k for k, ok in checks.items() if not ok]
if bad: print("failed:", bad, json.dumps(r)[:2000])
sys.exit(1 if bad else 0)
PY

# Several models, one of them refused: the others are timed, ratios against the first.
run bench "$hello" /nonexistent.tflite "$person" "${quick[@]}" --json > "$tmp/three.json" 2> "$tmp/err"
check "a refused model makes the exit non-zero" test $? -ne 0
check "refusal on stderr" grep -q "/nonexistent.tflite: cannot open" "$tmp/err"
check "several models' JSON" python3 - "$tmp/three.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m = r["models"]
ok = (len(m) == 3 and "error" in m[1] and "cannot open" in m[1]["error"] and "median_ms" not in m[1]
      and m[0]["median_ms"] > 0 and m[2]["median_ms"] > 0
      and r["baseline"] == m[0]["model"] and [x["model"] for x in r["ratios"]] == [x["model"] for x in m]
      and r["ratios"][0]["median_ratio"] == 1 and r["ratios"][1]["median_ratio"] is None
      and abs(r["ratios"][2]["median_ratio"] - m[2]["median_ms"] / m[0]["median_ms"]) < 1e-3 * r["ratios"][2]["median_ratio"]
      and r["runs"] == 3 and r["peak_rss_bytes"] > 0)
if not ok: print(json.dumps(r)[:2000])
sys.exit(0 if ok else 1)
PY
out=$(run bench /nonexistent.tflite "$hello" "${quick[@]}" 2>/dev/null)
check "text comparison against the first model timed" grep -q "ratio: median time over $hello's" <<<"$out"
check "refused model in the comparison" grep -q "^ *- *-  /nonexistent.tflite (not timed: " <<<"$out"
check "timed model's ratio is 1" grep -q "^ *[0-9.]*  *1.000  $hello$" <<<"$out"
check "kinds side by side, the refused model's a dash" grep -q "^    FULLY_CONNECTED  *-  *[0-9.]*$" <<<"$out"

# An int8 and a float32 version of one network, as `q8 gen` writes them (where this q8 has it):
# both timed, with the float/int8 ratio; the integer-only build refuses the float one by name
# and still times the int8 one.
if run gen --help >/dev/null 2>&1; then
  small=(mobilenet_v1_1.0_224 --resolution 32 --width 0.25)
  run gen "${small[@]}" --out "$tmp/int8.tflite" >/dev/null
  run gen "${small[@]}" --float --out "$tmp/float.tflite" >/dev/null
  run bench "$tmp/int8.tflite" "$tmp/float.tflite" "${quick[@]}" --json > "$tmp/pair.json" 2> "$tmp/pair.err"
  rc=$?
  if [ "${Q8_INTEGER_ONLY:-0}" = 1 ]; then
    check "integer-only: the float model refused" test $rc -eq 1
    check "integer-only: the refusal names the float" grep -q "float.tflite: .*integer-only build" "$tmp/pair.err"
  else
    check "int8 and float timed" test $rc -eq 0
  fi
  check "int8 against float JSON" python3 - "$tmp/pair.json" "${Q8_INTEGER_ONLY:-0}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); int_only = sys.argv[2] == "1"
m = r["models"]
ok = m[0]["median_ms"] > 0 and m[0]["macs"] > 0 and r["ratios"][0]["median_ratio"] == 1
if int_only: ok = ok and "error" in m[1] and r["ratios"][1]["median_ratio"] is None
else: ok = ok and m[1]["macs"] == m[0]["macs"] and r["ratios"][1]["median_ratio"] > 0
if not ok: print(json.dumps(r)[:2000])
sys.exit(0 if ok else 1)
PY
else
  echo "note: this q8 has no 'q8 gen': the int8 against float32 case is left out"
fi

expect_error "missing model" "/nonexistent.tflite: cannot open" bench /nonexistent.tflite
expect_error "not a model" "TFL3" bench "$data/cat_160x160_nearest_rgb.uint8.bin"
expect_error "no model" "give at least one MODEL" bench --runs 3
expect_error "zero runs" "--runs takes a count from 1" bench "$hello" --runs 0
expect_error "runs not a number" "not '3x'" bench "$hello" --runs 3x
expect_error "negative warm-up" "--warmup takes a count from 0" bench "$hello" --warmup -1
expect_error "runs without a value" "--runs needs a value" bench "$hello" --runs
expect_error "unknown isa" "--isa takes auto, ref" bench "$hello" --isa sse9
expect_error "bad threads" "--threads takes a count" bench "$hello" --threads 0
expect_error "unknown option" "unknown option '--frobnicate'" bench "$hello" --frobnicate
check "help" bash -c "$(declare -f run); q8_bin=$q8_bin; emulator=(${emulator[*]}); run bench --help | grep -q 'taskset -c 0'"

echo "cli/test-bench: $pass passed, $fail failed"
[ $fail -eq 0 ]

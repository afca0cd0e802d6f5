#!/usr/bin/env bash
# The q8 command: results, files it writes, and errors (message and non-zero exit).
# Usage: test-cli.sh Q8_BINARY TESTDATA_DIR [EMULATOR...]
set -u
q8_bin=$1; data=$2/tflite; shift 2
q8() { "$@" 2>/dev/null; }
run() { "${emulator[@]}" "$q8_bin" "$@"; }
emulator=("$@")
if [ ! -d "$data" ]; then echo "SKIP: cli/test-cli: ../shared/testdata is absent"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}
# expect_error DESCRIPTION EXPECTED_TEXT ARGS...: q8 must exit non-zero and say the text.
expect_error() {
  local what=$1 text=$2; shift 2
  local out; out=$(run "$@" 2>&1); local rc=$?
  if [ $rc -ne 0 ] && grep -qF -- "$text" <<<"$out"; then pass=$((pass + 1));
  else fail=$((fail + 1)); echo "FAIL: $what: exit $rc, output: $out"; fi
}
npy_header() { head -c 128 "$1" | tr -d '\000' | tr -c '[:print:]' ' '; }

mobilenet=$data/mobilenet_v1_0.5_160_quant.tflite cat=$data/cat_160x160_nearest_rgb.uint8.bin
hello=$data/hello_world_int8.tflite

check "version" bash -c "$(declare -f run); q8_bin=$q8_bin; emulator=(${emulator[*]}); run version | grep -q '^q8 [0-9]'"
out=$(run info "$hello")
check "info lists operators" grep -q "FULLY_CONNECTED" <<<"$out"
check "info reports the arena" grep -q "^arena: [0-9]* bytes" <<<"$out"
check "info reports MACs" grep -q "^multiply-accumulates: [1-9]" <<<"$out"

out=$(run run "$mobilenet" --input "$cat" --labels "$data/imagenet_labels.txt" --top 3 --output "$tmp/o.npy")
check "run prints the top class first" grep -q "^  286 .*Egyptian cat" <<<"$(sed -n 2p <<<"$out")"
check "run writes uint8 .npy" grep -q "'descr': '|u1'.*'shape': (1, 1001)" <<<"$(npy_header "$tmp/o.npy")"
check "npy size" test "$(stat -c %s "$tmp/o.npy")" -eq $((128 + 1001))
cat "$cat" "$cat" > "$tmp/two.bin"
out=$(run run "$mobilenet" --input "$tmp/two.bin" --top 1 --output "$tmp/two.npy" --dequantize)
check "two inferences back to back" test "$(grep -c '^  286 ' <<<"$out")" -eq 2
check "batch axis and float32" grep -q "'descr': '<f4'.*'shape': (2, 1, 1001)" <<<"$(npy_header "$tmp/two.npy")"
check "no stray temp files" test -z "$(ls "$tmp" | grep tmp)"

# A float32 .npy is quantized with the input's scale and zero point: 0.77 -> -97.
python3 - "$tmp" <<'PY'
import struct, sys
d = sys.argv[1]
def npy(path, descr, shape, payload):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    h += " " * (63 - (10 + len(h)) % 64) + "\n"
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + payload)
npy(d + "/x.npy", "<f4", "(1, 1)", struct.pack("<f", 0.77))
npy(d + "/x_i8.npy", "|i1", "(1, 1)", struct.pack("<b", -97))
npy(d + "/x_i32.npy", "<i4", "(1,)", struct.pack("<i", 5))
open(d + "/x.bin", "wb").write(struct.pack("<b", -97))
npy(d + "/huge.npy", "<f4", "(1099511627776,)", b"")
npy(d + "/badshape.npy", "<f4", "(1,,1)", struct.pack("<f", 0.5))
raw = open(d + "/x.npy", "rb").read()
open(d + "/v9.npy", "wb").write(raw[:6] + b"\x09" + raw[7:])
PY
printf '%01100d\nperson\n' 0 > "$tmp/labels.txt"
run run "$hello" --input "$tmp/x.bin" --output "$tmp/yb.npy" >/dev/null
run run "$hello" --input "$tmp/x_i8.npy" --output "$tmp/yi.npy" >/dev/null
if [ "${Q8_INTEGER_ONLY:-0}" = 1 ]; then
  expect_error "float input in the integer-only build" "integer-only build" run "$hello" --input "$tmp/x.npy"
else
  run run "$hello" --input "$tmp/x.npy" --output "$tmp/yf.npy" >/dev/null
  check "float32 .npy input equals its quantized raw byte" cmp -s "$tmp/yf.npy" "$tmp/yb.npy"
fi
check "int8 .npy input equals raw" cmp -s "$tmp/yi.npy" "$tmp/yb.npy"

expect_error "missing model" "/nonexistent.tflite" run /nonexistent.tflite --input "$cat"
expect_error "no input" "give --input once" run "$mobilenet"
expect_error "raw size" "not a whole number of inputs" run "$mobilenet" --input "$hello"
expect_error "wrong npy type" "holds <i4 data" run "$hello" --input "$tmp/x_i32.npy"
expect_error "not a model" "TFL3" run "$cat" --input "$cat"
expect_error "unknown option" "unknown option" run "$hello" --frobnicate
expect_error "unknown command" "unknown command" frobnicate
head -c 100 "$tmp/x.npy" > "$tmp/short.npy"
expect_error "truncated npy" "truncated" run "$hello" --input "$tmp/short.npy"
expect_error "raw from a pipe of the wrong size" "2 bytes is not a whole number" run "$mobilenet" --input <(printf ab)
expect_error "npy larger than its file" "truncated" run "$hello" --input "$tmp/huge.npy"
expect_error "npy shape with an empty dimension" "shape is malformed" run "$hello" --input "$tmp/badshape.npy"
expect_error "npy version" "format version 9" run "$hello" --input "$tmp/v9.npy"
expect_error "missing labels" "cannot open labels" run "$hello" --input "$tmp/x.bin" --labels /nonexistent
out=$(run run "$data/person_detect.tflite" --input "$data/person_input.int8.bin" --labels "$tmp/labels.txt" --top 1)
check "a long label stays one label" grep -q "^  1 .*person$" <<<"$out"

# q8 eval: tiny classifiers and a test split from make-eval-set, whose accuracy and confusion
# matrix it works out from the pixels alone (near-ties that only the logits rank right).
ev=$tmp/eval
if [ -z "${Q8_MAKE_EVAL_SET:-}" ] || ! "${emulator[@]}" "$Q8_MAKE_EVAL_SET" "$ev" >/dev/null; then
  fail=$((fail + 1)); echo "FAIL: make-eval-set (Q8_MAKE_EVAL_SET='${Q8_MAKE_EVAL_SET:-}') wrote no eval set"
fi
# text_matches EXPECTED OUTPUT: the accuracy line and the ten rows of the matrix.
text_matches() {
  local k n; read -r k n < "$1" || return 1
  local pct; pct=$(awk -v k="$k" -v n="$n" 'BEGIN { printf "%.2f", 100 * k / n }')
  grep -qx "accuracy: $pct% ($k of $n images)" <<<"$2" &&
    diff <(tail -n 10 "$1") <(grep -E '^[0-9] ' <<<"$2" | awk '{ s = $(NF-9); for (i = NF-8; i <= NF; i++) s = s " " $i; print s }') >/dev/null
}
# json_matches EXPECTED JSON: images, correct, accuracy and confusion.
json_matches() {
  python3 - "$1" "$2" <<'PY'
import json, sys
want = open(sys.argv[1]).read().split()
k, n, rows = int(want[0]), int(want[1]), [int(x) for x in want[2:]]
got = json.loads(sys.argv[2])
ok = (got["images"] == n and got["correct"] == k and abs(got["accuracy"] - k / n) < 5e-7
      and [x for row in got["confusion"] for x in row] == rows and got["ranked_by_logits"])
sys.exit(0 if ok else 1)
PY
}
out=$(run eval "$ev/int8-softmax.tflite" --data "$ev/data")
check "eval int8 + SOFTMAX: accuracy and confusion matrix" text_matches "$ev/expected-all.txt" "$out"
check "eval ranks by the final SOFTMAX's input" grep -q "^ranked by: tensor 3 'scores', the logits" <<<"$out"
out=$(run eval "$ev/uint8.tflite" --data "$ev/data")
check "eval uint8 without SOFTMAX" text_matches "$ev/expected-all.txt" "$out"
check "eval ranks by the output" grep -q "^ranked by: .*the model's output" <<<"$out"
out=$(run eval "$ev/int8-softmax.tflite" --data "$ev/data" --limit 50)
check "eval --limit" text_matches "$ev/expected-limit.txt" "$out"
out=$(run eval "$ev/int8-softmax.tflite" --data "$ev/data" --limit 50 --json)
check "eval --json" json_matches "$ev/expected-limit.txt" "$out"
out=$(run eval "$ev/int8-softmax.tflite" --data "$ev/gz" 2>&1)
if grep -q "built without zlib" <<<"$out" && [ ${#emulator[@]} -gt 0 ]; then
  check "eval of .gz files refused by name without zlib (cross build)" true
else
  check "eval of gzipped files" text_matches "$ev/expected-all.txt" "$out"
fi
expect_error "eval: five classes" "has shape [1,5]: 5 classes, and Fashion-MNIST has 10" \
  eval "$ev/five-classes.tflite" --data "$ev/data"
expect_error "eval: a 392-pixel input" "input 'image' has shape [1,392]" eval "$ev/half-image.tflite" --data "$ev/data"
expect_error "eval: missing data" "apt-get install dataset-fashion-mnist" eval "$ev/uint8.tflite" --data "$tmp/none"
expect_error "eval: limit 0" "--limit takes a positive count" eval "$ev/uint8.tflite" --limit 0
expect_error "eval: unknown option" "unknown option '--top'" eval "$ev/uint8.tflite" --top 1
expect_error "eval: no model" "no model given" eval
mkdir -p "$tmp/cut" && cp "$ev/data/t10k-labels-idx1-ubyte" "$tmp/cut/"
head -c 5000 "$ev/data/t10k-images-idx3-ubyte" > "$tmp/cut/t10k-images-idx3-ubyte"
expect_error "eval: truncated images" "is truncated: 300 images (record 6 of 300 is incomplete) at offset 16" \
  eval "$ev/uint8.tflite" --data "$tmp/cut"

# The real Fashion-MNIST test split (Debian dataset-fashion-mnist), where it is installed.
fm=/usr/share/datasets/fashion-mnist
if [ -d "$fm" ]; then
  expect_error "eval: hello_world refused by its input shape" "input 'serving_default_dense_input:0' has shape [1,1]" eval "$hello"
  out=$(run eval "$ev/int8-softmax.tflite" --json 2>&1)
  if grep -q "built without zlib" <<<"$out" && [ ${#emulator[@]} -gt 0 ]; then
    check "eval of Fashion-MNIST's .gz files refused by name without zlib (cross build)" true
  else
    check "eval reads all of Fashion-MNIST's test split" grep -q '"images": 10000, ' <<<"$out"
  fi
else
  echo "note: $fm is absent (Debian dataset-fashion-mnist): q8 eval on the real data not run"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

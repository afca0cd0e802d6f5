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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

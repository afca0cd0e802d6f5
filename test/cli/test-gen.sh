#!/usr/bin/env bash
# q8 gen: a small successful generation (summary, the file q8 info and q8 run read, the same
# seed giving the same bytes) and refused arguments (message and non-zero exit).
# Usage: test-gen.sh Q8_BINARY [EMULATOR...]
set -u
q8_bin=$1; shift
emulator=("$@")
source "$(dirname "$0")/cli-common.sh"
# expect_error DESCRIPTION EXIT_CODE EXPECTED_TEXT ARGS...: q8 gen must exit so and say the text.
expect_error() { local what=$1 code=$2 text=$3; shift 3; expect_exit "$what" "$code" "$text" gen "$@"; }

out=$(run gen --help); rc=$?
check "--help exits 0" test $rc -eq 0
for name in mobilenet_v1_1.0_224 mobilenet_v2_1.0_224 resnet50_v1 inception_v3; do
  check "--help names $name" grep -q "$name" <<<"$out"
done
check "q8 --help lists gen" grep -q "^  gen NAME" <<<"$(run --help)"

small=(--width 0.25 --resolution 64)
expect_error "no arguments" 2 "give the model NAME"
expect_error "no --out" 2 "give --out FILE.tflite" mobilenet_v1_1.0_224
expect_error "unknown model" 2 "known models: mobilenet_v1_1.0_224, mobilenet_v2_1.0_224, resnet50_v1, inception_v3" mobilenet_v3 --out "$tmp/x.tflite"
expect_error "width too large" 2 "width 3 is outside [0.1, 2]" mobilenet_v2_1.0_224 --width 3 --out "$tmp/x.tflite"
expect_error "width 0" 2 "width 0 is outside [0.1, 2]" mobilenet_v2_1.0_224 --width 0 --out "$tmp/x.tflite"
expect_error "width not a number" 2 "--width takes a number, not 'wide'" mobilenet_v1_1.0_224 --width wide --out "$tmp/x.tflite"
expect_error "width of resnet" 2 "resnet50_v1 has no width multiplier (only the MobileNets do)" resnet50_v1 --width 0.5 --out "$tmp/x.tflite"
expect_error "resolution too small" 2 "resolution 20 is outside [32, 512] for mobilenet_v1_1.0_224" mobilenet_v1_1.0_224 --resolution 20 --out "$tmp/x.tflite"
expect_error "resolution 0" 2 "resolution 0 is outside [75, 512] for inception_v3" inception_v3 --resolution 0 --out "$tmp/x.tflite"
expect_error "inception's smallest input" 2 "resolution 74 is outside [75, 512] for inception_v3" inception_v3 --resolution 74 --out "$tmp/x.tflite"
expect_error "negative resolution" 2 "--resolution takes a whole number, not '-5'" resnet50_v1 --resolution -5 --out "$tmp/x.tflite"
expect_error "scheme" 2 "--scheme is int8 or uint8, not 'int4'" mobilenet_v1_1.0_224 --scheme int4 --out "$tmp/x.tflite"
expect_error "float and scheme" 2 "--float and --scheme uint8: choose one" mobilenet_v1_1.0_224 --float --scheme uint8 --out "$tmp/x.tflite"
expect_error "seed" 2 "--seed takes a whole number, not 'x'" mobilenet_v1_1.0_224 --seed x --out "$tmp/x.tflite"
expect_error "missing value" 2 "--out needs a value" mobilenet_v1_1.0_224 --out
expect_error "unknown option" 2 "unknown option '--depth'" mobilenet_v1_1.0_224 --depth 3 --out "$tmp/x.tflite"
expect_error "two names" 2 "one model name only" mobilenet_v1_1.0_224 resnet50_v1 --out "$tmp/x.tflite"
expect_error "unwritable path" 1 "$tmp/no/such/dir/x.tflite" mobilenet_v1_1.0_224 "${small[@]}" --out "$tmp/no/such/dir/x.tflite"
check "nothing written on errors" test ! -e "$tmp/x.tflite"

# A small MobileNet v1: the summary, then q8 info and q8 run on the file.
out=$(run gen mobilenet_v1_1.0_224 "${small[@]}" --seed 3 --out "$tmp/m.tflite"); rc=$?
check "generation exits 0" test $rc -eq 0
check "summary: options" grep -q "^mobilenet_v1_1.0_224: width 0.25, resolution 64, int8, seed 3$" <<<"$out"
check "summary: operators" grep -q "^  31 operators: AVERAGE_POOL_2D 1, CONV_2D 14, DEPTHWISE_CONV_2D 13, FULLY_CONNECTED 1, RESHAPE 1, SOFTMAX 1$" <<<"$out"
check "summary: the runtime prepared it" grep -q "q8's runtime prepares it: arena [1-9]" <<<"$out"
macs=$(sed -n 's/^  multiply-accumulates: \([0-9]*\) .*/\1/p' <<<"$out")
info=$(run info "$tmp/m.tflite")
check "q8 info counts the MACs gen printed ($macs)" grep -qx "multiply-accumulates: $macs" <<<"$info"
check "q8 info: int8 input [1,64,64,3], scale 1/128" grep -q "^input 0: 'input' int8 \[1,64,64,3\] scale 0.0078125 zero point 0$" <<<"$info"
head -c $((64 * 64 * 3)) /dev/urandom > "$tmp/in.bin"
check "q8 run runs it" bash -c "$(declare -f run); q8_bin=$q8_bin; emulator=(${emulator[*]}); run run '$tmp/m.tflite' --input '$tmp/in.bin' --top 1 | grep -q \"'probabilities': top 1\""

run gen mobilenet_v1_1.0_224 "${small[@]}" --seed 3 --out "$tmp/again.tflite" >/dev/null
check "the same seed writes the same bytes" cmp -s "$tmp/m.tflite" "$tmp/again.tflite"
run gen mobilenet_v1_1.0_224 "${small[@]}" --seed 4 --out "$tmp/other.tflite" >/dev/null
check "another seed writes other weights" bash -c "! cmp -s '$tmp/m.tflite' '$tmp/other.tflite'"

out=$(run gen mobilenet_v2_1.0_224 "${small[@]}" --scheme uint8 --out "$tmp/u.tflite")
check "uint8" grep -q "^input 0: 'input' uint8 .* zero point 128$" <<<"$(run info "$tmp/u.tflite")"
out=$(run gen mobilenet_v2_1.0_224 "${small[@]}" --float --out "$tmp/f.tflite"); rc=$?
check "float32 written" test $rc -eq 0 -a -s "$tmp/f.tflite"
check "float32 summary" grep -q ", float32, seed 1$" <<<"$out"
check "float32 is 4x the int8 weights" test "$(stat -c %s "$tmp/f.tflite")" -gt $((3 * $(stat -c %s "$tmp/u.tflite")))

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

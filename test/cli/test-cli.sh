#!/usr/bin/env bash
# The q8 command: results, files it writes, and errors (message and non-zero exit).
# Usage: test-cli.sh Q8_BINARY TESTDATA_DIR [EMULATOR...]
set -u
q8_bin=$1; data=$2/tflite; shift 2
q8() { "$@" 2>/dev/null; }
emulator=("$@")
if [ ! -d "$data" ]; then echo "SKIP: cli/test-cli: ../shared/testdata is absent"; exit 77; fi
source "$(dirname "$0")/cli-common.sh"
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
# Kernel path and threads change nothing in the result, and are reported.
for isa in ref scalar; do
  out=$(run eval "$ev/int8-softmax.tflite" --data "$ev/data" --limit 50 --json --isa "$isa" --threads 3)
  check "eval --isa $isa --threads 3: same result" json_matches "$ev/expected-limit.txt" "$out"
  check "eval --json names the path $isa and 3 threads" grep -q "\"isa\": \"$isa\", \"threads\": 3" <<<"$out"
done
expect_error "eval: --threads 0" "--threads takes a count from 1 to 64, not '0'" eval "$ev/uint8.tflite" --threads 0
expect_error "eval: unknown --isa" "--isa takes auto, ref, scalar" eval "$ev/uint8.tflite" --isa sse
expect_error "run: a path for another architecture" "this build has no" \
  run "$ev/uint8.tflite" --isa "$( [ "$(uname -m)" = x86_64 ] && [ ${#emulator[@]} -eq 0 ] && echo neon || echo avx2)" --input /dev/null
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

# q8 train: argument errors first (no data needed), then short runs on the real Fashion-MNIST.
if [ "${Q8_INTEGER_ONLY:-0}" = 1 ]; then
  expect_error "train in the integer-only build" "not in the integer-only build" train --model fm-cnn
else
  tr_out=$tmp/train; mkdir -p "$tr_out"
  expect_error "train: no model" "--model is required" train --out "$tr_out/x.tflite"
  expect_error "train: unknown model" "unknown model 'fm-vgg': fm-cnn, fm-mobilenet or fm-resnet" \
    train --model fm-vgg --out "$tr_out/x.tflite"
  expect_error "train: no output" "--out FILE.tflite is required" train --model fm-cnn
  expect_error "train: negative epochs" "--epochs takes a whole number from 0 to 10000, not '-1'" \
    train --model fm-cnn --out "$tr_out/x.tflite" --epochs -1
  expect_error "train: 9 weight bits" "--wbits takes a whole number from 2 to 8, not '9'" \
    train --model fm-cnn --out "$tr_out/x.tflite" --wbits 9
  expect_error "train: scheme" "--scheme is int8 or uint8, not 'int4'" \
    train --model fm-cnn --out "$tr_out/x.tflite" --scheme int4
  expect_error "train: bn-stats" "--bn-stats is unfolded or folded, not 'batch'" \
    train --model fm-cnn --out "$tr_out/x.tflite" --bn-stats batch
  expect_error "train: rounding" "--rounding is integer or float, not 'nearest'" \
    train --model fm-cnn --out "$tr_out/x.tflite" --rounding nearest
  expect_error "train: unknown option" "unknown option '--lr'" train --model fm-cnn --lr 0.1
  expect_error "train: option without value" "--limit needs a value" train --model fm-cnn --limit
  expect_error "train: stray argument" "unexpected argument 'fm-cnn'" train fm-cnn
  expect_error "train: missing data" "apt-get install dataset-fashion-mnist" \
    train --model fm-cnn --out "$tr_out/x.tflite" --data "$tmp/none"
fi
if [ "${Q8_INTEGER_ONLY:-0}" != 1 ] && [ -d "$fm" ]; then
  tr_data=$fm
  if [ ${#emulator[@]} -gt 0 ]; then
    # Cross builds may lack zlib, and emulated training is slow: plain IDX prefixes of the real
    # files (the loader reads only the records --limit asks for).
    tr_data=$tmp/fm-plain; mkdir -p "$tr_data"
    for s in train t10k; do
      zcat "$fm/$s-images-idx3-ubyte.gz" | head -c $((16 + 784 * 4)) > "$tr_data/$s-images-idx3-ubyte"
      zcat "$fm/$s-labels-idx1-ubyte.gz" | head -c $((8 + 4)) > "$tr_data/$s-labels-idx1-ubyte"
    done
  fi
  # One run straight; one stopped by SIGINT during float epoch 2, resumed, stopped again once
  # the QAT phase has begun, and resumed: same model, same log (seconds aside).
  targs=(--model fm-cnn --data "$tr_data" --limit 512 --epochs 2 --qat-epochs 1 --test-limit 20 --threads 1 --seed 3)
  # Emulated (qemu: a few images per second) the run is one step on 4 images, without SIGINT.
  if [ ${#emulator[@]} -gt 0 ]; then targs=(--model fm-cnn --data "$tr_data" --limit 4 --epochs 1 --qat-epochs 0 --test-limit 2 --threads 1 --seed 3); fi
  out=$(run train "${targs[@]}" --out "$tr_out/straight.tflite" --log "$tr_out/straight.csv" 2>&1); rc=$?
  check "train: exit 0 (got $rc: $(tail -n 3 <<<"$out"))" test $rc -eq 0
  check "train: plain progress lines off a terminal" grep -q "^float epoch 1/[12] step [0-9]*/[0-9]*: loss [0-9.]*, accuracy " <<<"$out"
  check "train: the checkpoint beside --out" test -s "$tr_out/straight.ckpt"
  phases=$( (( ${#emulator[@]} > 0 )) && echo "float,1" || printf 'float,1 float,2 qat,1')
  check "train: log header and one line per epoch ($phases)" test "$(cut -d, -f1-2 "$tr_out/straight.csv" | tr '\n' ' ')" = "phase,epoch $phases "
  check "train: log values" test "$(grep -c '^[a-z]*,[12],[0-9.]*,0\.[0-9]*,[01]\.[0-9]*,[0-9.e-]*,[0-9.]*$' "$tr_out/straight.csv")" -eq "$(wc -w <<<"$phases")"
  line=$(grep "^test accuracy on " <<<"$out")
  if [ ${#emulator[@]} -gt 0 ]; then
    check "train: float and integer accuracy reported" grep -q "float [0-9.]*% (training engine), int8 [0-9.]*% (integer runtime" <<<"$line"
  else
    check "train: QAT ranges exported" grep -q "^wrote $tr_out/straight.tflite: int8, [0-9]* bytes, 7 operators; ranges learned by quantization-aware training" <<<"$out"
    check "train: float, fake-quantized and integer accuracy reported" grep -q "float [0-9.]*% (before QAT), fake-quantized [0-9.]*% (training engine), int8 [0-9.]*% (integer runtime" <<<"$line"
  fi
  # q8 eval of the written model gives the integer accuracy q8 train printed.
  int_acc=$(sed -n 's/.*int8 \([0-9.]*\)% (integer runtime.*/\1/p' <<<"$line")
  n_test=$(sed -n 's/^test accuracy on \([0-9]*\) images.*/\1/p' <<<"$line")
  out=$(run eval "$tr_out/straight.tflite" --data "$tr_data" --limit "$n_test" 2>&1)
  check "train: q8 eval agrees with the integer accuracy q8 train printed ($int_acc%)" grep -q "^accuracy: $int_acc% " <<<"$out"
  if [ ${#emulator[@]} -eq 0 ]; then
    "$q8_bin" train "${targs[@]}" --out "$tr_out/cut.tflite" --log "$tr_out/cut.csv" > "$tr_out/cut.out" 2> "$tr_out/cut.err" &
    pid=$!
    for _ in $(seq 1200); do [ -s "$tr_out/cut.ckpt" ] || ! kill -0 $pid 2>/dev/null && break; sleep 0.05; done
    kill -INT $pid 2>/dev/null; wait $pid; rc=$?
    check "train: SIGINT during epoch 2 exits 130 (got $rc)" test $rc -eq 130
    check "train: SIGINT says where it stopped" grep -q "^q8: interrupted after [0-9]* of 16 steps of the float phase (epoch 2 of 2); saved $tr_out/cut.ckpt" "$tr_out/cut.err"
    resume_cmd=$(sed -n 's/^resume with: q8 //p' "$tr_out/cut.err")
    check "train: SIGINT prints the resume command" grep -q -- "--resume $tr_out/cut.ckpt\$" <<<"$resume_cmd"
    read -ra resume_args <<<"$resume_cmd" # the paths here need no quoting
    "$q8_bin" "${resume_args[@]}" > "$tr_out/cut2.out" 2> "$tr_out/cut2.err" &
    pid=$!
    for _ in $(seq 1200); do grep -q "^qat epoch 1/1 step" "$tr_out/cut2.out" 2>/dev/null || ! kill -0 $pid 2>/dev/null && break; sleep 0.05; done
    kill -INT $pid 2>/dev/null; wait $pid; rc=$?
    check "train: resumed from the step it stopped at" grep -q "^resumed $tr_out/cut.ckpt: float phase, step [0-9]* (epoch 2)" "$tr_out/cut2.out"
    check "train: SIGINT in the QAT phase exits 130 (got $rc)" test $rc -eq 130
    check "train: ... and says so" grep -q "^q8: interrupted after [0-9]* of 8 steps of the qat phase (epoch 1 of 1); saved" "$tr_out/cut2.err"
    out=$(run "${resume_args[@]}" 2>&1); rc=$?
    check "train: resumed run exits 0 (got $rc: $(tail -n 2 <<<"$out"))" test $rc -eq 0
    check "train: resumed in the QAT phase" grep -q "^resumed $tr_out/cut.ckpt: qat phase, step [0-9]* (epoch 1)" <<<"$out"
    check "train: interrupted + resumed writes the same model as a straight run" cmp -s "$tr_out/straight.tflite" "$tr_out/cut.tflite"
    check "train: ... and the same log (but for seconds)" diff <(cut -d, -f1-6 "$tr_out/straight.csv") <(cut -d, -f1-6 "$tr_out/cut.csv")
    # Checkpoints that do not fit are refused, by name.
    ck=$tr_out/straight.ckpt
    expect_error "train: resume another model" "was written for model 'fm-cnn', this run trains 'fm-mobilenet'" \
      train "${targs[@]/fm-cnn/fm-mobilenet}" --out "$tr_out/r.tflite" --resume "$ck"
    expect_error "train: resume with another seed" "option 'seed' is 3 there, 4 in this run" \
      train "${targs[@]}" --seed 4 --out "$tr_out/r.tflite" --resume "$ck"
    expect_error "train: resume with other images" "option 'train-images' is 512 there, 256 in this run" \
      train "${targs[@]}" --limit 256 --out "$tr_out/r.tflite" --resume "$ck"
    expect_error "train: resume with other bits" "option 'wbits' is 8 there, 4 in this run" \
      train "${targs[@]}" --wbits 4 --out "$tr_out/r.tflite" --resume "$ck"
    head -c 3000 "$ck" > "$tr_out/short.ckpt"
    expect_error "train: truncated checkpoint" "checkpoint $tr_out/short.ckpt is truncated" \
      train "${targs[@]}" --out "$tr_out/r.tflite" --resume "$tr_out/short.ckpt"
    cp "$ck" "$tr_out/flip.ckpt"; printf '\377' | dd of="$tr_out/flip.ckpt" bs=1 seek=5000 conv=notrunc 2>/dev/null
    expect_error "train: corrupt checkpoint" "CRC-32 mismatch" \
      train "${targs[@]}" --out "$tr_out/r.tflite" --resume "$tr_out/flip.ckpt"
    expect_error "train: not a checkpoint" "not a q8 checkpoint" \
      train "${targs[@]}" --out "$tr_out/r.tflite" --resume "$tr_out/straight.tflite"
    expect_error "train: missing checkpoint" "$tr_out/none.ckpt: cannot open" \
      train "${targs[@]}" --out "$tr_out/r.tflite" --resume "$tr_out/none.ckpt"
  fi
elif [ "${Q8_INTEGER_ONLY:-0}" != 1 ]; then
  echo "note: $fm is absent (Debian dataset-fashion-mnist): q8 train on the real data not run"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# The reference recipe in PyTorch (bench/pytorch-fashion.py) for fm-cnn, fm-mobilenet and
# fm-resnet in sequence, at 1 and 2 threads, and a table of the results, beside q8's when given.
# Installs Debian's python3-torch, python3-numpy and dataset-fashion-mnist when missing (apt-get;
# root or sudo), nothing from pip.
#
# Usage: bench/pytorch-fashion.sh [--models "fm-cnn ..."] [--threads "1 2"] [--out DIR]
#                                 [--q8 DIR] [pytorch-fashion.py options: --limit N --epochs N ...]
#   --out DIR  transcripts (pytorch-MODEL-tN.txt) and results (pytorch-fashion.csv); default
#              build/pytorch-fashion
#   --q8 DIR   q8's runs of the same recipe: DIR/MODEL.txt (the output of q8 train ... --ptq-out)
#              and DIR/MODEL.csv (its --log); their accuracies and seconds per epoch are shown
#              beside PyTorch's
# The full recipe takes about 10 minutes per model and thread count on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
models="fm-cnn fm-mobilenet fm-resnet" threads="1 2" out=build/pytorch-fashion q8dir=""
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --q8) q8dir=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) pass+=("$1"); shift ;;
  esac
done

# Debian's interpreter: the packages install into its dist-packages, not into a pyenv or venv.
python=/usr/bin/python3
source scripts/deps.sh
ensure_packages python3 python3-torch python3-numpy dataset-fashion-mnist

mkdir -p "$out"
csv="$out/pytorch-fashion.csv"
: >"$csv"
for model in $models; do
  for t in $threads; do
    log="$out/pytorch-$model-t$t.txt"
    echo "== $model, $t thread(s): $log"
    $python bench/pytorch-fashion.py --model "$model" --threads "$t" ${pass[@]+"${pass[@]}"} |
      tee "$log"
    [ -s "$csv" ] || grep '^# ' "$log" | tail -1 | sed 's/^# //' >"$csv"
    tail -1 "$log" >>"$csv"
  done
done

echo
$python - "$csv" "$q8dir" <<'EOF'
import csv, os, re, sys

rows = list(csv.DictReader(open(sys.argv[1])))
q8dir = sys.argv[2]

def q8_numbers(model):
    """Accuracies and mean seconds per epoch from q8 train's output and its --log CSV."""
    text_path, log_path = (os.path.join(q8dir, model + ext) for ext in (".txt", ".csv"))
    if not q8dir or not os.path.exists(text_path):
        return None
    text = open(text_path).read()
    def last(pattern):
        found = re.findall(pattern, text)
        return float(found[-1]) / 100 if found else None
    r = {"float": last(r"float ([0-9.]+)% \(before QAT\)"),
         "ptq": last(r"post-training quantization:.* int8 ([0-9.]+)% \(integer runtime\)"),
         "qat": last(r" int8 ([0-9.]+)% \(integer runtime, "),
         "threads": (re.findall(r"(\d+) threads?", text) or ["?"])[0],
         "images": (re.findall(r"(\d+) training images", text) or [None])[0]}
    if os.path.exists(log_path):
        for phase in ("float", "qat"):
            s = [float(row["seconds"]) for row in csv.DictReader(open(log_path))
                 if row["phase"] == phase]
            r[phase + "_s"] = sum(s) / len(s) if s else None
    return r

def pct(v):
    return "-" if v in (None, "") else f"{100 * float(v):.2f}"

def sec(v):
    return "-" if v in (None, "") else f"{float(v):.1f}"

print("| system | model | threads | float | PTQ int8 | QAT int8 | s/float epoch | s/QAT epoch "
      "| float images/s | train images |")
print("|---|---|---|---|---|---|---|---|---|---|")
shown = set()
for r in rows:
    print(f"| PyTorch {r['torch']} ({r['engine']}) | {r['model']} | {r['threads']} | "
          f"{pct(r['float_accuracy'])} | {pct(r['ptq_accuracy'])} | {pct(r['qat_accuracy'])} | "
          f"{sec(r['float_s_per_epoch'])} (CPU {sec(r['float_cpu_s_per_epoch'])}) | "
          f"{sec(r['qat_s_per_epoch'])} (CPU {sec(r['qat_cpu_s_per_epoch'])}) | "
          f"{float(r['float_images_per_s']):.0f} | {r['train_images']} |")
    q = q8_numbers(r["model"]) if r["model"] not in shown else None
    shown.add(r["model"])
    if q:
        rate = f"{int(q['images']) / q['float_s']:.0f}" if q.get("float_s") and q["images"] else "-"
        print(f"| q8 | {r['model']} | {q['threads']} | {pct(q['float'])} | {pct(q['ptq'])} | "
              f"{pct(q['qat'])} | {sec(q.get('float_s'))} | {sec(q.get('qat_s'))} | {rate} | "
              f"{q['images'] or '-'} |")
EOF

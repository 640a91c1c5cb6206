#!/usr/bin/env bash
# Train-step time of our DeepLabV3+-R50 against the same network in PyTorch (Debian's python3-torch),
# same batch, input size and threads, random data. Prints both, split into forward+loss / backward / optimizer,
# and the ratio (ours / PyTorch; goal <= 1.0).
# Usage: scripts/bench_compare.sh [batch=2] [size=256] [threads=2] [iters=10]
set -euo pipefail
cd "$(dirname "$0")/.."
b=${1:-2}; s=${2:-256}; t=${3:-2}; n=${4:-10}
py_json=$(/usr/bin/python3 scripts/bench_pytorch.py --batch "$b" --size "$s" --threads "$t" --iters "$n")
echo "pytorch: $py_json"
ours_json=$(mktemp --suffix .json)
trap 'rm -f "$ours_json"' EXIT
scripts/segment bench --config configs/deeplabv3plus_r50-d8_voc12aug_512x512.yaml --iters "$n" --warmup 3 --json "$ours_json" \
  --cfg-options data.root=/nonexistent data.batch_size="$b" "data.train_pipeline.crop_size=[$s,$s]" train.threads="$t" >&2
/usr/bin/python3 - "$ours_json" "$py_json" <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))[0]
py = json.loads(sys.argv[2])
print(f"{'phase':<14} {'segmenter s':>12} {'pytorch s':>10} {'ratio':>7}")
for key in ("forward_s", "backward_s", "optimizer_s", "step_s", "forward_cpu_s", "backward_cpu_s", "optimizer_cpu_s", "step_cpu_s"):
    a, b = ours.get(key), py.get(key)
    if a is not None and b:
        print(f"{key[:-2]:<14} {a:12.4f} {b:10.4f} {a / b:7.3f}")
print(f"segmenter step {ours['step_s']:.4f} s, pytorch step {py['step_s']:.4f} s, ratio {ours['step_s'] / py['step_s']:.3f}")
PY

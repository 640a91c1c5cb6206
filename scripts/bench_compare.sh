#!/usr/bin/env bash
# Train-step time of our DeepLabV3+-R50 against the same network in PyTorch (Debian's python3-torch),
# same batch, input size and threads, random data. Prints both and the ratio (ours / PyTorch; goal <= 1.0).
# Usage: scripts/bench_compare.sh [batch=2] [size=256] [threads=2] [iters=10]
set -euo pipefail
cd "$(dirname "$0")/.."
b=${1:-2}; s=${2:-256}; t=${3:-2}; n=${4:-10}
py=$(/usr/bin/python3 scripts/bench_pytorch.py --batch "$b" --size "$s" --threads "$t" --iters "$n")
echo "pytorch: $py"
ours=$(scripts/segment bench --config configs/deeplabv3plus_r50-d8_voc12aug_512x512.yaml --iters "$n" --warmup 3 \
  --cfg-options data.root=/nonexistent data.batch_size="$b" "data.train_pipeline.crop_size=[$s,$s]" train.threads="$t" | tee /dev/stderr)
ours_step=$(echo "$ours" | awk '$1=="model"{print $4}')
py_step=$(echo "$py" | sed 's/.*"step_s": \([0-9.e-]*\).*/\1/')
echo "segmenter step ${ours_step} s, pytorch step ${py_step} s, ratio $(awk -v a="$ours_step" -v b="$py_step" 'BEGIN{printf "%.3f", a/b}')"

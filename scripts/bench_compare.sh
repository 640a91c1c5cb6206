#!/usr/bin/env bash
# Train-step time of our DeepLabV3+-R50 against the same network in PyTorch (Debian's python3-torch),
# same batch, input size and threads, random data. The two run alternately for several rounds (PyTorch, ours,
# PyTorch, ours, ...) so that drift in the machine's speed touches both alike; prints the means split into
# forward+loss / backward / optimizer, the ratio of the means and the MEDIAN OF THE PER-ROUND RATIOS (ours / PyTorch;
# goal <= 1.0; one slow round on a shared machine moves a mean by up to 2x, the median it does not).
# AMP=bf16 compares bf16 mixed precision: ours with train.amp=bf16, PyTorch with torch.autocast("cpu", torch.bfloat16).
# Usage: [AMP=bf16] scripts/bench_compare.sh [batch=2] [size=256] [threads=2] [iters=10] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
b=${1:-2}; s=${2:-256}; t=${3:-2}; n=${4:-10}; rounds=${5:-3}; amp=${AMP:-none}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$rounds"); do
  /usr/bin/python3 scripts/bench_pytorch.py --batch "$b" --size "$s" --threads "$t" --iters "$n" --amp "$amp" > "$tmp/pytorch_$r.json"
  echo "round $r pytorch: $(cat "$tmp/pytorch_$r.json")"
  scripts/segment bench --config configs/deeplabv3plus_r50-d8_voc12aug_512x512.yaml --iters "$n" --warmup 3 --json "$tmp/ours_$r.json" \
    --cfg-options data.root=/nonexistent data.batch_size="$b" "data.train_pipeline.crop_size=[$s,$s]" train.threads="$t" train.amp="$amp" >&2
done
/usr/bin/python3 - "$tmp" "$rounds" <<'PY'
import json, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
ours = [json.load(open(f"{tmp}/ours_{r}.json"))[0] for r in range(1, rounds + 1)]
py = [json.load(open(f"{tmp}/pytorch_{r}.json")) for r in range(1, rounds + 1)]
mean = lambda runs, key: sum(x[key] for x in runs) / len(runs) if all(x.get(key) is not None for x in runs) else float("nan")
steps = lambda runs: ", ".join("%.3f" % x["step_s"] for x in runs)
print(f"steps per round: ours {steps(ours)}; pytorch {steps(py)}")
print(f"{'phase':<14} {'segmenter s':>12} {'pytorch s':>10} {'ratio':>7}")
for key in ("forward_s", "backward_s", "optimizer_s", "step_s", "forward_cpu_s", "backward_cpu_s", "optimizer_cpu_s", "step_cpu_s"):
    a, b = mean(ours, key), mean(py, key)
    if a == a: print(f"{key[:-2]:<14} {a:12.4f} {b:10.4f} {a / b:7.3f}")   # phases are not split on the mixed-precision path
a, b = mean(ours, "step_s"), mean(py, "step_s")
import statistics
ratios = [o["step_s"] / p["step_s"] for o, p in zip(ours, py)]
print(f"per-round ratios: {', '.join('%.3f' % r for r in ratios)}")
print(f"segmenter step {a:.4f} s, pytorch step {b:.4f} s (means of {rounds} alternating rounds), ratio of means {a / b:.3f}, "
      f"median of per-round ratios {statistics.median(ratios):.3f}")
PY

#!/usr/bin/env bash
# Inference speed of `segment bench --predict` (TorchSharp fp32, bf16 and ONNX Runtime, or the engines named in ENGINES,
# e.g. ENGINES=torch,torch-bf16,onnxruntime) against PyTorch eager (Debian's python3-torch) on DeepLabV3+-R50-D8,
# same input size, batch and threads, random weights and inputs. PyTorch and ours run alternately for several rounds;
# prints each round's images/s and the MEDIAN OF THE PER-ROUND RATIOS (ours / PyTorch; goal >= 1.0 for torch,
# >= 1.3 for onnxruntime), and bf16 / fp32 of ours.
# Usage: scripts/bench_predict_compare.sh [size=512] [threads=2] [iters=10] [rounds=5] [batch=1]
set -euo pipefail
cd "$(dirname "$0")/.."
s=${1:-512}; t=${2:-2}; n=${3:-10}; rounds=${4:-5}; b=${5:-1}
engines=${ENGINES:-torch,torch-bf16,onnxruntime}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$rounds"); do
  /usr/bin/python3 scripts/bench_predict_pytorch.py --size "$s" --threads "$t" --iters "$n" --batch "$b" > "$tmp/pytorch_$r.json"
  scripts/segment bench --predict --config configs/deeplabv3plus_r50-d8_voc12aug_512x512.yaml --size "${s}x${s}" --engines "$engines" \
    --iters "$n" --warmup 2 --batch "$b" --json "$tmp/ours_$r.json" --cfg-options data.root=/nonexistent train.threads="$t" >&2
done
/usr/bin/python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
py = [json.load(open(f"{tmp}/pytorch_{r}.json")) for r in range(1, rounds + 1)]
ours = [{e["engine"]: e for e in json.load(open(f"{tmp}/ours_{r}.json"))} for r in range(1, rounds + 1)]
print("images/s per round: pytorch eager " + ", ".join("%.3f" % p["images_per_s"] for p in py))
for engine in ours[0]:
    ratios = [o[engine]["images_per_s"] / p["images_per_s"] for o, p in zip(ours, py)]
    agree = ours[0][engine]["argmax_agreement"]
    print(f"{engine:<12} " + ", ".join("%.3f" % o[engine]["images_per_s"] for o in ours)
          + f"  -> median ratio to pytorch eager {statistics.median(ratios):.3f}"
          + (f", p50 {statistics.median(o[engine]['p50_ms'] for o in ours):.0f} ms")
          + (f", argmax agreement with fp32 {100 * agree:.3f} %" if agree is not None else ""))
if "torch-bf16" in ours[0]:
    r = [o["torch-bf16"]["images_per_s"] / o["torch"]["images_per_s"] for o in ours]
    print(f"bf16 / fp32 (ours): median {statistics.median(r):.3f} over {rounds} rounds")
PY

#!/usr/bin/env bash
# Training data pipeline on one core: `segment bench --data` against the same steps with PIL + torchvision
# (scripts/bench_data_pil.py) on the same 32 generated VOC-sized JPEGs, alternating for several rounds; prints each
# round and the MEDIAN OF THE PER-ROUND RATIOS (ours / Python images/s per core; goal >= 2).
# Usage: scripts/bench_data_compare.sh [rounds=5] [passes per round=2]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}; passes=${2:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg=(--config configs/deeplabv3plus_r50-d8_voc12aug_512x512.yaml --cfg-options data.root=/nonexistent)
for r in $(seq 1 "$rounds"); do
  scripts/segment bench --data "${cfg[@]}" --data-dir "$tmp/data" --rounds "$passes" --json "$tmp/ours_$r.json" >&2
  /usr/bin/python3 scripts/bench_data_pil.py --dir "$tmp/data" --rounds "$passes" > "$tmp/pil_$r.json"
done
/usr/bin/python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
ours = [json.load(open(f"{tmp}/ours_{r}.json")) for r in range(1, rounds + 1)]
pil = [json.load(open(f"{tmp}/pil_{r}.json")) for r in range(1, rounds + 1)]
for name, runs in (("segmenter", ours), ("PIL+torchvision", pil)):
    print(f"{name:<16} images/s per core " + ", ".join("%.1f" % x["images_per_s_per_core"] for x in runs)
          + "; ms per image (median): decode JPEG %.2f, decode label %.2f, transforms %.2f" % tuple(
              statistics.median(x[k] for x in runs) for k in ("decode_image_ms", "decode_label_ms", "transform_ms")))
    steps = {"rescale_crop_ms": "rescale + crop", "flip_ms": "flip", "photometric_ms": "photometric", "normalize_pad_ms": "normalise + pad"}
    print(" " * 17 + "transforms' steps, ms (median): "
          + ", ".join("%s %.2f" % (name, statistics.median(x[k] for x in runs)) for k, name in steps.items()))
ratios = [o["images_per_s_per_core"] / p["images_per_s_per_core"] for o, p in zip(ours, pil)]
print(f"per-round ratios {', '.join('%.2f' % r for r in ratios)}; median {statistics.median(ratios):.2f} (goal >= 2)")
PY

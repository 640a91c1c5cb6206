#!/usr/bin/python3
"""PyTorch eager peer of `segment bench --predict`: the same DeepLabV3+ as scripts/bench_pytorch.py (torchvision
ResNet with dilation, mmseg's DepthwiseSeparableASPPHead layout) in eval mode under no_grad, the same input size,
batch and threads, the same work per call (logits, bilinear upsampling to the input size, argmax), timed call by call
after warm-up. Prints one JSON line (images/s, p50/p95 latency in ms).

Run with Debian's PyTorch: /usr/bin/python3 scripts/bench_predict_pytorch.py --size 512 --threads 2
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_pytorch import DeepLabV3Plus  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--classes", type=int, default=21)
    ap.add_argument("--depth", type=int, default=50)
    ap.add_argument("--os", type=int, default=8)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = DeepLabV3Plus(args.classes, args.depth, args.os).eval()
    g = torch.Generator().manual_seed(20261202)
    inputs = torch.randn(args.warmup + args.iters, args.batch, 3, args.size, args.size, generator=g)
    times = []
    with torch.no_grad():
        for i in range(args.warmup + args.iters):
            t0 = time.perf_counter()
            logits, _ = model(inputs[i])
            labels = F.interpolate(logits, size=(args.size, args.size), mode="bilinear", align_corners=False).argmax(1)
            labels.sum().item()
            if i >= args.warmup:
                times.append((time.perf_counter() - t0) * 1000)
    s = sorted(times)
    pct = lambda q: s[int(q * (len(s) - 1))] + (q * (len(s) - 1) % 1) * (s[min(len(s) - 1, int(q * (len(s) - 1)) + 1)] - s[int(q * (len(s) - 1))])
    print(json.dumps({"framework": "pytorch " + torch.__version__, "engine": "pytorch-eager", "batch": args.batch,
                      "size": args.size, "threads": args.threads, "iters": args.iters,
                      "images_per_s": args.batch * 1000 / (sum(times) / len(times)), "p50_ms": pct(0.5), "p95_ms": pct(0.95)}))


if __name__ == "__main__":
    main()

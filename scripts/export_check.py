#!/usr/bin/python3
"""Checks that `segment export` output loads into the PyTorch DeepLabV3+ of scripts/bench_pytorch.py with
strict=True (same state-dict names and shapes, BN buffers included) and that PyTorch's eval-mode logits
equal ours. Reads safetensors with the standard library only (no safetensors package needed).

Usage: export_check.py --weights model.safetensors --io io.safetensors --classes 5 --channels 32 --c1 16 --aux 16
  io.safetensors holds "input" [N,3,H,W] and "logits" [N,C,h,w] (our decode-head logits before upsampling).
Prints one JSON line: {"missing": [...], "unexpected": [...], "max_abs_diff": x, "max_abs_ref": y}.
"""
import argparse
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_pytorch import DeepLabV3Plus  # noqa: E402

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        b, e = entry["data_offsets"]
        raw = bytearray(data[8 + n + b:8 + n + e])
        t = torch.frombuffer(raw, dtype=DTYPES[entry["dtype"]]) if raw else torch.empty(0, dtype=DTYPES[entry["dtype"]])
        out[name] = t.reshape(entry["shape"]).clone()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--io", required=True)
    ap.add_argument("--classes", type=int, required=True)
    ap.add_argument("--channels", type=int, default=512)
    ap.add_argument("--c1", type=int, default=48)
    ap.add_argument("--aux", type=int, default=256)
    ap.add_argument("--depth", type=int, default=50)
    ap.add_argument("--os", type=int, default=8)
    ap.add_argument("--rates", default=None, help="ASPP dilations, e.g. 1,6,12,18 (default: by output stride)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rates = [int(r) for r in args.rates.split(",")] if args.rates else None
    model = DeepLabV3Plus(args.classes, args.depth, args.os, args.channels, args.c1, args.aux, rates)
    state = read_safetensors(args.weights)
    result = model.load_state_dict(state, strict=False)
    io = read_safetensors(args.io)
    model.eval()
    with torch.no_grad():
        logits, _ = model(io["input"])
    ref = io["logits"]
    print(json.dumps({"missing": list(result.missing_keys), "unexpected": list(result.unexpected_keys),
                      "max_abs_diff": float((logits - ref).abs().max()), "max_abs_ref": float(ref.abs().max())}))


if __name__ == "__main__":
    main()

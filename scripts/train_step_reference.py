#!/usr/bin/python3
"""PyTorch reference for K training steps of DeepLabV3+ as MMSegmentation trains it: the model of
scripts/bench_pytorch.py (torchvision ResNet with dilation, mmseg DepthwiseSeparableASPPHead names, FCN auxiliary head),
the decode and auxiliary logits resized to the label size (bilinear, align_corners False), MMSegmentation's
cross-entropy reduction (mmseg/models/losses/cross_entropy_loss.py: per-pixel F.cross_entropy with the class weights
and reduction 'none', then the mean over all pixels, or the sum over (non-ignored count + float32 eps) with
avg_non_ignore), each head's loss times its loss_weight, torch.optim.SGD, and the learning rate of the chosen schedule
semantics: mmcv 1.x's PolyLrUpdaterHook with linear warm-up (MMSegmentation 0.x), or mmengine's LinearLR + PolyLR
param schedulers stepped as its ParamSchedulerHook steps them (MMSegmentation 1.x). Our own code, written from those
references; it runs the steps twice, in float32 and in float64, so a caller can measure float32 noise.

Usage: train_step_reference.py --case case.json --weights init.safetensors --batch batch.safetensors --out DIR
  case.json: {"num_classes", "depth", "os", "channels", "c1_channels", "aux_channels", "dilations", "steps",
              "loss": {"avg_non_ignore", "torch_weighted_mean", "class_weight", "ignore_index", "decode_weight", "aux_weight"},
              "optimizer": {"lr", "momentum", "weight_decay"},
              "schedule": {"semantics", "max_iters", "warmup_iters", "warmup_ratio", "power", "min_lr"}}
  batch.safetensors: "images" float32 [N,3,H,W], "labels" int64 [N,H,W].
Writes DIR/result.json ({"float32": {"loss": [...], "lr": [...]}, "float64": {...}}) and DIR/weights_float32.safetensors,
DIR/weights_float64.safetensors (the state dict after the last step).
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_pytorch import DeepLabV3Plus  # noqa: E402
from export_check import read_safetensors  # noqa: E402

FLOAT32_EPS = torch.finfo(torch.float32).eps
ST_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def mmseg_cross_entropy(logits, labels, loss_cfg, dtype):
    """MMSegmentation's CrossEntropyLoss.forward for one head (or PyTorch's weighted mean with torch_weighted_mean)."""
    cw = loss_cfg.get("class_weight")
    weight = None if cw is None else torch.tensor(cw, dtype=dtype)
    ignore = loss_cfg.get("ignore_index", 255)
    if loss_cfg.get("torch_weighted_mean"):
        return F.cross_entropy(logits, labels, weight=weight, ignore_index=ignore, reduction="mean")
    per_pixel = F.cross_entropy(logits, labels, weight=weight, ignore_index=ignore, reduction="none")
    if loss_cfg.get("avg_non_ignore"):
        avg_factor = labels.numel() - (labels == ignore).sum().item()
        return per_pixel.sum() / (avg_factor + FLOAT32_EPS)
    return per_pixel.mean()


def mmcv_lr(base_lr, it, s):
    """mmcv PolyLrUpdaterHook.get_lr, then LrUpdaterHook.get_warmup_lr ('linear') while it < warmup_iters."""
    coeff = (1 - it / s["max_iters"]) ** s["power"]
    lr = (base_lr - s["min_lr"]) * coeff + s["min_lr"]
    if s["warmup_iters"] > 0 and it < s["warmup_iters"]:
        k = (1 - it / s["warmup_iters"]) * (1 - s["warmup_ratio"])
        lr = lr * (1 - k)
    return lr


class MmengineSchedulers:
    """mmengine's [LinearLR(start_factor, begin=0, end=W), PolyLR(eta_min, power, begin=W, end=T)] on one group's lr.
    Each scheduler steps once when built and once after every iteration; inside [begin, end) it advances last_step and
    replaces the lr with its chainable _get_value of the current lr."""

    def __init__(self, base_lr, s):
        self.lr = base_lr
        self.global_step = -1
        self.schedulers = []
        w, t = s["warmup_iters"], s["max_iters"]
        if w > 0:
            self.schedulers.append(dict(kind="linear", begin=0, end=w, total=w - 1, last=-1, start=s["warmup_ratio"], endf=1.0))
        self.schedulers.append(dict(kind="poly", begin=w, end=t, total=t - w - 1, last=-1, eta=s["min_lr"], power=s["power"]))
        self.step()

    def step(self):
        self.global_step += 1
        for sc in self.schedulers:
            if sc["begin"] <= self.global_step < sc["end"]:
                sc["last"] += 1
                k = sc["last"]
                if sc["kind"] == "linear":
                    if k == 0:
                        self.lr = self.lr * sc["start"]
                    else:
                        d = sc["endf"] - sc["start"]
                        self.lr = self.lr * (1.0 + d / (sc["total"] * sc["start"] + (k - 1) * d))
                elif k != 0:
                    self.lr = (self.lr - sc["eta"]) * (1 - 1 / (sc["total"] - k + 1)) ** sc["power"] + sc["eta"]


def run(case, weights, batch, dtype):
    torch.manual_seed(0)
    model = DeepLabV3Plus(case["num_classes"], case["depth"], case["os"], case["channels"], case["c1_channels"],
                          case["aux_channels"], case["dilations"])
    model.decode_head.dropout.p = 0.0
    model.auxiliary_head.dropout.p = 0.0
    result = model.load_state_dict(weights, strict=True)
    assert not result.missing_keys and not result.unexpected_keys, result
    model = model.to(dtype).train()
    images = batch["images"].to(dtype)
    labels = batch["labels"].long()
    o, s, lc = case["optimizer"], case["schedule"], case["loss"]
    opt = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o["momentum"], weight_decay=o["weight_decay"])
    engine = MmengineSchedulers(o["lr"], s) if s["semantics"] == "mmengine" else None
    losses, lrs = [], []
    for it in range(case["steps"]):
        lr = engine.lr if engine else mmcv_lr(o["lr"], it, s)
        for g in opt.param_groups:
            g["lr"] = lr
        decode, aux = model(images)
        size = labels.shape[1:]
        decode = F.interpolate(decode, size=size, mode="bilinear", align_corners=False)
        aux = F.interpolate(aux, size=size, mode="bilinear", align_corners=False)
        loss = (mmseg_cross_entropy(decode, labels, lc, dtype) * lc["decode_weight"]
                + mmseg_cross_entropy(aux, labels, lc, dtype) * lc["aux_weight"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if engine:
            engine.step()
        losses.append(loss.item())
        lrs.append(lr)
    return {"loss": losses, "lr": lrs}, model.state_dict()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--batch", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.case) as f:
        case = json.load(f)
    weights = read_safetensors(args.weights)
    batch = read_safetensors(args.batch)
    out = {}
    for name, dtype in (("float32", torch.float32), ("float64", torch.float64)):
        out[name], state = run(case, weights, batch, dtype)
        write_safetensors(os.path.join(args.out, f"weights_{name}.safetensors"), state)
    with open(os.path.join(args.out, "result.json"), "w") as f:
        json.dump(out, f)
    print(json.dumps({k: v["loss"] for k, v in out.items()}))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch peer of `segment bench`: the same DeepLabV3+ (torchvision ResNet-50 with dilation, the mmseg
DepthwiseSeparableASPPHead layout, FCN auxiliary head), the same input size, threads, loss and SGD step,
timed the same way (mean over timed iterations after warm-up). Prints one JSON line.

Run with Debian's PyTorch: /usr/bin/python3 scripts/bench_pytorch.py --batch 2 --size 256 --threads 2
"""
import argparse
import contextlib
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class ConvModule(nn.Module):
    def __init__(self, cin, cout, k, dilation=1, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=dilation * (k // 2), dilation=dilation, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class SepConv(nn.Module):
    def __init__(self, cin, cout, dilation=1):
        super().__init__()
        self.depthwise_conv = ConvModule(cin, cin, 3, dilation, groups=cin)
        self.pointwise_conv = ConvModule(cin, cout, 1)

    def forward(self, x):
        return self.pointwise_conv(self.depthwise_conv(x))


class DeepLabV3PlusHead(nn.Module):
    def __init__(self, cin, c1_in, channels, c1_channels, dilations, num_classes):
        super().__init__()
        self.image_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), ConvModule(cin, channels, 1))
        self.aspp_modules = nn.ModuleList(
            [ConvModule(cin, channels, 1) if d == 1 else SepConv(cin, channels, d) for d in dilations])
        self.bottleneck = ConvModule((len(dilations) + 1) * channels, channels, 3)
        self.c1_bottleneck = ConvModule(c1_in, c1_channels, 1)
        self.sep_bottleneck = nn.Sequential(SepConv(channels + c1_channels, channels), SepConv(channels, channels))
        self.dropout = nn.Dropout2d(0.1)
        self.conv_seg = nn.Conv2d(channels, num_classes, 1)

    def forward(self, c1, x):
        pool = F.interpolate(self.image_pool(x), size=x.shape[2:], mode="bilinear", align_corners=False)
        out = self.bottleneck(torch.cat([pool] + [m(x) for m in self.aspp_modules], 1))
        low = self.c1_bottleneck(c1)
        out = F.interpolate(out, size=low.shape[2:], mode="bilinear", align_corners=False)
        out = self.sep_bottleneck(torch.cat([out, low], 1))
        return self.conv_seg(self.dropout(out))


class FCNHead(nn.Module):
    def __init__(self, cin, channels, num_classes):
        super().__init__()
        self.convs = nn.Sequential(ConvModule(cin, channels, 3))
        self.dropout = nn.Dropout2d(0.1)
        self.conv_seg = nn.Conv2d(channels, num_classes, 1)

    def forward(self, x):
        return self.conv_seg(self.dropout(self.convs(x)))


class DeepLabV3Plus(nn.Module):
    def __init__(self, num_classes, depth, os, channels=512, c1_channels=48, aux_channels=256, rates=None):
        super().__init__()
        dil = [False, True, True] if os == 8 else [False, False, True]
        make = torchvision.models.resnet50 if depth == 50 else torchvision.models.resnet101
        self.backbone = make(replace_stride_with_dilation=dil)
        del self.backbone.fc
        rates = rates or ([1, 12, 24, 36] if os == 8 else [1, 6, 12, 18])
        self.decode_head = DeepLabV3PlusHead(2048, 256, channels, c1_channels, rates, num_classes)
        self.auxiliary_head = FCNHead(1024, aux_channels, num_classes)

    def forward(self, x):
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(x))))
        c1 = b.layer1(x)
        c3 = b.layer3(b.layer2(c1))
        c4 = b.layer4(c3)
        return self.decode_head(c1, c4), self.auxiliary_head(c3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--classes", type=int, default=21)
    ap.add_argument("--depth", type=int, default=50)
    ap.add_argument("--os", type=int, default=8)
    ap.add_argument("--amp", choices=["none", "bf16"], default="none",
                    help="bf16: forward and loss under torch.autocast('cpu', torch.bfloat16), fp32 weights and optimizer")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = DeepLabV3Plus(args.classes, args.depth, args.os).train()
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.amp == "bf16" else contextlib.nullcontext
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    g = torch.Generator().manual_seed(42)
    images = torch.randn(args.batch, 3, args.size, args.size, generator=g)
    labels = torch.randint(0, args.classes, (args.batch, args.size, args.size), generator=g)

    times, phases = [], {k: 0.0 for k in ("forward_s", "backward_s", "optimizer_s", "step_cpu_s", "forward_cpu_s", "backward_cpu_s", "optimizer_cpu_s")}
    for i in range(args.warmup + args.iters):
        t0, c0 = time.perf_counter(), time.process_time()
        with autocast():
            out, aux = model(images)
            out = F.interpolate(out, size=labels.shape[1:], mode="bilinear", align_corners=False)
            aux = F.interpolate(aux, size=labels.shape[1:], mode="bilinear", align_corners=False)
            loss = F.cross_entropy(out, labels, ignore_index=255) + 0.4 * F.cross_entropy(aux, labels, ignore_index=255)
        t1, c1 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        loss.backward()
        t2, c2 = time.perf_counter(), time.process_time()
        opt.step()
        loss.item()
        t3, c3 = time.perf_counter(), time.process_time()
        if i >= args.warmup:
            times.append(t3 - t0)
            phases["forward_s"] += (t1 - t0) / args.iters
            phases["backward_s"] += (t2 - t1) / args.iters
            phases["optimizer_s"] += (t3 - t2) / args.iters
            phases["step_cpu_s"] += (c3 - c0) / args.iters
            phases["forward_cpu_s"] += (c1 - c0) / args.iters
            phases["backward_cpu_s"] += (c2 - c1) / args.iters
            phases["optimizer_cpu_s"] += (c3 - c2) / args.iters
    step = sum(times) / len(times)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"framework": "pytorch " + torch.__version__, "amp": args.amp, "batch": args.batch, "size": args.size,
                      "threads": args.threads, "step_s": step, **phases, "images_per_s": args.batch / step,
                      "peak_rss_mb": round(peak_mb), "params": sum(p.numel() for p in model.parameters())}))


if __name__ == "__main__":
    main()

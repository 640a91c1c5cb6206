#!/usr/bin/python3
"""Python peer of `segment bench --data`: the same training-pipeline steps on the same files, one core, with PIL and
torchvision transforms as a PyTorch user would write them (MMSegmentation's pipeline uses OpenCV/mmcv, which Debian
does not ship): decode the JPEG and the palette PNG, random keep-ratio rescale into (2048, 512) x [0.5, 2.0], random
crop 512x512 with cat_max_ratio 0.75 (up to 10 tries), horizontal flip, photometric distortion (torchvision
ColorJitter(32/255 brightness, 0.5 contrast, 0.5 saturation, 18/360 hue), close to mmseg's PhotoMetricDistortion),
to tensor + normalise, pad to the crop size. Prints one JSON line with images/s and milliseconds per step.

/usr/bin/python3 scripts/bench_data_pil.py --dir DIR   (DIR from `segment bench --data --data-dir DIR`)
"""
import argparse
import glob
import json
import os
import random
import time

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

STEPS = ("rescale_crop_ms", "flip_ms", "photometric_ms", "normalize_pad_ms")  # as `segment bench --data --json`
MEAN, STD = [123.675 / 255, 116.28 / 255, 103.53 / 255], [58.395 / 255, 57.12 / 255, 57.375 / 255]


def pipeline(img, label, rng, jitter, steps, crop=512, scale=(2048, 512), ratio=(0.5, 2.0), cat_max_ratio=0.75, ignore=255):
    t0 = time.perf_counter()
    r = rng.uniform(*ratio)
    long_edge, short_edge = int(max(scale) * r), int(min(scale) * r)
    w, h = img.size
    f = min(long_edge / max(h, w), short_edge / min(h, w))
    nw, nh = int(w * f + 0.5), int(h * f + 0.5)
    img = img.resize((nw, nh), Image.BILINEAR)
    label = label.resize((nw, nh), Image.NEAREST)
    lab = np.asarray(label)
    ch, cw = min(crop, nh), min(crop, nw)
    for _ in range(10):
        y, x = rng.randint(0, nh - ch), rng.randint(0, nw - cw)
        cnt = np.bincount(lab[y:y + ch, x:x + cw].ravel(), minlength=256)[:ignore]
        cnt = cnt[cnt > 0]
        if len(cnt) > 1 and cnt.max() / cnt.sum() < cat_max_ratio:
            break
    img = img.crop((x, y, x + cw, y + ch))
    lab = lab[y:y + ch, x:x + cw]
    t1 = time.perf_counter()
    if rng.random() < 0.5:
        img = TF.hflip(img)
        lab = lab[:, ::-1]
    t2 = time.perf_counter()
    img = jitter(img)
    t3 = time.perf_counter()
    t = TF.normalize(TF.to_tensor(img), MEAN, STD)
    t = torch.nn.functional.pad(t, (0, crop - cw, 0, crop - ch))
    lab = torch.from_numpy(np.pad(lab, ((0, crop - ch), (0, crop - cw)), constant_values=ignore).copy())
    t4 = time.perf_counter()
    for key, dt in zip(STEPS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
        steps[key] += dt
    return t, lab


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    images = sorted(glob.glob(os.path.join(args.dir, "images", "*.jpg")))
    jitter = T.ColorJitter(brightness=32 / 255, contrast=0.5, saturation=0.5, hue=18 / 360)
    rng = random.Random(0)
    steps = dict.fromkeys(STEPS, 0.0)
    for p in images[:2]:
        pipeline(Image.open(p).convert("RGB"), Image.open(p.replace("images", "labels")[:-4] + ".png"), rng, jitter, steps)
    steps = dict.fromkeys(STEPS, 0.0)
    dec_img = dec_lab = trans = 0.0
    n = 0
    for _ in range(args.rounds):
        for p in images:
            t0 = time.perf_counter()
            img = Image.open(p).convert("RGB")
            img.load()
            t1 = time.perf_counter()
            label = Image.open(os.path.join(args.dir, "labels", os.path.basename(p)[:-4] + ".png"))
            label.load()
            t2 = time.perf_counter()
            pipeline(img, label, rng, jitter, steps)
            t3 = time.perf_counter()
            dec_img += t1 - t0; dec_lab += t2 - t1; trans += t3 - t2; n += 1
    total = (dec_img + dec_lab + trans) / n
    print(json.dumps({"framework": "PIL + torchvision " + torch.__version__, "images": n, "images_per_s_per_core": 1 / total,
                      "decode_image_ms": 1000 * dec_img / n, "decode_label_ms": 1000 * dec_lab / n, "transform_ms": 1000 * trans / n,
                      **{key: 1000 * v / n for key, v in steps.items()}}))


if __name__ == "__main__":
    main()

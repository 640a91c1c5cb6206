#!/usr/bin/python3
"""Writes checkpoints in the layouts people actually have, from the weights of a safetensors file, with Debian's
PyTorch (/usr/bin/python3, torch 1.13, numpy): MMSegmentation 0.x (mmcv runner) and 1.x (mmengine runner) training
checkpoints, torchvision-style `torch.save(model.state_dict())` and DataParallel-wrapped files, the same at pickle
protocols 2 (torch.save's default), 4 and 5, one with numpy 2's `numpy._core` spellings, and hostile ones that hide a
code-running global in `meta` or `message_hub`. Run by ZooCheckpointTests; prints a JSON manifest on its last line.

    make_mmseg_checkpoints.py --weights model.safetensors --out DIR

The layouts follow mmcv 1.x `runner/checkpoint.py` save_checkpoint (meta with CLASSES, PALETTE, config text,
hook_msgs; state_dict; optimizer) and mmengine `runner/runner.py` save_checkpoint (meta with dataset_meta, cfg;
state_dict; optimizer; message_hub with HistoryBuffer objects; param_schedulers). mmengine is not installed: stand-in
classes are defined at its module paths (a package written to a temp dir on sys.path), so the pickles name the same
globals as real files.
"""
import argparse
import collections
import functools
import json
import os
import struct
import sys
import tempfile
import zipfile

import numpy as np
import torch

CONFIG_TEXT = """norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(type='EncoderDecoder', backbone=dict(type='ResNetV1c', depth=18), decode_head=dict(type='DepthwiseSeparableASPPHead'))
"""

STAND_INS = {
    "mmengine/__init__.py": "",
    "mmengine/logging/__init__.py": "",
    "mmengine/logging/history_buffer.py": '''
import numpy as np
class HistoryBuffer:
    """Stand-in of mmengine.logging.history_buffer.HistoryBuffer: the same instance attributes."""
    def __init__(self, log_history=(), count_history=(), max_length=1000000):
        self.max_length = max_length
        self._log_history = np.array(log_history)
        self._count_history = np.array(count_history)
''',
    "mmengine/config/__init__.py": "",
    "mmengine/config/config.py": '''
class ConfigDict(dict):
    """Stand-in of mmengine.config.config.ConfigDict (an addict.Dict, itself a dict)."""
''',
}

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    """The tensors of a safetensors file, in file order (a small reader: 8-byte header length, JSON header, data)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = collections.OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def optimizer_state(state_dict):
    """An SGD (momentum 0.9) state_dict with momentum buffers, over the decode head's float parameters (kept small)."""
    params = [torch.nn.Parameter(t.clone()) for k, t in state_dict.items() if "decode_head." in k and t.is_floating_point()
              and not k.endswith(("running_mean", "running_var"))]
    sgd = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=0.0005)
    for p in params:
        p.grad = torch.full_like(p, 0.01)
    sgd.step()
    return sgd.state_dict()


def wrapped(state_dict):
    return collections.OrderedDict(("module." + k, v) for k, v in state_dict.items())


def subset(state_dict, n=10):
    """The first n tensors and the decode head's classifier: enough for the files that are only read, not run."""
    return collections.OrderedDict([kv for i, kv in enumerate(state_dict.items()) if i < n or "conv_seg" in kv[0]])


def mmseg0x(state_dict, classes, palette):
    return {
        "meta": {
            "env_info": "sys.platform: linux\nPython: 3.8.16\nCUDA available: True",
            "config": CONFIG_TEXT,
            "seed": np.int64(1234),
            "exp_name": "deeplabv3plus_r18-d8_512x512_20k_voc12aug.py",
            "mmseg_version": "0.30.0+5bd5f8c",
            "CLASSES": tuple(classes),
            "PALETTE": np.array(palette, dtype=np.int64),  # custom classes get a numpy palette (CustomDataset.get_palette_for_custom_classes)
            "hook_msgs": {"last_ckpt": "work_dirs/x/iter_100.pth", "best_score": np.float64(0.5), "best_ckpt": "work_dirs/x/best_mIoU_iter_100.pth"},
            "epoch": 1,
            "iter": 100,
            "mmcv_version": "1.7.1",
            "time": "Mon Jan  1 00:00:00 2024",
        },
        "state_dict": state_dict,
        "optimizer": optimizer_state(state_dict),
    }


def mmseg1x(state_dict, classes, palette):
    from mmengine.config.config import ConfigDict
    from mmengine.logging.history_buffer import HistoryBuffer

    dataset_meta = {"classes": tuple(classes), "palette": [list(c) for c in palette]}
    return {
        "meta": {
            "cfg": CONFIG_TEXT,
            "seed": 1234,
            "experiment_name": "deeplabv3plus_r18-d8_4xb4-20k_voc12aug-512x512_20240101_000000",
            "time": "20240101_000000",
            "mmengine_version": "0.10.3",
            "dataset_meta": dataset_meta,
            "epoch": 0,
            "iter": 100,
        },
        "state_dict": state_dict,
        "optimizer": optimizer_state(state_dict),
        "message_hub": {
            "log_scalars": {
                "train/lr": HistoryBuffer([0.01, 0.0099], [1, 1]),
                "train/loss": HistoryBuffer(np.array([2.5, 2.25], dtype=np.float32), [1, 1]),
                "train/time": HistoryBuffer(np.float64([0.31, 0.29]), np.int64([1, 1])),
            },
            "runtime_info": {"epoch": 0, "iter": 100, "max_iters": np.int64(20000), "dataset_meta": dataset_meta,
                             "cfg": ConfigDict(type="EncoderDecoder", pretrained=None)},
            "resumed_keys": {"epoch": False, "iter": False, "dataset_meta": True},
        },
        "param_schedulers": [{"eta_min": 0.0001, "power": 0.9, "begin": 0, "end": 20000, "last_step": 100, "_get_lr_called_within_step": False}],
    }


class RunsOsSystem:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class RunsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('echo pwned')",))


class RunsPartial:
    def __reduce__(self):
        return (functools.partial(print, "pwned"), ())


def numpy2_spellings(path):
    """Rewrites a protocol-2 torch.save file's data.pkl with numpy 2's module names (GLOBAL lines end in a newline, so no length changes matter)."""
    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            if name.endswith("/data.pkl"):
                assert b"numpy.core.multiarray\n" in data
                data = data.replace(b"numpy.core.multiarray\n", b"numpy._core.multiarray\n")
            z.writestr(name, data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    stand_ins = tempfile.mkdtemp()
    for rel, text in STAND_INS.items():
        os.makedirs(os.path.dirname(os.path.join(stand_ins, rel)), exist_ok=True)
        with open(os.path.join(stand_ins, rel), "w") as f:
            f.write(text)
    sys.path.insert(0, stand_ins)

    sd = read_safetensors(args.weights)
    n = sd["decode_head.conv_seg.bias"].shape[0]
    classes = ["zoo_%02d" % i for i in range(n)]
    palette = [[(i * 37) % 256, (i * 91 + 7) % 256, (255 - i * 11) % 256] for i in range(n)]
    out = args.out
    os.makedirs(out, exist_ok=True)
    files = {}

    def save(name, obj, protocol=2):
        path = os.path.join(out, name)
        torch.save(obj, path, pickle_protocol=protocol)
        files[name] = path
        return path

    save("mmseg0x.pth", mmseg0x(sd, classes, palette))
    save("mmseg1x_dataparallel.pth", mmseg1x(wrapped(sd), classes, palette))
    save("mmseg1x_p4.pth", mmseg1x(subset(sd), classes, palette), protocol=4)
    save("mmseg1x_p5.pth", mmseg1x(wrapped(subset(sd)), classes, palette), protocol=5)
    save("mmseg0x_p5.pth", mmseg0x(subset(sd), classes, palette), protocol=5)
    numpy2_spellings(save("mmseg0x_numpy2.pth", mmseg0x(subset(sd), classes, palette)))
    save("torchvision.pth", sd)
    save("dataparallel.pth", wrapped(sd))

    evil = mmseg0x(subset(sd), classes, palette)
    evil["meta"]["hook_msgs"]["after_run"] = RunsOsSystem()
    save("evil_os_system.pth", evil)
    evil = mmseg0x(subset(sd), classes, palette)
    evil["meta"]["env_info"] = RunsEval()
    save("evil_eval.pth", evil)
    evil = mmseg0x(subset(sd), classes, palette)
    evil["meta"]["exp_name"] = RunsPartial()
    save("evil_partial.pth", evil, protocol=4)
    evil = mmseg1x(subset(sd), classes, palette)
    evil["message_hub"]["log_scalars"]["train/loss"].max_length = RunsOsSystem()
    save("evil_in_message_hub.pth", evil)
    numpy_value = mmseg0x(subset(sd), classes, palette)
    numpy_value["state_dict"] = collections.OrderedDict(subset(sd))
    numpy_value["state_dict"]["decode_head.conv_seg.bias"] = sd["decode_head.conv_seg.bias"].numpy()
    save("numpy_in_state_dict.pth", numpy_value)

    print(json.dumps({"classes": classes, "palette": palette, "subset": list(subset(sd).keys()), "files": files}))


if __name__ == "__main__":
    main()

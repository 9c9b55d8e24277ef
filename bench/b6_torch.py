#!/usr/bin/python3
"""Benchmark B6's PyTorch peer: the network of a trained dlc detection run
(configs/shapes_yolo.yaml: conv2d, batchnorm, activations, max pooling),
rebuilt in torch from the run's model.safetensors (the same weights, the
same input normalization), on one image.

  --mode process  what `dlc predict RUN IMAGE` does, in a fresh process:
                  import torch, build the net, load the weights, read the PNG,
                  forward, decode the YOLO grid, per-class NMS, print the boxes
                  (time the whole process from outside)
  --mode warm     the forward pass alone, repeated after a warm-up in one
                  process: one JSON line with the median ms

Run with Debian's python3-torch and python3-torchvision:
  /usr/bin/python3 bench/b6_torch.py RUN IMAGE --mode warm --threads 1
"""
import argparse
import json
import re
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.ops import batched_nms


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        a, b = t["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).copy()).reshape(t["shape"])
    return tensors, meta


def layers_of(config):
    """The model's layers from the resolved config dlc stores: [{key: value}]."""
    layers, cur, inside = [], None, False
    for line in config.splitlines():
        if line.startswith("  layers:"):
            inside = True
            continue
        if inside and not line.startswith("    "):
            break
        m = re.match(r"    - name: (\S+)", line)
        if inside and m:
            cur = {"name": m.group(1)}
            layers.append(cur)
        m = re.match(r"      (\w+): (.*)", line)
        if inside and cur is not None and m:
            cur[m.group(1)] = m.group(2).strip()
    return layers


def build(config, t):
    mods, act = [], {"relu": nn.ReLU(), "linear": None}
    for l in layers_of(config):
        kind, name = l["type"], l["name"]
        if kind == "conv2d":
            w = t[name + ".weight"]
            k, s = int(l["kernel"]), int(l["stride"])
            pad = k // 2 if l["padding"] == "same" else 0 if l["padding"] == "valid" else int(l["padding"])
            c = nn.Conv2d(w.shape[1], w.shape[0], k, s, pad, bias=name + ".bias" in t)
            c.weight.data.copy_(w)
            if c.bias is not None:
                c.bias.data.copy_(t[name + ".bias"])
            mods.append(c)
        elif kind == "batchnorm":
            b = nn.BatchNorm2d(t[name + ".gamma"].shape[0], eps=float(l["eps"]))
            b.weight.data.copy_(t[name + ".gamma"])
            b.bias.data.copy_(t[name + ".beta"])
            b.running_mean.copy_(t[name + ".running_mean"])
            b.running_var.copy_(t[name + ".running_var"])
            mods.append(b)
        elif kind == "maxpool":
            mods.append(nn.MaxPool2d(int(l["kernel"]), int(l["stride"])))
        elif kind == "activation":
            pass
        else:
            sys.exit("b6_torch: layer type %s is not rebuilt here" % kind)
        if act.get(l.get("activation", "linear")) is not None:
            mods.append(act[l["activation"]])
    return nn.Sequential(*mods).eval()


def anchors_of(config):
    m = re.search(r"anchors: (\[\[.*\]\])", config)
    return json.loads(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("image")
    ap.add_argument("--mode", choices=["process", "warm"], default="process")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--score", type=float, default=0.6)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t, meta = read_safetensors(a.run + "/model.safetensors")
    config = meta["config"]
    net = build(config, t)
    shift, scale = t.pop("norm.shift"), t.pop("norm.scale")
    img = torchvision.io.read_image(a.image, torchvision.io.ImageReadMode.RGB).float()
    x = ((img.reshape(-1) - shift) * scale).reshape(1, *img.shape)
    with torch.no_grad():
        if a.mode == "warm":
            for _ in range(10):
                net(x)
            ms = []
            for _ in range(a.reps):
                t0 = time.perf_counter()
                net(x)
                ms.append(1000 * (time.perf_counter() - t0))
            ms.sort()
            print(json.dumps({"benchmark": "b6_forward_torch", "threads": a.threads, "reps": a.reps,
                              "median_ms": ms[len(ms) // 2], "min_ms": ms[0]}))
            return
        z = net(x)[0]  # (A (5 + C), S, S)
    # decode as dlc does: p_c, x, y, w, h, classes per anchor
    anchors = torch.tensor(anchors_of(config))
    A, S = len(anchors), z.shape[1]
    z = z.reshape(A, -1, S, S)
    C = z.shape[1] - 5
    p = torch.sigmoid(z[:, 0])
    j = torch.arange(S).view(1, 1, S)
    i = torch.arange(S).view(1, S, 1)
    cx = (j + torch.sigmoid(z[:, 1])) / S
    cy = (i + torch.sigmoid(z[:, 2])) / S
    w = anchors[:, 0].view(A, 1, 1) * torch.exp(z[:, 3].clamp(max=10))
    h = anchors[:, 1].view(A, 1, 1) * torch.exp(z[:, 4].clamp(max=10))
    prob, cls = torch.softmax(z[:, 5:], dim=1).max(dim=1)
    score = (p * prob).reshape(-1)
    boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1).reshape(-1, 4).clamp(0, 1)
    keep = score >= a.score
    boxes, score, cls = boxes[keep], score[keep], cls.reshape(-1)[keep]
    kept = batched_nms(boxes, score, cls, 0.5)
    H, W = img.shape[1:]
    for k in kept.tolist():
        b = boxes[k] * torch.tensor([W, H, W, H])
        print("%s: %d %.4f %.1f %.1f %.1f %.1f" % (a.image, cls[k], score[k], *b.tolist()))
    del C


if __name__ == "__main__":
    main()

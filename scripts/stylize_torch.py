#!/usr/bin/python3
"""The style transfer problem `dlc stylize --export FILE` wrote, solved in
PyTorch: the same network and weights, the same images, normalization,
costs, starting image and optimizer settings; prints the costs as it goes,
the final J and the time per step.  A check on dlc and a peer for benchmark
B7 (ms per step), not a dependency of dlc.

    dlc stylize configs/stylize_random.yaml --content C.jpg --style S.jpg \\
        --out g.png --size 128 --steps 200 --export problem.safetensors
    /usr/bin/python3 scripts/stylize_torch.py problem.safetensors --out g_torch.png

Costs, as dlc computes them (src/loss/loss.c):
  J_content = 1/2 ||a(C) - a(G)||^2 on the content layer,
  J_style   = sum_l w_l 1/4 ||gram_l(S) - gram_l(G)||^2, gram = F F^T / (C H W)
              (the notes' 1/(2 nH nW nC)^2 ||F F^T (S) - F F^T (G)||^2),
  TV        = sum of squared differences of neighbouring values of G,
  J = alpha J_content + beta J_style + tv TV, with G in the network's input
  units; Adam keeps G within the pixel range 0..255 after each step.
Needs Debian's python3-torch (1.13); python3-pil only for --out.
"""
import argparse
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(raw[base + a:base + b]), dtype=torch.float32)
        tensors[name] = t.reshape(info["shape"]) if info["shape"] else t
    return tensors, meta


def window(v, nd=2):
    return list(v) * nd if len(v) == 1 else list(v)


def same_pads(n, k, s):
    """dlc's `same`: output ceil(n / s); an even kernel pads one more after."""
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def pad_of(x, layer):
    """F.pad's (left, right, top, bottom) for a layer's padding."""
    k, s = window(layer["kernel"]), window(layer["stride"])
    if layer["padding"] == "valid":
        return (0, 0, 0, 0)
    if layer["padding"] == "explicit":
        p = window(layer["pad"])
        return (p[1], p[1], p[0], p[0])
    top, bottom = same_pads(x.shape[2], k[0], s[0])
    left, right = same_pads(x.shape[3], k[1], s[1])
    return (left, right, top, bottom)


def activation(x, layer):
    a, alpha = layer["activation"], layer["alpha"]
    if a == "linear":
        return x
    if a == "relu":
        return F.relu(x)
    if a == "leaky_relu":
        return F.leaky_relu(x, alpha)
    if a == "elu":
        return F.elu(x, alpha)
    if a == "tanh":
        return torch.tanh(x)
    if a == "sigmoid":
        return torch.sigmoid(x)
    raise SystemExit("activation %s: not supported by this script" % a)


def gram(f):
    n, c, h, w = f.shape
    f = f.reshape(n, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def forward(layers, params, x):
    """Every layer's output, by name, for input x (1, 3, H, W)."""
    out = {"input": x}
    for L in layers:
        xs = [out[i] for i in L["inputs"]]
        t = L["type"]
        if t == "conv2d":
            y = F.pad(xs[0], pad_of(xs[0], L))
            y = F.conv2d(y, params[L["name"] + ".weight"], params.get(L["name"] + ".bias"),
                         stride=window(L["stride"]))
        elif t in ("maxpool", "avgpool"):
            y = F.pad(xs[0], pad_of(xs[0], L))
            pool = F.max_pool2d if t == "maxpool" else F.avg_pool2d
            y = pool(y, window(L["kernel"]), window(L["stride"]))
        elif t == "gram":
            y = gram(xs[0])
        elif t == "activation":
            y = xs[0]
        else:
            raise SystemExit("layer type %s: not supported by this script" % t)
        out[L["name"]] = activation(y, L)
    return out


class Problem:
    def __init__(self, path):
        self.t, meta = read_safetensors(path)
        if meta.get("format") != "dlc-stylize-1":
            raise SystemExit("%s: not a problem written by dlc stylize --export" % path)
        self.layers = json.loads(meta["layers"])
        self.costs = json.loads(meta["costs"])
        self.shift = self.t["norm.shift"].reshape(1, 3, 1, 1)
        self.scale = self.t["norm.scale"].reshape(1, 3, 1, 1)
        c = self.costs
        self.style = [(s["layer"] + ":gram", s["weight"]) for s in c["style"]]
        with torch.no_grad():
            self.target_c = forward(self.layers, self.t, self.norm(self.t["content"]))[c["content"]]
            outs = forward(self.layers, self.t, self.norm(self.t["style"]))
            self.target_s = [outs[name] for name, _ in self.style]
        self.lo = (0 - self.shift) * self.scale
        self.hi = (255 - self.shift) * self.scale

    def norm(self, px):
        return (px.unsqueeze(0) - self.shift) * self.scale

    def costs_of(self, g):
        c = self.costs
        outs = forward(self.layers, self.t, g)
        jc = 0.5 * ((outs[c["content"]] - self.target_c) ** 2).sum()
        js = sum(w * 0.25 * ((outs[name] - t) ** 2).sum()
                 for (name, w), t in zip(self.style, self.target_s))
        jtv = g.new_zeros(())
        if c["tv"] > 0:
            jtv = ((g[:, :, 1:, :] - g[:, :, :-1, :]) ** 2).sum() + \
                  ((g[:, :, :, 1:] - g[:, :, :, :-1]) ** 2).sum()
        return c["alpha"] * jc + c["beta"] * js + c["tv"] * jtv, jc, js, jtv

    def pixels(self, g):
        return (g / self.scale + self.shift).clamp(0, 255).round().to(torch.uint8)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("problem")
    ap.add_argument("--steps", type=int, default=0, help="default: the problem's")
    ap.add_argument("--optimizer", choices=["adam", "lbfgs"], default=None,
                    help="default: the problem's")
    ap.add_argument("--lr", type=float, default=None,
                    help="default: the problem's, or dlc's default for another optimizer")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", help="G as PNG (python3-pil)")
    ap.add_argument("--log", help="CSV: step, J, J_content, J_style, J_tv, seconds, evals")
    ap.add_argument("--every", type=int, default=0, help="a line every K steps (default: ~10)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    p = Problem(a.problem)
    c = p.costs
    steps = a.steps or c["steps"]
    opt_name = a.optimizer or c["optimizer"]
    lr = a.lr or (c["lr"] if opt_name == c["optimizer"] else {"adam": 0.05, "lbfgs": 1.0}[opt_name])
    g = p.t["init"].unsqueeze(0).clone().requires_grad_(True)
    if opt_name == "adam":
        opt = torch.optim.Adam([g], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    else:
        opt = torch.optim.LBFGS([g], lr=lr, max_iter=1, history_size=c["history"],
                                line_search_fn="strong_wolfe")
    every = a.every or max(1, steps // 10)
    rows, evals = [], [0]
    t0 = time.perf_counter()
    timed = None  # after the first step (warm-up)

    def closure():
        opt.zero_grad()
        J, jc, js, jtv = p.costs_of(g)
        J.backward()
        evals[0] += 1
        closure.last = (J.item(), jc.item(), js.item(), jtv.item())
        return J

    for k in range(steps + 1):
        if opt_name == "adam" or k == 0:
            closure()
        J, jc, js, jtv = closure.last
        sec = time.perf_counter() - t0
        rows.append((k, J, jc, js, jtv, sec, evals[0]))
        if k % every == 0 or k == steps:
            print("step %d/%d  J %.4g  J_content %.4g  J_style %.4g%s" %
                  (k, steps, J, jc, js, "  J_tv %.4g" % jtv if c["tv"] > 0 else ""), flush=True)
        if k == 1:
            timed = (time.perf_counter(), k)
        if k == steps:
            break
        if opt_name == "adam":
            opt.step()
            with torch.no_grad():
                g.copy_(torch.max(torch.min(g, p.hi), p.lo))
        else:
            opt.step(closure)
    t1 = time.perf_counter()
    with torch.no_grad():
        J, jc, js, jtv = (v.item() for v in p.costs_of(g))
    ms = 1000 * (t1 - timed[0]) / max(1, steps - timed[1]) if timed and steps > 1 else float("nan")
    result = {"result": "stylize", "optimizer": opt_name, "steps": steps, "evals": evals[0],
              "J": J, "J_content": jc, "J_style": js, "J_tv": jtv,
              "J_style_start": rows[0][3], "ms_per_step": ms, "threads": a.threads}
    print(json.dumps(result))
    if a.log:
        with open(a.log, "w") as f:
            f.write("step,J,J_content,J_style,J_tv,seconds,evals\n")
            for r in rows:
                f.write("%d,%.9g,%.9g,%.9g,%.9g,%.4f,%d\n" % r)
    if a.out:
        from PIL import Image
        px = p.pixels(g.detach()).permute(1, 2, 0).numpy()
        Image.fromarray(px, "RGB").save(a.out)


if __name__ == "__main__":
    sys.exit(main())

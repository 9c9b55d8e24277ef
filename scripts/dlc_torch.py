#!/usr/bin/env python3
"""Load a dlc run's model.safetensors into the equivalent torch.nn model.

    /usr/bin/python3 scripts/dlc_torch.py RUN [--values FILE] [--logits]

prints, for every line of FILE (the raw inputs `dlc predict RUN --values FILE`
reads: one example per line), the model's probabilities (softmax or sigmoid
models) or outputs, as `dlc predict --values` does; --logits: the last
layer's outputs.  As a module (scripts/ on sys.path):

    from dlc_torch import load
    net = load("runs/fashion_mnist_cnn")   # a torch.nn.Module in eval mode
    logits = net(x)                        # x: (N, *data shape) raw values
    probs = net.link(logits)               # softmax / sigmoid / identity
    (a model with several heads returns a list, one per head: net.link(y, h))

model.safetensors already holds PyTorch's layouts (slice, split, subtract,
chi_square, multiply, abs, square, l2normalize and gram are plain tensor operations;
layernorm is nn.LayerNorm; scalar_mix and word_chars are small modules
below): dense (OUT, IN) as
nn.Linear, conv (F, C, k...) as nn.Conv1d/2d/3d, batchnorm gamma, beta and
running statistics as nn.BatchNorm's weight, bias and buffers, embedding
(V, E) as nn.Embedding, rnn and lstm weight_ih / weight_hh (LSTM gates i, f,
g, o) as nn.RNN / nn.LSTM, whose bias_ih takes dlc's one bias and bias_hh is
zero (a `reverse` layer runs them over each sequence reversed within its
length).  dlc's GRU is not nn.GRU (the relevance gate multiplies the state before
its product, as the course notes have it; the simplified GRU has no relevance
gate), so DlcGRU below runs it.  The model is rebuilt from the resolved config
stored in the file's metadata; normalization (x - shift) * scale is applied
first, and padded sequences (token id `pad_id` at the end) are packed, as dlc
masks them.  Needs python3-torch and python3-yaml (Debian).
"""
import argparse
import json
import math
import struct
import sys

import torch
import torch.nn.functional as F
import yaml
from torch import nn


def zero_padding(y, seq, lengths):
    """y (N, T, ...) with the steps past each sample's length zeroed, as dlc's
    dense, layernorm and batchnorm give a padded sequence's padded steps."""
    if not seq or lengths is None:
        return y
    valid = torch.arange(y.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
    return y * valid.reshape(*valid.shape, *[1] * (y.dim() - 2)).to(y.dtype)


def read_safetensors(path):
    """Tensors (name -> float32 torch tensor) and metadata of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {t['dtype']}, not F32")
        a, b = t["data_offsets"]
        flat = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32)
        tensors[name] = flat.reshape(t["shape"]) if t["shape"] else flat
    return tensors, meta


def window(v, n):
    """A kernel/stride/pad value: one number for every axis, or a list."""
    if isinstance(v, list):
        return [int(x) for x in v] if len(v) == n else [int(v[0])] * n
    return [int(v)] * n


def pads(spec, size, k, s, nsp):
    """Per-axis (before, after) zeros, as src/layers/window.h computes them."""
    padding = spec.get("padding", "valid")
    out = []
    for i in range(nsp):
        if padding == "same":
            o = (size[i] + s[i] - 1) // s[i]
            total = max((o - 1) * s[i] + k[i] - size[i], 0)
            out.append((total // 2, total - total // 2))
        elif padding == "valid":
            out.append((0, 0))
        else:
            p = window(padding, nsp)[i]
            out.append((p, p))
    return out


def f_pad(x, pp, value):
    """F.pad wants the last axis first."""
    flat = []
    for lo, hi in reversed(pp):
        flat += [lo, hi]
    return F.pad(x, flat, value=value) if any(flat) else x


class DlcGRU(nn.Module):
    """dlc's GRU: gates (r, u, c) full or (u, c) simplified, one bias per gate;
    h = u c~ + (1 - u) h_prev with c~ = tanh(W_c x + W_hc (r * h_prev) + b_c), or
    with reset_after c~ = tanh(W_c x + b_c + r * (W_hc h_prev + b_hn)) (nn.GRU's)."""

    def __init__(self, d, h, gates, bidirectional, bias, reverse=False, reset_after=False):
        super().__init__()
        self.h, self.gates, self.dirs, self.reverse = h, gates, 2 if bidirectional else 1, reverse
        self.reset_after = reset_after
        for sfx in ["", "_reverse"][:self.dirs]:
            setattr(self, "weight_ih" + sfx, nn.Parameter(torch.zeros(gates * h, d)))
            setattr(self, "weight_hh" + sfx, nn.Parameter(torch.zeros(gates * h, h)))
            setattr(self, "bias" + sfx, nn.Parameter(torch.zeros(gates * h)) if bias else None)
            setattr(self, "bias_hn" + sfx, nn.Parameter(torch.zeros(h)) if bias and reset_after else None)

    def direction(self, x, lengths, sfx, reverse):
        n, t_steps, _ = x.shape
        h_dim, g = self.h, self.gates
        wih, whh, b = getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx), getattr(self, "bias" + sfx)
        bhn = getattr(self, "bias_hn" + sfx)
        z_all = x @ wih.t() + (b if b is not None else 0)
        h = x.new_zeros(n, h_dim)
        ys = [None] * t_steps
        for t in (range(t_steps - 1, -1, -1) if reverse else range(t_steps)):
            z = z_all[:, t]
            if g == 3:
                r = torch.sigmoid(z[:, :h_dim] + h @ whh[:h_dim].t())
                u = torch.sigmoid(z[:, h_dim:2 * h_dim] + h @ whh[h_dim:2 * h_dim].t())
                if self.reset_after:
                    hn = h @ whh[2 * h_dim:].t() + (bhn if bhn is not None else 0)
                    c = torch.tanh(z[:, 2 * h_dim:] + r * hn)
                else:
                    c = torch.tanh(z[:, 2 * h_dim:] + (r * h) @ whh[2 * h_dim:].t())
            else:
                u = torch.sigmoid(z[:, :h_dim] + h @ whh[:h_dim].t())
                c = torch.tanh(z[:, h_dim:] + h @ whh[h_dim:].t())
            active = (t < lengths).unsqueeze(1)  # padded steps keep the state, output zero
            h = torch.where(active, u * c + (1 - u) * h, h)
            ys[t] = torch.where(active, h, torch.zeros_like(h))
        return torch.stack(ys, 1), h

    def forward(self, x, lengths):
        outs = [self.direction(x, lengths, sfx, d == 1 or self.reverse)
                for d, sfx in enumerate(["", "_reverse"][:self.dirs])]
        return torch.stack([o[0] for o in outs], 2), torch.stack([o[1] for o in outs], 0)


def flip_within(x, lengths):
    """Each sequence of x (N, T, ...) reversed within its first lengths[i] steps
    (the padding after them stays in place); its own inverse."""
    t_steps = x.shape[1]
    t = torch.arange(t_steps).unsqueeze(0)
    ln = lengths.unsqueeze(1)
    idx = torch.where(t < ln, ln - 1 - t, t)
    return x.gather(1, idx.view(*idx.shape, *[1] * (x.dim() - 2)).expand_as(x))


def run_torch_rnn(mod, x, lengths, masked, reverse=False):
    """nn.RNN / nn.LSTM over (N, T, D): outputs (N, T, dirs, H) and last states (dirs, N, H),
    padded steps packed away as dlc masks them.  reverse: one direction from
    each sequence's last step back to its first, as dlc's `reverse: true`."""
    if reverse:
        y, h = run_torch_rnn(mod, flip_within(x, lengths), lengths, masked)
        return flip_within(y, lengths), h
    n, t_steps, _ = x.shape
    dirs = 2 if mod.bidirectional else 1
    if not masked:
        y, state = mod(x)
    else:
        keep = lengths > 0  # an empty sequence keeps zero states, as in dlc
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True,
                                                   enforce_sorted=False)
        y, state = mod(packed)
        y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=t_steps)
        y = y * keep.view(n, 1, 1)
        state = tuple(s * keep.view(1, n, 1) for s in state) if isinstance(state, tuple) else state * keep.view(1, n, 1)
    h = state[0] if isinstance(state, tuple) else state
    return y.reshape(n, t_steps, dirs, -1), h


class ScalarMix(nn.Module):
    """ELMo's mix: y = gamma * sum_j softmax(weight)_j x_j (src/layers/mix.c)."""

    def __init__(self, j):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(j))
        self.gamma = nn.Parameter(torch.ones(1))

    def forward(self, xs):
        s = torch.softmax(self.weight, 0)
        return self.gamma * sum(s[j] * x for j, x in enumerate(xs))


class WordChars(nn.Module):
    """dlc's word_chars (src/layers/chars.c): per step (word id, C byte ids),
    y = [E[word]; tanh(max over the word's bytes of a 1-D CNN over byte vectors)];
    the bytes are the ids 1..256 before the first other value, outside them the
    window sees zero vectors; a padding or out-of-range word id gives zeros."""

    def __init__(self, v, e, f, k, dc, pad):
        super().__init__()
        self.pad = pad
        self.weight = nn.Parameter(torch.zeros(v, e))
        self.char_weight = nn.Parameter(torch.zeros(257, dc))
        self.conv_weight = nn.Parameter(torch.zeros(f, k, dc))
        self.conv_bias = nn.Parameter(torch.zeros(f))

    def forward(self, x):
        n, t_steps, k1 = x.shape
        ids = torch.floor(x + 0.5).long()
        word, b = ids[..., 0], ids[..., 1:]
        v = self.weight.shape[0]
        token = (word >= 0) & (word < v) & (word != self.pad)
        wv = self.weight[word.clamp(0, v - 1)] * token.unsqueeze(-1)
        in_word = torch.cumprod(((b >= 1) & (b <= 256)).long(), 2).bool()  # (N, T, C)
        q = self.char_weight[torch.where(in_word, b, torch.zeros_like(b))] * in_word.unsqueeze(-1)
        q = q.reshape(n * t_steps, k1 - 1, -1).transpose(1, 2)  # (N T, Dc, C)
        width = self.conv_weight.shape[1]
        z = F.conv1d(q, self.conv_weight.permute(0, 2, 1), self.conv_bias, padding=width // 2)
        z = torch.where(in_word.reshape(n * t_steps, 1, -1), z, torch.full_like(z, -math.inf))
        h = torch.tanh(z.max(2).values).reshape(n, t_steps, -1)
        h = h * (token & in_word[..., 0]).unsqueeze(-1)
        pos = torch.arange(1, t_steps + 1).unsqueeze(0)
        return torch.cat([wv, h], 2), (pos * token).max(1).values


ACTIVATIONS = {  # a: the layer's config (alpha; hardsigmoid's slope and offset)
    "linear": lambda x, a: x,
    "sigmoid": lambda x, a: torch.sigmoid(x),
    "tanh": lambda x, a: torch.tanh(x),
    "relu": lambda x, a: F.relu(x),
    "leaky_relu": lambda x, a: F.leaky_relu(x, float(a.get("alpha", 0.01))),
    "elu": lambda x, a: F.elu(x, float(a.get("alpha", 1.0))),
    "gelu": lambda x, a: F.gelu(x),
    "relu6": lambda x, a: F.relu6(x),
    "silu": lambda x, a: F.silu(x),
    # max(0, min(1, slope x + offset)); PyTorch's F.hardsigmoid is slope 1/6, offset 1/2
    "hardsigmoid": lambda x, a: torch.clamp(x * float(a.get("slope", 1 / 6)) + float(a.get("offset", 0.5)), 0, 1),
    "hardswish": lambda x, a: F.hardswish(x),
    "softmax": lambda x, a: F.softmax(x, -1),
}


class DlcModel(nn.Module):
    """The graph of a dlc config as torch modules (one per layer with weights)."""

    def __init__(self, cfg, tensors, meta):
        super().__init__()
        model = cfg["model"]
        self.specs = model["layers"]
        self.loss = cfg.get("loss", "softmax_cross_entropy")
        self.input_shape = json.loads(meta["input"])
        self.data_shape = json.loads(meta.get("data_shape", meta["input"]))
        self.register_buffer("shift", tensors["norm.shift"])
        self.register_buffer("scale", tensors["norm.scale"])
        # heads: (layer, its loss's link); outputs are names or, since several
        # heads, mappings {layer, name, loss, ...}
        links = {"softmax_cross_entropy": "softmax", "sigmoid_bce": "sigmoid"}
        self.heads = []
        for o in model.get("outputs") or [self.specs[-1]["name"]]:
            layer = o.get("layer") or o.get("name") if isinstance(o, dict) else o
            loss = (o.get("loss") if isinstance(o, dict) else None) or self.loss
            self.heads.append((layer, links.get(loss)))
        self.mods = nn.ModuleDict()
        for s in self.specs:
            if s.get("share"):
                continue
            m = self.make(s, tensors)
            if m is not None:
                self.mods[s["name"]] = m

    def make(self, s, tensors):
        t, nm = s["type"], s["name"]
        w = tensors.get(nm + ".weight")
        if t == "dense":
            m = nn.Linear(w.shape[1], w.shape[0], bias=s.get("use_bias", True))
        elif t in ("conv1d", "conv2d", "conv3d"):
            conv = {"conv1d": nn.Conv1d, "conv2d": nn.Conv2d, "conv3d": nn.Conv3d}[t]
            groups = int(s.get("groups", 1))
            m = conv(w.shape[1] * groups, w.shape[0], tuple(w.shape[2:]), stride=window(s.get("stride", 1), w.dim() - 2),
                     dilation=window(s.get("dilation", 1), w.dim() - 2), groups=groups,
                     bias=s.get("use_bias", True))
        elif t == "batchnorm":
            m = nn.BatchNorm1d(tensors[nm + ".gamma"].shape[0], eps=float(s.get("eps", 1e-5)))
        elif t == "embedding":
            pad = int(s.get("pad_id", 0))
            m = nn.Embedding(w.shape[0], w.shape[1], padding_idx=pad if 0 <= pad < w.shape[0] else None)
        elif t in ("lstm", "rnn"):
            wih = tensors[nm + ".weight_ih"]
            kw = {"nonlinearity": s.get("nonlinearity", "tanh")} if t == "rnn" else {}
            m = (nn.LSTM if t == "lstm" else nn.RNN)(wih.shape[1], int(s["units"]), batch_first=True,
                                                     bidirectional=bool(s.get("bidirectional")),
                                                     bias=s.get("use_bias", True), **kw)
        elif t == "layernorm":
            m = nn.LayerNorm(tuple(tensors[nm + ".gamma"].shape), eps=float(s.get("eps", 1e-5)))
        elif t == "gru":
            wih = tensors[nm + ".weight_ih"]
            m = DlcGRU(wih.shape[1], int(s["units"]), 2 if s.get("variant") == "simplified" else 3,
                       bool(s.get("bidirectional")), s.get("use_bias", True), bool(s.get("reverse")),
                       s.get("variant") == "reset_after")
        elif t == "scalar_mix":
            m = ScalarMix(tensors[nm + ".weight"].shape[0])
        elif t == "word_chars":
            cw = tensors[nm + ".conv_weight"]
            m = WordChars(w.shape[0], w.shape[1], cw.shape[0], cw.shape[1], cw.shape[2], int(s.get("pad_id", 0)))
        else:
            return None
        return m

    def state_from(self, tensors):
        """dlc's tensor names -> this module's state_dict names."""
        state = {"shift": tensors["norm.shift"], "scale": tensors["norm.scale"]}
        for s in self.specs:
            nm, t = s["name"], s["type"]
            if nm not in self.mods:
                continue
            p = "mods." + nm + "."
            if t == "batchnorm":
                for a, b in [("gamma", "weight"), ("beta", "bias"), ("running_mean", "running_mean"),
                             ("running_var", "running_var")]:
                    state[p + b] = tensors[nm + "." + a]
                state[p + "num_batches_tracked"] = torch.tensor(0)
            elif t == "layernorm":
                state[p + "weight"] = tensors[nm + ".gamma"]
                state[p + "bias"] = tensors[nm + ".beta"]
            elif t in ("lstm", "rnn"):
                for sfx in ["", "_reverse"][:2 if s.get("bidirectional") else 1]:
                    state[p + "weight_ih_l0" + sfx] = tensors[nm + ".weight_ih" + sfx]
                    state[p + "weight_hh_l0" + sfx] = tensors[nm + ".weight_hh" + sfx]
                    if s.get("use_bias", True):
                        state[p + "bias_ih_l0" + sfx] = tensors[nm + ".bias" + sfx]
                        state[p + "bias_hh_l0" + sfx] = torch.zeros_like(tensors[nm + ".bias" + sfx])
            else:
                for k in self.mods[nm].state_dict():
                    state[p + k] = tensors[nm + "." + k]
        return state

    def link(self, y, head=0):
        """Head `head`'s outputs through its loss's link (softmax, sigmoid, none)."""
        fold = self.heads[head][1]
        return torch.softmax(y, -1) if fold == "softmax" else torch.sigmoid(y) if fold == "sigmoid" else y

    def forward(self, x):
        n = x.shape[0]
        x = ((x.reshape(n, -1) - self.shift) * self.scale).reshape(n, *self.input_shape)
        vals = {"input": (x, False)}
        prev = "input"
        lengths = None  # valid steps per sample, from the last embedding with a pad_id
        for s in self.specs:
            ins = [vals[i] for i in (s.get("inputs") or [prev])]
            y, seq, lengths = self.layer(s, ins, lengths)
            act = s.get("activation", "linear")
            if (s["name"], act) not in self.heads:  # a head's link is left to link()
                y = ACTIVATIONS[act](y, s)
            vals[s["name"]] = (y, seq)
            prev = s["name"]
            if s["type"] == "split":  # its pieces <name>_0, <name>_1, ...; the next layer reads the last
                axis, L = int(s.get("axis", 0)) + 1, y.shape[int(s.get("axis", 0)) + 1]
                sizes = [int(v) for v in s["sizes"]]
                sizes = [L - sum(v for v in sizes if v > 0) if v == -1 else v for v in sizes]
                for i, piece in enumerate(torch.split(y, sizes, axis)):
                    vals["%s_%d" % (s["name"], i)] = (piece, seq)
                prev = "%s_%d" % (s["name"], len(sizes) - 1)
        outs = [vals[layer][0] for layer, _ in self.heads]
        return outs[0] if len(outs) == 1 else outs

    def layer(self, s, ins, lengths):
        t, nm = s["type"], s["name"]
        x, seq = ins[0]
        m = self.mods[s["share"]] if s.get("share") else self.mods[nm] if nm in self.mods else None
        n = x.shape[0]
        if t == "dense":
            seq = seq and x.dim() == 3
            return zero_padding(m(x), seq, lengths), seq, lengths
        if t in ("activation", "dropout") or t in ACTIVATIONS:
            return x, seq, lengths
        if t == "flatten":
            return x.reshape(n, -1), False, lengths
        if t == "reshape":
            return x.reshape(n, *[int(d) for d in s["shape"]]), False, lengths
        if t == "add":
            return sum(v for v, _ in ins), all(q for _, q in ins), lengths
        if t == "concat":  # sequences join their features (axis 1) and stay sequences
            axis = int(s.get("axis", 0))
            return torch.cat([v for v, _ in ins], axis + 1), axis > 0 and any(q for _, q in ins), lengths
        if t == "split":
            return x, seq, lengths
        if t == "slice":
            axis, L = int(s.get("axis", 0)) + 1, x.shape[int(s.get("axis", 0)) + 1]
            start, end = int(s.get("start", 0)), s.get("end")
            end = L if end is None else int(end)
            return x.narrow(axis, start % L, (end if end >= 0 else end + L) - start % L), seq, lengths
        if t == "subtract":
            return ins[0][0] - ins[1][0], seq, lengths
        if t == "multiply":  # a gate (N, C) of a map (N, C, ...) broadcasts over its other axes
            full = max((v for v, _ in ins), key=lambda v: v[0].numel())
            y = None
            for v, _ in ins:
                v = v if v.shape == full.shape else v.reshape(v.shape[0], v.shape[1], *[1] * (full.dim() - 2))
                y = v if y is None else y * v
            return y, seq, lengths
        if t == "chi_square":
            a, b = ins[0][0], ins[1][0]
            return (a - b) ** 2 / (a.abs() + b.abs() + float(s.get("eps", 1e-5))), seq, lengths
        if t == "abs":
            return x.abs(), seq, lengths
        if t == "square":
            return x * x, seq, lengths
        if t == "l2normalize":
            return x / torch.sqrt((x * x).reshape(n, -1).sum(1) + float(s.get("eps", 1e-12))).view(
                n, *[1] * (x.dim() - 1)), False, lengths
        if t == "gram":
            f = x.reshape(n, x.shape[1], -1)
            return f @ f.transpose(1, 2) / (f.shape[1] * f.shape[2]), False, lengths
        if t == "layernorm":
            return zero_padding(m(x), seq, lengths), seq, lengths
        if t == "batchnorm":
            if seq:  # (N, T, D): over the features
                return zero_padding(m(x.transpose(1, 2)).transpose(1, 2), seq, lengths), seq, lengths
            c = x.shape[1]
            return m(x.reshape(n, c, -1)).reshape(x.shape), False, lengths
        if t.startswith("conv"):
            nsp = x.dim() - 2
            st = list(m.stride)
            k = [d * (kk - 1) + 1 for kk, d in zip(m.kernel_size, m.dilation)]  # the taps' span
            x = f_pad(x, pads(s, list(x.shape[2:]), k, st, nsp), 0.0)
            return m(x), False, lengths
        if t in ("maxpool", "avgpool"):
            nsp = x.dim() - 2
            kw = window(s["kernel"], nsp)
            st = window(s.get("stride") or s["kernel"], nsp)
            dl = window(s.get("dilation", 1), nsp)
            k = [d * (kk - 1) + 1 for kk, d in zip(kw, dl)]  # the taps' span
            pool = [F.max_pool1d, F.max_pool2d, F.max_pool3d] if t == "maxpool" else [F.avg_pool1d, F.avg_pool2d, F.avg_pool3d]
            # padded zeros count in the average (dlc divides by the window) unless
            # count_include_pad is false; they never win the max
            pp = pads(s, list(x.shape[2:]), k, st, nsp)
            # ceil_mode: torch's rounds up over the padded input; dlc keeps a
            # last window only when it starts before the padding after
            cm = bool(s.get("ceil_mode"))
            if t == "maxpool":
                y = pool[nsp - 1](f_pad(x, pp, -math.inf), kw, st, dilation=dl, ceil_mode=cm)
            else:
                y = pool[nsp - 1](f_pad(x, pp, 0.0), kw, st, ceil_mode=cm)
            if t == "avgpool" and not s.get("count_include_pad", True):
                y = y / pool[nsp - 1](f_pad(torch.ones_like(x[:1, :1]), pp, 0.0), kw, st, ceil_mode=cm)
            for i in range(nsp):
                size, (lo, hi) = x.shape[2 + i], pp[i]
                span = size + lo + hi - k[i]
                o = span // st[i] + 1
                o += 1 if cm and span % st[i] and o * st[i] < size + lo else 0
                y = y.narrow(2 + i, 0, o)
            return y, False, lengths
        if t == "global_avgpool":
            return x.reshape(n, x.shape[1], -1).mean(2), False, lengths
        if t in ("time_avgpool", "time_maxpool"):
            steps = x.shape[1]
            ln = lengths.clamp(max=steps) if seq and lengths is not None else torch.full((n,), steps)
            valid = (torch.arange(steps).unsqueeze(0) < ln.unsqueeze(1)).unsqueeze(2)
            if t == "time_avgpool":
                return (x * valid).sum(1) / ln.clamp(min=1).unsqueeze(1).to(x.dtype), False, lengths
            y = torch.where(valid, x, torch.full_like(x, -math.inf)).max(1).values
            return torch.where(ln.unsqueeze(1) > 0, y, torch.zeros_like(y)), False, lengths
        if t == "embedding":
            ids = torch.floor(x + 0.5).long()
            v, pad = m.num_embeddings, int(s.get("pad_id", 0))
            token = (ids >= 0) & (ids < v) & (ids != pad)
            y = m(ids.clamp(0, v - 1)) * token.unsqueeze(-1)
            if x.dim() == 2:  # 1-D ids: lengths one past the last token
                pos = torch.arange(1, x.shape[1] + 1).unsqueeze(0)
                lengths = (pos * token).max(1).values
                return y, True, lengths
            return y, False, lengths
        if t == "scalar_mix":
            return m([v for v, _ in ins]), all(q for _, q in ins), lengths
        if t == "word_chars":
            y, lengths = m(x)
            return y, True, lengths
        if t in ("rnn", "lstm", "gru"):
            masked = seq and lengths is not None
            ln = lengths if masked else torch.full((n,), x.shape[1])
            if t == "gru":
                y, h = m(x, ln)
            else:
                y, h = run_torch_rnn(m, x, ln, masked, bool(s.get("reverse")) and not s.get("bidirectional"))
            concat = s.get("merge", "concat") == "concat"
            if s.get("return_sequences", True):
                y = y.reshape(n, x.shape[1], -1) if concat else y.sum(2)
                return y, seq, lengths
            h = h.permute(1, 0, 2)
            return (h.reshape(n, -1) if concat else h.sum(1)), False, lengths
        raise ValueError(f"layer '{nm}': type {t} is not supported by this script")


def load(run):
    """The model of a run folder (or a model.safetensors path), in eval mode."""
    path = run if run.endswith(".safetensors") else run.rstrip("/") + "/model.safetensors"
    tensors, meta = read_safetensors(path)
    cfg = yaml.safe_load(meta["config"])
    net = DlcModel(cfg, tensors, meta)
    net.load_state_dict(net.state_from(tensors), strict=True)
    return net.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run")
    ap.add_argument("--values", required=True, help="raw inputs, one example per line")
    ap.add_argument("--logits", action="store_true", help="the last layer's outputs, before the link")
    a = ap.parse_args()
    net = load(a.run)
    rows = [[float(v) for v in line.replace(",", " ").split()] for line in open(a.values) if line.strip()]
    x = torch.tensor(rows, dtype=torch.float32).reshape(len(rows), *net.data_shape)
    with torch.no_grad():
        ys = net(x)
        ys = [ys] if len(net.heads) == 1 else ys
        if not a.logits:
            ys = [net.link(y, h) for h, y in enumerate(ys)]
    # one line per example, the heads one after the other, as dlc predict --values
    y = torch.cat([y.reshape(len(rows), -1) for y in ys], 1)
    for r in y.tolist():
        print(" ".join("%.9g" % v for v in r))


if __name__ == "__main__":
    sys.exit(main())

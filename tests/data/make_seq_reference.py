#!/usr/bin/python3
"""Writes PyTorch reference values for dlc's recurrent layers (tests/data/ref/lstm.ref).

Run once with Debian's python3-torch (1.13): /usr/bin/python3 tests/data/make_seq_reference.py
Same file format as make_reference.py.  A bidirectional nn.LSTM over a padded
batch (lengths 5 and 3, packed as PyTorch does it), so the test checks dlc's
padding semantics too: outputs at padded steps are zero, the backward
direction starts at each sequence's last token, h_n is the state there.
dlc keeps one bias per gate: its bias is PyTorch's bias_ih + bias_hh.
"""
import os
import sys

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import write  # noqa: E402

torch.manual_seed(4321)


def lstm():
    N, T, D, H = 2, 5, 3, 4
    lengths = torch.tensor([5, 3])
    m = torch.nn.LSTM(D, H, batch_first=True, bidirectional=True)
    x = torch.randn(N, T, D)
    x[1, 3:] = 0
    x.requires_grad_(True)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, (h_n, c_n) = m(packed)
    y, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
    dy = torch.randn_like(y)
    dy[1, 3:] = 0
    y.backward(dy)
    arrays = dict(x=x, y=y, dy=dy, dx=x.grad, h_n=torch.cat([h_n[0], h_n[1]], dim=1))
    for sfx in ("", "_reverse"):
        wih = getattr(m, "weight_ih_l0" + sfx)
        whh = getattr(m, "weight_hh_l0" + sfx)
        bih = getattr(m, "bias_ih_l0" + sfx)
        bhh = getattr(m, "bias_hh_l0" + sfx)
        arrays["weight_ih" + sfx] = wih
        arrays["weight_hh" + sfx] = whh
        arrays["bias" + sfx] = bih + bhh
        arrays["d_weight_ih" + sfx] = wih.grad
        arrays["d_weight_hh" + sfx] = whh.grad
        arrays["d_bias" + sfx] = bih.grad
    write("lstm", arrays)


if __name__ == "__main__":
    lstm()
    print("wrote lstm.ref")

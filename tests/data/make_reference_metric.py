#!/usr/bin/python3
"""Writes PyTorch reference values for metric learning (tests/data/ref/metric.ref):
the triplet loss with hard and semi-hard negatives mined in the batch, averaged
over the triplets with a positive loss and over all; the contrastive loss; the
chi_square layer.  PyTorch has no triplet loss on squared distances with mining
inside the batch (nn.TripletMarginLoss takes given triplets and plain distances),
so the losses are written here with torch operations and their gradients are
autograd's; the mining follows dlc's rule exactly (ties: the first index).

Run once with Debian's python3-torch (1.13):
    /usr/bin/python3 tests/data/make_reference_metric.py
The file format is make_reference.py's.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import write  # noqa: E402

torch.manual_seed(2024)


def triplet(f, y, margin, mining, average):
    """Every anchor-positive pair of the batch with a mined negative."""
    d = ((f[:, None, :] - f[None, :, :]) ** 2).sum(-1)
    n = f.shape[0]
    losses = []
    for a in range(n):
        neg = [j for j in range(n) if y[j] != y[a]]
        if not neg:
            continue
        hardest = min(neg, key=lambda j: (d[a, j].item(), j))
        for p in range(n):
            if p == a or y[p] != y[a]:
                continue
            if mining == "hard":
                k = hardest
            else:  # semi-hard: the nearest negative farther than the positive, else the farthest
                far = [j for j in neg if d[a, j].item() > d[a, p].item()]
                if far:
                    k = min(far, key=lambda j: (d[a, j].item(), j))
                else:
                    k = max(neg, key=lambda j: (d[a, j].item(), -j))
            losses.append(d[a, p] - d[a, k] + margin)
    l = torch.stack(losses)
    hinge = torch.clamp(l, min=0)
    positive = (l > 0).sum()
    if average == "positive":
        return hinge.sum() / positive
    return hinge.sum() / len(losses)


def contrastive(v, same, margin):
    d = v.norm(dim=1)
    return (same * d ** 2 + (1 - same) * torch.clamp(margin - d, min=0) ** 2).mean()


def main():
    arrays = {}
    f = torch.randn(8, 3, dtype=torch.float64) * 0.6
    y = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1], dtype=torch.float64)
    arrays["triplet_f"] = f
    arrays["triplet_y"] = y
    for mining in ("hard", "semi_hard"):
        for average in ("positive", "all"):
            x = f.clone().requires_grad_(True)
            loss = triplet(x, y.tolist(), 0.5, mining, average)
            loss.backward()
            key = f"triplet_{mining}_{average}"
            arrays[key + "_loss"] = loss.reshape(1)
            arrays[key + "_grad"] = x.grad

    v = torch.randn(6, 4, dtype=torch.float64) * 0.6
    same = torch.tensor([1, 0, 1, 0, 0, 1], dtype=torch.float64)
    x = v.clone().requires_grad_(True)
    loss = contrastive(x, same, 1.5)
    loss.backward()
    arrays.update(contrastive_v=v, contrastive_same=same, contrastive_loss=loss.reshape(1),
                  contrastive_grad=x.grad)

    # chi_square in test_layers.c's layout: inputs x0, x1, output y, its
    # gradient dy, the inputs' gradients dx0, dx1; x0 non-negative (as
    # DeepFace's features), x1 of mixed sign
    a = torch.rand(3, 4, dtype=torch.float64).requires_grad_(True)
    b = torch.randn(3, 4, dtype=torch.float64).requires_grad_(True)
    out = (a - b) ** 2 / (a.abs() + b.abs() + 1e-5)
    dy = torch.randn_like(out)
    out.backward(dy)
    arrays.update({"chi_square.x0": a, "chi_square.x1": b, "chi_square.y": out,
                   "chi_square.dy": dy, "chi_square.dx0": a.grad, "chi_square.dx1": b.grad})
    write("metric", arrays)


if __name__ == "__main__":
    main()

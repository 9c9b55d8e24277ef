#!/usr/bin/python3
"""Writes PyTorch reference values for style transfer's costs
(tests/data/ref/style_costs.ref, in the format of make_reference.py);
tests/unit/test_stylize.c reads them.

Each cost is written as the notes define it, on unnormalized Gram matrices,
so that the test checks dlc's gram layer and style row together against the
formula, not against a rewriting of it:

  content  J = 1/2 ||a(C) - a(G)||^2                      per example
  style    J = 1/(2 nH nW nC)^2 ||G(S) - G(G)||_F^2,  G = F F^T   per example
  tv       J = sum (x[i+1, j] - x[i, j])^2 + (x[i, j+1] - x[i, j])^2   per example

averaged over the examples of the batch, with the gradient of that mean
with respect to G's activations (content), G's feature map (style) and the
image (tv).

Run once with Debian's python3-torch (1.13): /usr/bin/python3 tests/data/make_reference_style.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import write  # noqa: E402

torch.manual_seed(1357)


def gram(f):
    n, c, h, w = f.shape
    f = f.reshape(n, c, h * w)
    return f @ f.transpose(1, 2)


def main():
    a = {}
    # content on a (2, 3, 4, 5) map
    x = torch.randn(2, 3, 4, 5, requires_grad=True)
    t = torch.randn(2, 3, 4, 5)
    loss = (0.5 * ((x - t) ** 2).sum(dim=(1, 2, 3))).mean()
    loss.backward()
    a.update(content_x=x, content_target=t, content_loss=loss.reshape(1),
             content_grad=x.grad)
    # style through the Gram matrix of a (2, 3, 4, 5) map against a style map
    x = torch.randn(2, 3, 4, 5, requires_grad=True)
    s = torch.randn(2, 3, 4, 5) * 1.5
    n, c, h, w = x.shape
    loss = (((gram(s) - gram(x)) ** 2).sum(dim=(1, 2)) / (2.0 * c * h * w) ** 2).mean()
    loss.backward()
    a.update(style_x=x, style_s=s, style_loss=loss.reshape(1), style_grad=x.grad)
    # total variation of a (2, 3, 4, 5) image
    x = torch.randn(2, 3, 4, 5, requires_grad=True)
    down = (x[:, :, 1:, :] - x[:, :, :-1, :]) ** 2
    across = (x[:, :, :, 1:] - x[:, :, :, :-1]) ** 2
    loss = (down.sum(dim=(1, 2, 3)) + across.sum(dim=(1, 2, 3))).mean()
    loss.backward()
    a.update(tv_x=x, tv_loss=loss.reshape(1), tv_grad=x.grad)
    write("style_costs", a)
    print("wrote style_costs.ref")


if __name__ == "__main__":
    main()

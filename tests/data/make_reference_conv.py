#!/usr/bin/python3
"""Writes PyTorch reference values for the convolution and pooling layers
(tests/data/ref/conv.ref, conv_groups.ref), in the format of make_reference.py.

Run once with Debian's python3-torch (1.13): /usr/bin/python3 tests/data/make_reference_conv.py
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import write  # noqa: E402

torch.manual_seed(4321)


def case(arrays, name, x, fn, params):
    x = x.clone().requires_grad_(True)
    ps = [p.clone().requires_grad_(True) for p in params]
    y = fn(x, *ps)
    dy = torch.randn_like(y)
    y.backward(dy)
    arrays[name + ".x"] = x
    for i, p in enumerate(ps):
        arrays[name + ".p%d" % i] = p
        arrays[name + ".dp%d" % i] = p.grad
    arrays[name + ".y"] = y
    arrays[name + ".dy"] = dy
    arrays[name + ".dx"] = x.grad


def main():
    a = {}
    # conv2d: 3 -> 4 channels, kernel (4, 3), stride (2, 1), padding (1, 2)
    case(a, "conv2d", torch.randn(2, 3, 7, 6),
         lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2)),
         [torch.randn(4, 3, 4, 3), torch.randn(4)])
    # conv1d: 2 -> 3 channels, kernel 5, stride 2, padding 2
    case(a, "conv1d", torch.randn(3, 2, 11),
         lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=2),
         [torch.randn(3, 2, 5), torch.randn(3)])
    # conv3d: 2 -> 2 channels, kernel (2, 3, 3), stride 1, padding (0, 1, 1)
    case(a, "conv3d", torch.randn(2, 2, 3, 5, 4),
         lambda x, w, b: F.conv3d(x, w, b, padding=(0, 1, 1)),
         [torch.randn(2, 2, 2, 3, 3), torch.randn(2)])
    # pooling: max 3x3 stride 2 pad 1, average 2x2 stride 2, average 3x3 stride 1 pad 1
    case(a, "maxpool", torch.randn(2, 3, 7, 8),
         lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [])
    case(a, "avgpool", torch.randn(2, 3, 6, 7),
         lambda x: F.avg_pool2d(x, 2, stride=2), [])
    case(a, "avgpool_pad", torch.randn(2, 2, 5, 5),
         lambda x: F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=True), [])
    # average 3x3 stride 2 pad 1 over the positions inside the input only
    case(a, "avgpool_exclude", torch.randn(2, 2, 5, 6),
         lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False), [])
    write("conv", a)
    a = {}
    # grouped: 4 -> 6 channels in 2 groups, 3x3, padding 1 (im2col by chunks)
    case(a, "conv2d_groups", torch.randn(2, 4, 6, 5),
         lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=2),
         [torch.randn(6, 2, 3, 3), torch.randn(6)])
    # depthwise with a channel multiplier of 2: 3 -> 6 channels, stride 2
    case(a, "conv2d_depthwise", torch.randn(2, 3, 7, 7),
         lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=3),
         [torch.randn(6, 1, 3, 3), torch.randn(6)])
    # a map large enough to run whole samples per thread: 8 -> 8 in 4 groups
    case(a, "conv2d_groups_whole", torch.randn(2, 8, 24, 24),
         lambda x, w: F.conv2d(x, w, padding=1, groups=4),
         [torch.randn(8, 2, 3, 3)])
    # pointwise (the input is its own col), whole samples: 32 -> 32 in 4 groups
    case(a, "conv2d_groups_pointwise", torch.randn(2, 32, 24, 24),
         lambda x, w, b: F.conv2d(x, w, b, groups=4),
         [torch.randn(32, 8, 1, 1), torch.randn(32)])
    # conv1d: 4 -> 4 in 2 groups, kernel 3, stride 2
    case(a, "conv1d_groups", torch.randn(3, 4, 9),
         lambda x, w, b: F.conv1d(x, w, b, stride=2, groups=2),
         [torch.randn(4, 2, 3), torch.randn(4)])
    write("conv_groups", a)


if __name__ == "__main__":
    main()

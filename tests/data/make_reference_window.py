#!/usr/bin/python3
"""Writes PyTorch reference values for the window options added after
make_reference_conv.py: pooling with ceil_mode, dilated convolutions and max
pooling (tests/data/ref/window.ref), in the format of make_reference.py, with
the case() of make_reference_conv.py.

Run once with Debian's python3-torch (1.13): /usr/bin/python3 tests/data/make_reference_window.py
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import write  # noqa: E402
from make_reference_conv import case  # noqa: E402

torch.manual_seed(2468)


def main():
    a = {}
    # ---- ceil_mode ----
    # max 3x3 stride 2 pad 1: 7 rows fit, 8 columns leave a partial last window
    case(a, "maxpool_ceil", torch.randn(2, 3, 7, 8),
         lambda x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), [])
    # max 2x2 stride 2 pad 1 over 5 x 5: the window ceil would add starts in
    # the padding after the input, so there is none (3 x 3 out)
    case(a, "maxpool_ceil_drop", torch.randn(2, 2, 5, 5),
         lambda x: F.max_pool2d(x, 2, stride=2, padding=1, ceil_mode=True), [])
    # max 2x2 stride 2 over 5 x 5: a last window of one row or column (not
    # the unrolled 2x2 path)
    case(a, "maxpool_ceil_2x2", torch.randn(2, 2, 5, 5),
         lambda x: F.max_pool2d(x, 2, stride=2, ceil_mode=True), [])
    # average 3x3 stride 2 pad 1: the last window's divisor stops at the padded end
    case(a, "avgpool_ceil", torch.randn(2, 2, 6, 7),
         lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=True), [])
    case(a, "avgpool_ceil_exclude", torch.randn(2, 2, 6, 7),
         lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), [])
    # average 2x2 stride 2, no padding, over 5 x 5: a last window of one row or column
    case(a, "avgpool_ceil_nopad", torch.randn(2, 2, 5, 5),
         lambda x: F.avg_pool2d(x, 2, stride=2, ceil_mode=True), [])
    # ---- dilation ----
    # conv2d 3 -> 4 channels, kernel (3, 2), dilation (2, 3), padding (2, 1)
    case(a, "conv2d_dil", torch.randn(2, 3, 9, 8),
         lambda x, w, b: F.conv2d(x, w, b, padding=(2, 1), dilation=(2, 3)),
         [torch.randn(4, 3, 3, 2), torch.randn(4)])
    # conv1d 2 -> 3 channels, kernel 3, dilation 3, stride 2, padding 3
    case(a, "conv1d_dil", torch.randn(2, 2, 13),
         lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=3, dilation=3),
         [torch.randn(3, 2, 3), torch.randn(3)])
    # conv3d 2 -> 2 channels, kernel (2, 3, 3), dilation (1, 2, 2), padding (0, 2, 1)
    case(a, "conv3d_dil", torch.randn(1, 2, 5, 6, 6),
         lambda x, w, b: F.conv3d(x, w, b, padding=(0, 2, 1), dilation=(1, 2, 2)),
         [torch.randn(2, 2, 2, 3, 3), torch.randn(2)])
    # `same` with dilation: the taps span (5, 4), padded (2, 2) and (1, 2) as dlc splits them
    case(a, "conv2d_dil_same", torch.randn(2, 2, 7, 7),
         lambda x, w, b: F.conv2d(x, w, b, padding="same", dilation=(2, 3)),
         [torch.randn(3, 2, 3, 2), torch.randn(3)])
    # max 3x3 stride 2 dilation 2 pad 1; max 2x2 stride 2 dilation 2 pad 1 ceil_mode
    case(a, "maxpool_dil", torch.randn(2, 2, 9, 9),
         lambda x: F.max_pool2d(x, 3, stride=2, padding=1, dilation=2), [])
    case(a, "maxpool_dil_ceil", torch.randn(2, 2, 8, 9),
         lambda x: F.max_pool2d(x, 2, stride=2, padding=1, dilation=2, ceil_mode=True), [])
    write("window", a)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes PyTorch reference values for slice, split, subtract, multiply, abs,
square, l2normalize, gram, layernorm, channel_shuffle, upsample (nearest and bilinear),
pixel_shuffle, pixel_unshuffle and conv_transpose (tests/data/ref/layers_cut.ref,
layers_elementwise.ref, layers_norm.ref, layers_shuffle.ref, layers_upsample.ref,
layers_bilinear.ref, layers_pixel_shuffle.ref, layers_conv_transpose.ref), in the format of make_reference.py;
tests/unit/test_layers.c reads them.

Run once with Debian's python3-torch (1.13): /usr/bin/python3 tests/data/make_reference_layers.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import write  # noqa: E402

torch.manual_seed(2468)


def case(arrays, name, inputs, fn, params=()):
    """fn(*inputs, *params) -> output(s); stores inputs xK, params pK, outputs
    y (or yK for several), the output gradients dy (dyK) and the gradients
    dxK, dpK that backpropagating them gives."""
    xs = [x.clone().requires_grad_(True) for x in inputs]
    ps = [p.clone().requires_grad_(True) for p in params]
    ys = fn(*xs, *ps)
    several = isinstance(ys, (tuple, list))
    ys = list(ys) if several else [ys]
    dys = [torch.randn_like(y) for y in ys]
    torch.autograd.backward(ys, dys)
    for i, x in enumerate(xs):
        arrays["%s.x%d" % (name, i)] = x
        arrays["%s.dx%d" % (name, i)] = x.grad
    for i, p in enumerate(ps):
        arrays["%s.p%d" % (name, i)] = p
        arrays["%s.dp%d" % (name, i)] = p.grad
    for i, (y, dy) in enumerate(zip(ys, dys)):
        suffix = str(i) if several else ""
        arrays["%s.y%s" % (name, suffix)] = y
        arrays["%s.dy%s" % (name, suffix)] = dy


def away_from_zero(*shape):
    x = torch.randn(*shape)
    return x + 0.3 * torch.sign(x)


def main():
    a = {}
    # slice: axis 1 of (C, H, W) = (4, 5, 2), start -4, end -1
    case(a, "slice", [torch.randn(3, 4, 5, 2)], lambda x: x[:, :, -4:-1])
    # split: features (9) into sizes [2, -1, 3] = [2, 4, 3]
    case(a, "split", [torch.randn(3, 9)], lambda x: torch.split(x, [2, 4, 3], dim=1))
    write("layers_cut", a)
    a = {}
    case(a, "subtract", [torch.randn(4, 2, 3), torch.randn(4, 2, 3)], lambda x, y: x - y)
    case(a, "multiply", [torch.randn(4, 5), torch.randn(4, 5), torch.randn(4, 5)],
         lambda x, y, z: x * y * z)
    case(a, "abs", [away_from_zero(4, 6)], torch.abs)
    case(a, "square", [torch.randn(4, 6)], torch.square)
    write("layers_elementwise", a)
    a = {}
    # l2normalize over every value of an example, eps 1e-5 inside the root;
    # small values, so that eps matters (about 1% of the sum)
    case(a, "l2normalize", [torch.randn(3, 2, 3, 2) * 0.01],
         lambda x: x / torch.sqrt((x * x).sum(dim=(1, 2, 3), keepdim=True) + 1e-5))
    # gram: (C, H, W) = (3, 4, 5) -> (3, 3), G = F F^T / (C H W)
    def gram(x):
        n, c, h, w = x.shape
        f = x.reshape(n, c, h * w)
        return f @ f.transpose(1, 2) / (c * h * w)
    case(a, "gram", [torch.randn(2, 3, 4, 5)], gram)
    # layernorm: nn.LayerNorm(normalized_shape) with learned weight (gamma) and bias (beta)
    def ln(shape):
        return lambda x, w, b: torch.nn.functional.layer_norm(x, shape, w, b, eps=1e-5)
    case(a, "layernorm_d", [torch.randn(5, 6) * 2 + 1], ln((6,)),
         [torch.randn(6), torch.randn(6)])
    case(a, "layernorm_td", [torch.randn(3, 4, 5)], ln((5,)), [torch.randn(5), torch.randn(5)])
    case(a, "layernorm_chw", [torch.randn(2, 3, 4, 2)], ln((3, 4, 2)),
         [torch.randn(3, 4, 2), torch.randn(3, 4, 2)])
    case(a, "layernorm_hw", [torch.randn(2, 3, 4, 2)], ln((4, 2)),
         [torch.randn(4, 2), torch.randn(4, 2)])
    # over channels (ConvNeXt's LayerNorm2d: channels last, LayerNorm(C), back), 70 positions so
    # that dlc's blocks of 64 meet; its own seed, so the cases after keep their values
    state = torch.get_rng_state()
    torch.manual_seed(97531)
    def ln2d(x, w, b):
        return ln((x.shape[1],))(x.permute(0, 2, 3, 1), w, b).permute(0, 3, 1, 2)
    case(a, "layernorm_channels", [torch.randn(2, 5, 7, 10) * 2 + 1], ln2d, [torch.randn(5), torch.randn(5)])
    torch.set_rng_state(state)
    write("layers_norm", a)
    a = {}
    # channel_shuffle as torchvision's ShuffleNetV2 writes it: (C, H, W) = (6, 2, 3) in 3 groups,
    # and (6) in 2 (a vector's channels)
    def shuffle(g):
        def f(x):
            n, c = x.shape[:2]
            return x.view(n, g, c // g, *x.shape[2:]).transpose(1, 2).reshape(x.shape)
        return f
    case(a, "channel_shuffle_map", [torch.randn(2, 6, 2, 3)], shuffle(3))
    case(a, "channel_shuffle_vec", [torch.randn(3, 6)], shuffle(2))
    write("layers_shuffle", a)
    upsample()


def upsample():
    """nn.Upsample(mode='nearest') by whole factors differing by axis, 1-, 2- and 3-D maps
    (its own seed: the files above keep their draws)"""
    torch.manual_seed(1357)
    a = {}
    def up(f):
        return lambda x: torch.nn.functional.interpolate(x, scale_factor=f, mode="nearest")
    case(a, "upsample_1d", [torch.randn(2, 2, 5)], up(3))
    case(a, "upsample_2d", [torch.randn(2, 3, 3, 4)], up((2, 3)))
    case(a, "upsample_3d", [torch.randn(2, 2, 2, 3, 2)], up((2, 1, 3)))
    write("layers_upsample", a)
    bilinear()
    pixel_shuffle()
    conv_transpose()


def bilinear():
    """F.interpolate(mode='linear' / 'bilinear' / 'trilinear') by whole factors, align_corners
    False (Keras' bilinear, ONNX's half_pixel) and True"""
    torch.manual_seed(8642)
    a = {}
    F = torch.nn.functional

    def up(f, mode, align):
        return lambda x: F.interpolate(x, scale_factor=f, mode=mode, align_corners=align)
    case(a, "bilinear_2d", [torch.randn(2, 3, 3, 5)], up((2, 3), "bilinear", False))
    case(a, "bilinear_2d_align", [torch.randn(2, 3, 3, 5)], up((2, 3), "bilinear", True))
    case(a, "linear_1d", [torch.randn(2, 2, 5)], up(3, "linear", False))
    case(a, "trilinear_3d", [torch.randn(2, 2, 2, 3, 2)], up((2, 1, 3), "trilinear", False))
    case(a, "bilinear_2d_x4_align", [torch.randn(1, 2, 4, 4)], up(4, "bilinear", True))
    write("layers_bilinear", a)


def pixel_shuffle():
    """nn.PixelShuffle / nn.PixelUnshuffle (order crd) and TensorFlow's depth_to_space /
    space_to_depth written in torch (order dcr)"""
    torch.manual_seed(7531)
    a = {}

    def d2s_dcr(r):
        def f(x):
            n, c, h, w = x.shape
            return x.view(n, r, r, c // (r * r), h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c // (r * r), h * r, w * r)
        return f

    def s2d_dcr(r):
        def f(x):
            n, c, h, w = x.shape
            return x.view(n, c, h // r, r, w // r, r).permute(0, 3, 5, 1, 2, 4).reshape(n, c * r * r, h // r, w // r)
        return f
    case(a, "shuffle_crd", [torch.randn(2, 18, 2, 3)], torch.nn.PixelShuffle(3))
    case(a, "shuffle_dcr", [torch.randn(2, 18, 2, 3)], d2s_dcr(3))
    case(a, "unshuffle_crd", [torch.randn(2, 3, 4, 6)], torch.nn.PixelUnshuffle(2))
    case(a, "unshuffle_dcr", [torch.randn(2, 3, 4, 6)], s2d_dcr(2))
    write("layers_pixel_shuffle", a)


def conv_transpose():
    """nn.ConvTranspose1d/2d (F.conv_transpose*) on odd sizes: strides 2 and 3, kernels 3
    and 4, padding 1, output_padding 1, groups, dilation; Keras' padding='same' (TensorFlow
    crops the odd one at the end) as PyTorch's padding 0 cropped by hand"""
    torch.manual_seed(9753)
    a = {}
    F = torch.nn.functional

    def ct(**kw):
        return lambda x, w, b=None: F.conv_transpose2d(x, w, b, **kw)
    case(a, "ct_k3_s2_p1_op1", [torch.randn(3, 4, 5, 7)], ct(stride=2, padding=1, output_padding=1),
         [torch.randn(4, 3, 3, 3) * 0.3, torch.randn(3)])
    case(a, "ct_k4_s3_p1_op1_g2", [torch.randn(2, 4, 5, 6)],
         ct(stride=3, padding=1, output_padding=1, groups=2), [torch.randn(4, 3, 4, 4) * 0.3, torch.randn(6)])
    case(a, "ct_k34_s23_d2_nobias", [torch.randn(2, 3, 4, 5)],
         ct(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=2), [torch.randn(3, 2, 3, 4) * 0.3])
    case(a, "ct_1d_k4_s2_p1", [torch.randn(2, 2, 7)],
         lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1), [torch.randn(2, 3, 4), torch.randn(3)])
    case(a, "ct_same_k3_s2", [torch.randn(2, 2, 5, 4)],
         lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2)[:, :, :-1, :-1],
         [torch.randn(2, 3, 3, 3) * 0.3, torch.randn(3)])
    write("layers_conv_transpose", a)


if __name__ == "__main__":
    main()

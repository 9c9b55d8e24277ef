#!/usr/bin/python3
"""ONNX files for tests/cli/onnx_import.bats, in the forms other tools write
and dlc's own exports never do: Reshape with 0 and -1 in its shape, the
time-major views PyTorch's exporter puts around a batch-first recurrent layer
(Transpose, Squeeze of Y or Y_h, with Squeeze's axes as an attribute or as an
input), attributes written as packed repeated fields, and variants dlc refuses.

Writes into tests/data/onnx_import/:
  NAME.onnx          the model
  NAME.x.txt         inputs, one example per line (what `dlc predict --values` reads)
  NAME.want.txt      the model's outputs on them: PyTorch's for the models PyTorch
                     exported, numpy's (ONNX's formulas) for the hand-written ones
  bad_*.onnx         variants dlc must refuse with a message (exit 2)

  reshape            Gemm -> Reshape [0, 3, -1] -> Softmax over the last axis ->
                     Reshape [-1, 12] -> Gemm: the softmax runs over 3 rows of 4,
                     so a reshape read wrongly changes every output
  matmul_add         MatMul + Add (bias first) -> Relu -> Dropout (ratio an input) ->
                     MatMul by a Transpose of the weight -> Add
  dropout_attr       Gemm -> Dropout (ratio an attribute, opset 10) -> Gemm
  gap_packed         Conv (every int list attribute packed) -> Relu ->
                     GlobalAveragePool -> Reshape [0, -1] -> Gemm
  lstm_seq           PyTorch: nn.LSTM(batch_first) whose whole sequence goes
                     through Flatten into a Linear (opset 13: Squeeze's axes an input)
  bilstm_seq         the same bidirectional: Y Transposed (0, 2, 1, 3), Reshaped to
                     (T, N, 2H), made batch-first by Transpose (1, 0, 2)
  rnn_last           PyTorch: nn.RNN(relu, batch_first), h.squeeze(0) into a
                     Linear (opset 11: Squeeze's axes an attribute)
  gru_packed         by hand: Transpose (perm packed) -> GRU (linear_before_reset 0)
                     -> Squeeze(Y, axes [1] packed) -> Transpose -> Flatten -> Gemm
  lstm_layout1       by hand: an LSTM with layout=1 (batch-first, opset 14), Squeeze(Y, 2)
  gru_layout1        by hand: a GRU with layout=1, Squeeze(Y_h, 1); ONNX Runtime has no
                     layout=1: numpy's ONNX formulas, which agree with ONNX Runtime at layout=0
  bad_reshape_copy   Reshape [0, 0, 4]: a 0 that copies a dim other than the batch
  bad_reshape_batch  Reshape [3, -1]: the batch axis fixed
  reshape_computed   reshape's model with its first shape computed from Shape(x), as
                     x.view(x.size(0), 3, -1) writes: [x.size(0), 3, -1]
  gru_torch          PyTorch's nn.GRU (linear_before_reset 1: dlc's reset_after), its last state
  wide_concat        70 Gemms of the input (one value each) joined by one Concat, then a Gemm:
                     more inputs than a dlc layer takes (64), so concats in steps
  bad_packed_int     a packed int attribute cut inside a varint
  bad_packed_float   a packed float attribute of 5 bytes
  refused/NAME.onnx  one small model per other refusal in src/onnx/import.c (its
                     message is in onnx_import.bats)

Run once with Debian's python3-onnx (1.12) and python3-torch (1.13):
    /usr/bin/python3 tests/data/make_onnx_import.py
"""
import copy
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_import")
T, D, H = 5, 3, 4   # the recurrent models: steps, input features, units


# ---- protobuf by hand: packed repeated fields, which onnx's Python writes unpacked ----

def varint(v):
    v &= (1 << 64) - 1   # negative int64: ten bytes
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def ld(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def packed_attr(a, body=None):
    """AttributeProto a with its ints (field 8) packed; body replaces the packed bytes."""
    b = ld(1, a.name.encode()) + varint(20 << 3) + varint(a.type)
    if body is None:
        body = b"".join(varint(v) for v in a.ints)
    return b + ld(8, body)


def node_bytes(n, corrupt):
    m = copy.deepcopy(n)
    ints = [a for a in m.attribute if a.type == onnx.AttributeProto.INTS]
    keep = [a for a in m.attribute if a.type != onnx.AttributeProto.INTS]
    del m.attribute[:]
    m.attribute.extend(keep)
    b = m.SerializeToString()
    for a in ints:
        b += ld(5, packed_attr(a, corrupt.get(a.name)))
    if "floats" in corrupt:   # a float list attribute whose packed bytes are not whole floats
        b += ld(5, ld(1, b"activation_alpha") + varint(20 << 3) + varint(6) + ld(7, corrupt["floats"]))
    return b


def packed_model(model, corrupt=None):
    """The model's bytes with every int list attribute packed (ONNX files from
    other writers do this; onnx's Python never does)."""
    corrupt = corrupt or {}
    g = copy.deepcopy(model.graph)
    nodes = b"".join(ld(1, node_bytes(n, corrupt)) for n in g.node)
    del g.node[:]
    m = copy.deepcopy(model)
    m.ClearField("graph")
    return m.SerializeToString() + ld(7, nodes + g.SerializeToString())


# ---- files ----

def save(name, model, x=None, want=None, raw=None):
    path = os.path.join(OUT, name + ".onnx")
    if raw is None:
        onnx.checker.check_model(model, full_check=True)
        onnx.save(model, path)
    else:
        with open(path, "wb") as f:
            f.write(raw)
    if x is not None:
        np.savetxt(os.path.join(OUT, name + ".x.txt"), x.reshape(len(x), -1), fmt="%.8g")
        np.savetxt(os.path.join(OUT, name + ".want.txt"), want.reshape(len(want), -1), fmt="%.8g")


def graph_model(nodes, inits, x_shape, y_shape, opset=13, y="output"):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, x_shape)],
                          [helper.make_tensor_value_info(y, TensorProto.FLOAT, y_shape)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_import.py")


def i64(*v):
    return np.array(v, dtype=np.int64)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reshape_models(rng):
    W1 = rng.normal(0, 0.6, (12, 12)).astype(np.float32)
    b1 = rng.normal(0, 0.3, 12).astype(np.float32)
    W2 = rng.normal(0, 0.6, (2, 12)).astype(np.float32)
    b2 = np.array([0.1, -0.2], np.float32)
    inits = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "s1": i64(0, 3, -1), "s2": i64(-1, 12)}

    def model(s1="s1", extra=()):
        nodes = list(extra) + [
            helper.make_node("Gemm", ["input", "W1", "b1"], ["z"], transB=1),
            helper.make_node("Reshape", ["z", s1], ["r"]),
            helper.make_node("Softmax", ["r"], ["p"], axis=-1),
            helper.make_node("Reshape", ["p", "s2"], ["f"]),
            helper.make_node("Gemm", ["f", "W2", "b2"], ["output"], transB=1)]
        return graph_model(nodes, inits, ["N", 12], ["N", 2])

    x = rng.normal(0, 1, (4, 12)).astype(np.float32)
    p = softmax((x @ W1.T + b1).reshape(4, 3, 4)).reshape(4, 12)
    save("reshape", model(), x, p @ W2.T + b2)
    inits["copy"] = i64(0, 0, 4)
    inits["batch"] = i64(3, -1)
    save("bad_reshape_copy", model("copy"))
    save("bad_reshape_batch", model("batch"))
    computed = [helper.make_node("Shape", ["input"], ["sh"]),
                helper.make_node("Gather", ["sh", "zero"], ["n"], axis=0),
                helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
                helper.make_node("Concat", ["n1", "rest"], ["computed"], axis=0)]
    inits.update(zero=np.array(0, np.int64), ax0=i64(0), rest=i64(3, -1))
    save("reshape_computed", model("computed", computed), x, p @ W2.T + b2)


def linear_forms(rng):
    """A linear layer as MatMul + Add (the bias first or second), its weight
    also through Transpose, and Dropout (an identity at inference) with its
    ratio as an input (opset 13) or an attribute (opset 10)."""
    Wa = rng.normal(0, 0.6, (4, 5)).astype(np.float32)
    ba = rng.normal(0, 0.3, 5).astype(np.float32)
    Wb = rng.normal(0, 0.6, (2, 5)).astype(np.float32)
    bb = np.array([0.25, -0.5], np.float32)
    nodes = [helper.make_node("MatMul", ["input", "Wa"], ["m1"]),
             helper.make_node("Add", ["ba", "m1"], ["z1"]),
             helper.make_node("Relu", ["z1"], ["a1"]),
             helper.make_node("Dropout", ["a1", "ratio"], ["d1"]),
             helper.make_node("Transpose", ["Wb"], ["WbT"], perm=[1, 0]),
             helper.make_node("MatMul", ["d1", "WbT"], ["m2"]),
             helper.make_node("Add", ["m2", "bb"], ["output"])]
    m = graph_model(nodes, {"Wa": Wa, "ba": ba, "Wb": Wb, "bb": bb, "ratio": np.array(0.25, np.float32)},
                    ["N", 4], ["N", 2])
    x = rng.normal(0, 1, (4, 4)).astype(np.float32)
    save("matmul_add", m, x, np.maximum(x @ Wa + ba, 0) @ Wb.T + bb)
    nodes = [helper.make_node("Gemm", ["input", "Wa", "ba"], ["z"]),
             helper.make_node("Dropout", ["z"], ["d"], ratio=0.4),
             helper.make_node("Gemm", ["d", "Wb", "bb"], ["output"], transB=1)]
    m = graph_model(nodes, {"Wa": Wa, "ba": ba, "Wb": Wb, "bb": bb}, ["N", 4], ["N", 2], opset=10)
    save("dropout_attr", m, x, (x @ Wa + ba) @ Wb.T + bb)


def conv2d(x, w, b, pad):
    n, c, hh, ww = x.shape
    f, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = hh + 2 * pad - k + 1, ww + 2 * pad - k + 1
    y = np.zeros((n, f, oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = np.einsum("nckl,fckl->nf", xp[:, :, i:i + k, j:j + k], w)
    return y + b.reshape(1, f, 1, 1)


def gap_packed(rng):
    w = rng.normal(0, 0.5, (3, 2, 3, 3)).astype(np.float32)
    b = np.array([0.1, -0.1, 0.2], np.float32)
    W = rng.normal(0, 0.8, (2, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["input", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                              strides=[1, 1], dilations=[1, 1]),
             helper.make_node("Relu", ["c"], ["a"]),
             helper.make_node("GlobalAveragePool", ["a"], ["g"]),
             helper.make_node("Reshape", ["g", "s"], ["f"]),
             helper.make_node("Gemm", ["f", "W"], ["output"], transB=1)]
    m = graph_model(nodes, {"w": w, "b": b, "W": W, "s": i64(0, -1)}, ["N", 2, 4, 4], ["N", 2])
    onnx.checker.check_model(m, full_check=True)
    raw = packed_model(m)
    back = onnx.load_from_string(raw)   # protobuf reads the packed form as the same message
    assert [list(a.ints) for a in back.graph.node[0].attribute] and raw != m.SerializeToString()
    assert len(raw) < len(m.SerializeToString())
    x = rng.integers(-3, 4, (3, 2, 4, 4)).astype(np.float32)
    g = np.maximum(conv2d(x, w, b, 1), 0).mean((2, 3))
    save("gap_packed", None, x, g @ W.T, raw=raw)
    save("bad_packed_int", None, raw=packed_model(m, {"pads": b"\x01\x81"}))
    save("bad_packed_float", None, raw=packed_model(m, {"floats": b"\x00\x00\x80\x3f\x00"}))


def onnx_recurrent(op, x, W, R, B):
    """ONNX's LSTM (gates i, o, f, c) or GRU (z, r, h; linear_before_reset 0),
    one direction, zero initial state, on batch-first x (N, T, D): the whole
    sequence (N, T, H) and the last state (N, H)."""
    w, r = W[0].astype(np.float64), R[0].astype(np.float64)
    G = w.shape[0] // H
    wb, rb = B[0, :G * H], B[0, G * H:]
    h = np.zeros((len(x), H))
    c = np.zeros((len(x), H))
    ys = []
    for t in range(x.shape[1]):
        a = x[:, t] @ w.T + wb
        gate = lambda k, hh=h: a[:, k * H:(k + 1) * H] + hh @ r[k * H:(k + 1) * H].T + rb[k * H:(k + 1) * H]
        if op == "LSTM":
            i, o, f = sigmoid(gate(0)), sigmoid(gate(1)), sigmoid(gate(2))
            c = f * c + i * np.tanh(gate(3))
            h = o * np.tanh(c)
        else:
            z, rr = sigmoid(gate(0)), sigmoid(gate(1))
            h = (1 - z) * np.tanh(gate(2, rr * h)) + z * h
        ys.append(h)
    return np.stack(ys, 1), h


def batch_first(rng):
    """layout=1 (opset 14): the recurrent layer reads (N, T, D) and writes Y
    (N, T, 1, H) and Y_h (N, 1, H); the views around it squeeze axes 2 and 1."""
    for op, G, out, squeeze_axis in (("LSTM", 4, "Y", 2), ("GRU", 3, "Y_h", 1)):
        W = rng.normal(0, 0.5, (1, G * H, D)).astype(np.float32)
        R = rng.normal(0, 0.5, (1, G * H, H)).astype(np.float32)
        B = rng.normal(0, 0.3, (1, 2 * G * H)).astype(np.float32)
        n_in = T * H if out == "Y" else H
        Wo = rng.normal(0, 0.5, (2, n_in)).astype(np.float32)
        nodes = [helper.make_node(op, ["input", "W", "R", "B"], ["Y", "Y_h"], hidden_size=H, layout=1),
                 helper.make_node("Squeeze", [out, "axes"], ["sq"]),
                 helper.make_node("Flatten", ["sq"], ["f"], axis=1),
                 helper.make_node("Gemm", ["f", "Wo"], ["output"], transB=1)]
        m = graph_model(nodes, {"W": W, "R": R, "B": B, "Wo": Wo, "axes": i64(squeeze_axis)}, ["N", T, D], ["N", 2],
                        opset=14)
        x = rng.normal(0, 1, (3, T, D)).astype(np.float32)
        seq, last = onnx_recurrent(op, x, W, R, B)
        save(op.lower() + "_layout1", m, x, (seq.reshape(3, -1) if out == "Y" else last) @ Wo.T)


def gru_packed(rng):
    # ONNX's GRU, gates z, r, h; linear_before_reset 0 (dlc's form)
    Wt = rng.normal(0, 0.5, (1, 3 * H, D)).astype(np.float32)
    R = rng.normal(0, 0.5, (1, 3 * H, H)).astype(np.float32)
    B = rng.normal(0, 0.3, (1, 6 * H)).astype(np.float32)
    W = rng.normal(0, 0.5, (2, T * H)).astype(np.float32)
    nodes = [helper.make_node("Transpose", ["input"], ["tm"], perm=[1, 0, 2]),
             helper.make_node("GRU", ["tm", "Wt", "R", "B"], ["Y", "Y_h"], hidden_size=H),
             helper.make_node("Squeeze", ["Y"], ["ysq"], axes=[1]),
             helper.make_node("Transpose", ["ysq"], ["seq"], perm=[1, 0, 2]),
             helper.make_node("Flatten", ["seq"], ["f"], axis=1),
             helper.make_node("Gemm", ["f", "W"], ["output"], transB=1)]
    m = graph_model(nodes, {"Wt": Wt, "R": R, "B": B, "W": W}, ["N", T, D], ["N", 2], opset=11)
    onnx.checker.check_model(m, full_check=True)
    x = rng.normal(0, 1, (3, T, D)).astype(np.float32)
    seq = onnx_recurrent("GRU", x, Wt, R, B)[0].reshape(3, -1)
    save("gru_packed", None, x, seq @ W.T, raw=packed_model(m))


def refused():
    """One small model per form dlc refuses (refused/NAME.onnx): each must be an
    exit-2 message naming the file, and the node where there is one."""
    out = os.path.join(OUT, "refused")
    os.makedirs(out, exist_ok=True)
    f32 = lambda *shape: (np.arange(np.prod(shape), dtype=np.float32).reshape(shape) % 5 - 2) / 4
    img, vec, seq = ["N", 1, 4, 4], ["N", 4], ["N", T, D]
    conv_w = {"w": f32(2, 1, 3, 3)}
    mk = helper.make_node
    # recurrent: W, R, B of an LSTM of H units on D inputs, in the time-major view
    lstm_w = {"W": f32(1, 4 * H, D), "R": f32(1, 4 * H, H), "W2": f32(2, 4 * H, D), "R2": f32(2, 4 * H, H),
              "W3": f32(1, 3 * H, D)}
    tm = mk("Transpose", ["input"], ["tm"], perm=[1, 0, 2])

    def lstm(extra_in=(), **kw):
        return [tm, mk("LSTM", ["tm", "W", "R"] + list(extra_in), ["Y", "Y_h"], hidden_size=H, **kw),
                mk("Squeeze", ["Y_h"], ["output"], axes=[0])]

    cases = [
        ("conv_group", img, [mk("Conv", ["input", "w"], ["output"], group=2)], conv_w),
        ("conv_weight", img, [mk("Conv", ["input", "input"], ["output"])], {}),
        ("conv_dilations", img, [mk("Conv", ["input", "w"], ["output"], dilations=[2])], conv_w),
        ("conv_dilation_0", img, [mk("Conv", ["input", "w"], ["output"], dilations=[0, 1])], conv_w),
        ("conv_auto_pad", img, [mk("Conv", ["input", "w"], ["output"], auto_pad="SAME_LOWER")], conv_w),
        ("conv_pads_count", img, [mk("Conv", ["input", "w"], ["output"], pads=[1, 1])], conv_w),
        ("conv_pads_asymmetric", img, [mk("Conv", ["input", "w"], ["output"], pads=[0, 0, 2, 2])], conv_w),
        ("avgpool_dilated", img, [mk("AveragePool", ["input"], ["output"], kernel_shape=[2, 2], dilations=[2, 2])], {}),
        ("maxpool_indices", img, [mk("MaxPool", ["input"], ["output", "idx"], kernel_shape=[2, 2])], {}),
        ("pool_no_kernel", img, [mk("MaxPool", ["input"], ["output"])], {}),
        ("flatten_axis", img, [mk("Flatten", ["input"], ["output"], axis=2)], {}),
        ("gemm_trans_a", vec, [mk("Gemm", ["input", "W"], ["output"], transA=1)], {"W": f32(4, 2)}),
        ("gemm_weight", vec, [mk("Gemm", ["input", "input"], ["output"])], {}),
        ("gemm_bias", vec, [mk("Gemm", ["input", "W", "b"], ["output"])], {"W": f32(4, 2), "b": f32(3)}),
        ("add_constant", vec, [mk("Relu", ["input"], ["r"]), mk("Add", ["r", "b"], ["output"])], {"b": f32(4)}),
        ("sum_one", vec, [mk("Relu", ["input"], ["r"]), mk("Sum", ["r"], ["output"])], {}),
        ("concat_batch", vec, [mk("Relu", ["input"], ["r"]), mk("Concat", ["r", "r"], ["output"], axis=0)], {}),
        ("batchnorm_stat", vec, [mk("BatchNormalization", ["input", "g", "b", "input", "v"], ["output"])],
         {"g": f32(4), "b": f32(4), "v": f32(4) + 1}),
        # token ids (int64) through an embedding: ONNX normalizes the T steps as channels
        ("batchnorm_sequence", ["N", T], [mk("Gather", ["E", "input"], ["emb"]),
                                          mk("BatchNormalization", ["emb", "g", "b", "m", "v"], ["output"])],
         {"E": f32(7, D), "g": f32(T), "b": f32(T), "m": f32(T), "v": f32(T) + 1}),
        ("softmax_axis", seq, [mk("Softmax", ["input"], ["output"], axis=1)], {}),
        ("gather_table", vec, [mk("Gather", ["input", "i"], ["output"])], {"i": i64(0, 1)}),
        ("constant_float", vec, [mk("Constant", [], ["c"], value_float=1.0), mk("Add", ["input", "c"], ["output"])], {}),
        ("zeros_not_zero", vec, [mk("Shape", ["input"], ["s"]), mk("ConstantOfShape", ["s"], ["output"],
                                 value=numpy_helper.from_array(np.ones(1, np.float32)))], {}),
        ("sub_not_input", vec, [mk("Relu", ["input"], ["r"]), mk("Sub", ["r", "c"], ["output"])], {"c": f32(4)}),
        ("norm_size", vec, [mk("Sub", ["input", "c"], ["s"]), mk("Relu", ["s"], ["output"])], {"c": f32(3)}),
        ("transpose_layer", vec, [mk("Relu", ["input"], ["r"]), mk("Transpose", ["r"], ["output"], perm=[1, 0])], {}),
        ("unknown_ops", vec, [mk("Cos", ["input"], ["c"]), mk("Sin", ["c"], ["s"]), mk("Cos", ["s"], ["output"])], {}),
        ("used_before", vec, [mk("Relu", ["later"], ["output"]), mk("Relu", ["input"], ["later"])], {}),
        ("output_constant", vec, [mk("Identity", ["c"], ["output"])], {"c": f32(4)}),
        ("two_inputs", vec, [mk("Add", ["input", "other"], ["output"])], {}),
        ("gelu_tanh", vec, [mk("Gelu", ["input"], ["output"], approximate="tanh")], {}),
        ("free_dim", ["N", "T"], [mk("Relu", ["input"], ["output"])], {}),
        ("lstm_batch_major", seq, [mk("LSTM", ["input", "W", "R"], ["Y", "output"], hidden_size=H)], lstm_w),
        ("lstm_reverse", seq, lstm(direction="reverse"), lstm_w),
        ("lstm_clip", seq, lstm(clip=3.0), lstm_w),
        ("lstm_activations", seq, lstm(activations=["Sigmoid", "Relu", "Tanh"]), lstm_w),
        ("lstm_sequence_lens", seq, lstm(["", "lens"]), dict(lstm_w, lens=np.full(2, T, np.int32))),
        ("lstm_initial_state", seq, lstm(["", "", "h0"]), dict(lstm_w, h0=f32(1, 2, H) + 1)),
        ("lstm_weight_shape", seq, [tm, mk("LSTM", ["tm", "W3", "R"], ["Y", "Y_h"], hidden_size=H),
                                     mk("Squeeze", ["Y_h"], ["output"], axes=[0])], lstm_w),
        ("lstm_one_direction", seq, [tm, mk("LSTM", ["tm", "W2", "R2"], ["Y", "Y_h"], hidden_size=H,
                                             direction="bidirectional"),
                                     mk("Gather", ["Y_h", "last"], ["output"], axis=0)], dict(lstm_w, last=i64(-1))),
        ("layout1_gather_batch", seq, [mk("LSTM", ["input", "W", "R"], ["Y", "Y_h"], hidden_size=H, layout=1),
                                       mk("Gather", ["Y_h", "last"], ["output"], axis=0)], dict(lstm_w, last=i64(-1))),
        ("layout1_squeeze_batch", seq, [mk("LSTM", ["input", "W", "R"], ["Y", "Y_h"], hidden_size=H, layout=1),
                                        mk("Squeeze", ["Y_h"], ["output"], axes=[0])], lstm_w),
        ("lstm_both_outputs", seq, [tm, mk("LSTM", ["tm", "W", "R"], ["Y", "Y_h"], hidden_size=H),
                                    mk("Squeeze", ["Y"], ["ys"], axes=[1]),
                                    mk("Transpose", ["ys"], ["yb"], perm=[1, 0, 2]),
                                    mk("Flatten", ["yb"], ["f"], axis=1),
                                    mk("Squeeze", ["Y_h"], ["h"], axes=[0]),
                                    mk("Concat", ["f", "h"], ["output"], axis=1)], lstm_w),
    ]
    for name, x_shape, nodes, inits in cases:
        opset = {"avgpool_dilated": 19, "gelu_tanh": 20}.get(name, 11 if any(n.op_type == "Squeeze" for n in nodes) else 13)
        if name.startswith("layout1"):
            opset = 14   # layout came with opset 14, Squeeze's axes as an attribute went with 13
            for n in nodes:
                if n.op_type == "Squeeze":
                    del n.attribute[:]
                    n.input.append("axes0")
            inits = dict(inits, axes0=i64(0))
        dtype = TensorProto.INT64 if name == "batchnorm_sequence" else TensorProto.FLOAT
        inputs = [helper.make_tensor_value_info(v, dtype, x_shape) for v in ["input", "other"][:1 + (name == "two_inputs")]]
        g = helper.make_graph(nodes, name, inputs,
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_import.py")
        onnx.save(m, os.path.join(out, name + ".onnx"))   # not checked: several break ONNX's rules on purpose


class Seq(nn.Module):
    """A batch-first recurrent layer's whole output sequence into a linear layer."""

    def __init__(self, cell, bi=False):
        super().__init__()
        self.r = cell(D, H, batch_first=True, bidirectional=bi)
        self.fc = nn.Linear(T * H * (2 if bi else 1), 2)

    def forward(self, x):
        y, _ = self.r(x)
        return self.fc(y.flatten(1))


class Last(nn.Module):
    """A batch-first recurrent layer's last state, h.squeeze(0), into a linear layer."""

    def __init__(self, cell, **kw):
        super().__init__()
        self.r = cell(D, H, batch_first=True, **kw)
        self.fc = nn.Linear(H, 2)

    def forward(self, x):
        _, h = self.r(x)
        return self.fc(h.squeeze(0))


def torch_model(name, net, opset, n=3):
    x = torch.randn(n, T, D)
    net.eval()
    path = os.path.join(OUT, name + ".onnx")
    with torch.no_grad():
        y = net(x)
        torch.onnx.export(net, x, path, opset_version=opset, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    onnx.checker.check_model(onnx.load(path), full_check=True)
    if not name.startswith("bad_"):
        save(name, onnx.load(path), x.numpy(), y.numpy())


def wide_concat(rng, K=70):
    inits, nodes, parts = {}, [], []
    for k in range(K):
        inits["w%d" % k] = rng.normal(0, 1, (1, 3)).astype(np.float32)
        inits["b%d" % k] = rng.normal(0, 0.3, 1).astype(np.float32)
        nodes.append(helper.make_node("Gemm", ["input", "w%d" % k, "b%d" % k], ["p%d" % k], transB=1))
    inits["W"] = rng.normal(0, 0.3, (2, K)).astype(np.float32)
    inits["b"] = np.array([0.05, -0.1], np.float32)
    nodes += [helper.make_node("Concat", ["p%d" % k for k in range(K)], ["cat"], axis=1),
              helper.make_node("Gemm", ["cat", "W", "b"], ["output"], transB=1)]
    x = rng.normal(0, 1, (3, 3)).astype(np.float32)
    cat = np.concatenate([x @ inits["w%d" % k].T + inits["b%d" % k] for k in range(K)], 1)
    save("wide_concat", graph_model(nodes, inits, ["N", 3], ["N", 2]), x, cat @ inits["W"].T + inits["b"])


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(21)
    torch.manual_seed(21)
    reshape_models(rng)
    gap_packed(rng)
    gru_packed(rng)
    batch_first(rng)
    refused()
    torch_model("lstm_seq", Seq(nn.LSTM), 13)
    torch_model("rnn_last", Last(nn.RNN, nonlinearity="relu"), 11)
    torch_model("gru_torch", Last(nn.GRU), 13)
    torch_model("bilstm_seq", Seq(nn.LSTM, bi=True), 13)
    linear_forms(rng)   # last: the files above keep their random draws
    wide_concat(np.random.default_rng(70))


if __name__ == "__main__":
    main()

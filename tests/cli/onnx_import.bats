#!/usr/bin/env bats
# dlc import MODEL.onnx --out RUN: dlc's own exports come back with identical
# weights; PyTorch's ResNet-18 and a small LSTM (scripts/torch_to_onnx.py,
# where python3-torch is installed) predict what PyTorch computes; ops dlc
# has no layer for are listed, and bad usage is an error (exit 2).
load helpers
load onnx_import_helpers

@test "import: bad usage and ops dlc has no layer for are errors (exit 2) naming them" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet >/dev/null
    "$DLC" export run --format onnx --quiet
    run "$DLC" import run/model.onnx
    [ "$status" -eq 2 ]
    [[ "$output" == *"--out RUN is required"* ]]
    run "$DLC" import run/model.onnx --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"run/model.safetensors exists; give --force"* ]]
    # dlc's exports normalize inside: preprocessing flags would do it twice
    run "$DLC" import run/model.onnx --out imp --mean 1 --std 2
    [ "$status" -eq 2 ]
    [[ "$output" == *"the model normalizes its input itself"* ]]
    run "$DLC" import run/model.onnx --out imp --std 0
    [ "$status" -eq 2 ]
    run "$DLC" import nowhere.onnx --out imp
    [ "$status" -eq 2 ]
    head -c 100 run/model.onnx > cut.onnx
    run "$DLC" import cut.onnx --out imp
    [ "$status" -eq 2 ]
    [[ "$output" == *"cut.onnx: not a valid ONNX file"* ]]
    [ ! -e imp ]
    # a padded text model's export computes sequence lengths, and the mask that zeroes the
    # per-step outputs' padded steps, with ops dlc has no layer for
    tagged_data tags.txt
    cat > tag.yaml <<YAML
data:
  format: text
  train: {file: tags.txt}
  text: {task: tag, tokens: words, seq_len: 8}
model:
  layers:
    - {type: embedding, units: 4}
    - {type: lstm, units: 4}
    - {type: dense, units: auto}
train: {epochs: 1}
YAML
    "$DLC" train tag.yaml --out tag --quiet >/dev/null
    "$DLC" export tag --format onnx --quiet
    run "$DLC" import tag/model.onnx --out imp
    [ "$status" -eq 2 ]
    [[ "$output" == *"4 ops dlc has no layer for: Equal (node '"*"'), Not (node '"*"'), ReduceMax ("*"), Less ("* ]]
}

@test "import: attributes ONNX leaves out take ONNX's defaults (Gemm's beta 1, LeakyRelu's alpha 0.01); BatchNormalization's momentum as ONNX means it" {
    /usr/bin/python3 -c "import onnx" 2>/dev/null || skip "python3-onnx is not installed"
    # written by hand as other tools write it: no beta on Gemm, no alpha on LeakyRelu;
    # ONNX's momentum is dlc's (the share of the running value kept), not PyTorch's
    /usr/bin/python3 - <<'PY'
import numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
W = np.arange(12, dtype=np.float32).reshape(3, 4) / 10 - 0.5
b = np.array([0.5, -0.25, 1.0], dtype=np.float32)
nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["z"], transB=1),
         helper.make_node("LeakyRelu", ["z"], ["a"]),
         helper.make_node("BatchNormalization", ["a", "g", "be", "mu", "var"], ["y"], momentum=0.7)]
stats = [numpy_helper.from_array(np.full(3, v, np.float32), k)
         for k, v in (("g", 1), ("be", 0), ("mu", 0), ("var", 1))]
g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
                      [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")] + stats)
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "m.onnx")
x = np.array([[1, -2, 0.5, 3], [-1, -1, -1, -1]], dtype=np.float32)
np.savetxt("x.txt", x)
z = x @ W.T + b
np.savetxt("want.txt", np.where(z > 0, z, 0.01 * z) / np.sqrt(1 + 1e-5))
PY
    "$DLC" import m.onnx --out imp --quiet
    grep -q "alpha: 0.01$" imp/config.yaml
    grep -q "^      momentum: 0.7$" imp/config.yaml
    "$DLC" predict imp --values x.txt --logits > got.txt
    max_diff want.txt got.txt 1e-6
}

@test "import: a network ending in a map (VGG's features) predicts its values, not a softmax over the map's last axis called probabilities" {
    /usr/bin/python3 -c "import onnx" 2>/dev/null || skip "python3-onnx is not installed"
    /usr/bin/python3 - <<'PY'
import numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
rng = np.random.RandomState(1)
W = rng.randn(4, 1, 3, 3).astype(np.float32)
b = rng.randn(4).astype(np.float32) * 0.1
b[3] = -100  # a channel the ReLU zeroes everywhere (dlc's ReLU of a negative value is -0)
nodes = [helper.make_node("Conv", ["x", "W", "b"], ["z"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["z"], ["a"]),
         helper.make_node("MaxPool", ["a"], ["y"], kernel_shape=[2, 2], strides=[2, 2])]
g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, 2, 2])],
                      [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "m.onnx")
x = rng.randn(2, 1, 4, 4).astype(np.float32)
np.savetxt("x.txt", x.reshape(2, -1))
xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
z = np.zeros((2, 4, 4, 4), np.float32)
for i in range(4):
    for j in range(4):
        z[:, :, i, j] = np.einsum("ncij,fcij->nf", xp[:, :, i:i + 3, j:j + 3], W) + b
y = np.maximum(z, 0).reshape(2, 4, 2, 2, 2, 2).max(axis=(3, 5))
np.savetxt("want.txt", y.reshape(2, -1))
# the first example as a 4 x 4 grayscale PNG (pixels 0..255: the model's raw input)
import struct, zlib
px = np.clip(np.round(x[0, 0] * 40 + 128), 0, 255).astype(np.uint8)
np.savetxt("px.txt", px.reshape(1, -1).astype(np.float32))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + bytes(r) for r in px)
open("x.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0))
                          + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
    "$DLC" import m.onnx --out imp --quiet
    grep -q "^loss: mse$" imp/config.yaml
    # the values as they are, without --logits: no link is applied to them
    "$DLC" predict imp --values x.txt > got.txt
    max_diff want.txt got.txt 1e-4
    [ "$(grep -cE -- '(^| )-0( |$)' got.txt)" -eq 0 ]
    # an image: its 16 values, named as values, not a softmax over pairs called probabilities
    "$DLC" predict imp --values px.txt > want_png.txt
    "$DLC" predict imp x.png --json | jq -r '[.predictions[0].values[].value] | map(tostring) | join(" ")' > got_png.txt
    max_diff want_png.txt got_png.txt 1e-5
    "$DLC" predict imp x.png --json | jq -e '.predictions[0].top == null'
}

@test "import: dlc -> ONNX -> dlc gives identical weights and predictions (MLP, residual CNN), layers named as graph outputs too" {
    fmnist_config fm.yaml 1000 1
    "$DLC" train fm.yaml --out fm --quiet >/dev/null
    "$DLC" export fm --format onnx --out fm.onnx --quiet
    run "$DLC" import fm.onnx --out back
    [ "$status" -eq 0 ]
    [[ "$output" == "imported fm.onnx: 4 layers, 51018 parameters -> back (config.yaml, model.safetensors)" ]]
    same_weights fm/model.safetensors back/model.safetensors
    "$DLC" predict fm "$IMAGES/test/1-trouser/"*.png > a.txt
    "$DLC" predict back "$IMAGES/test/1-trouser/"*.png > b.txt
    cmp a.txt b.txt
    # layer names, class names and the loss come back too
    grep -q "name: dense_1" back/config.yaml
    grep -q "loss: softmax_cross_entropy" back/config.yaml
    cat > cnn.yaml <<YAML
name: cnn
seed: 4
data:
  format: image_folder
  train: {dir: $IMAGES/train}
model:
  input: [1, 28, 28]
  layers:
    - {name: c1, type: conv2d, filters: 4, kernel: 3, padding: same, activation: relu}
    - {name: bn, type: batchnorm}
    - {name: a, type: conv2d, filters: 4, kernel: 3, padding: 2, dilation: 2, activation: gelu}
    - {name: sum, type: add, inputs: [a, bn]}
    - {name: mp, type: maxpool, kernel: 3, stride: 2, padding: same}
    - {name: ap, type: avgpool, kernel: 3, stride: 2, padding: 1, count_include_pad: false, ceil_mode: true, inputs: [sum]}
    - {name: ap2, type: conv2d, filters: 2, kernel: 2, padding: valid, activation: leaky_relu, alpha: 0.2}
    - {name: cat, type: concat, axis: 0, inputs: [mp, ap2]}
    - {name: output, type: global_avgpool}
    - {name: logits, type: dense, units: 5, activation: softmax}
train: {epochs: 1, batch_size: 8}
YAML
    "$DLC" train cnn.yaml --out cnn --quiet >/dev/null
    # opset 20 writes gelu as one Gelu node
    "$DLC" export cnn --format onnx --opset 20 --out cnn.onnx --quiet
    run "$DLC" import cnn.onnx --out cnnback
    echo "$output"
    [ "$status" -eq 0 ]
    # layers named as the graph's outputs (the export's values "logits/out", "output/out") keep their names
    same_weights cnn/model.safetensors cnnback/model.safetensors
    grep -q "name: logits$" cnnback/config.yaml
    # and a second round trip writes the same graph
    "$DLC" export cnnback --format onnx --opset 20 --out cnn2.onnx --quiet
    /usr/bin/python3 -c "import onnx" 2>/dev/null && /usr/bin/python3 - <<'PY'
import onnx
a, b = onnx.load("cnn.onnx").graph, onnx.load("cnn2.onnx").graph
sig = lambda g: [(n.op_type, list(n.input), list(n.output)) for n in g.node]
assert sig(a) == sig(b), (sig(a), sig(b))
assert [t.name for t in a.initializer] == [t.name for t in b.initializer]
PY
    "$DLC" predict cnn "$IMAGES/test/8-bag/"*.png --top-k 5 > a.txt
    "$DLC" predict cnnback "$IMAGES/test/8-bag/"*.png --top-k 5 > b.txt
    cmp a.txt b.txt
    # the default opset (17) writes gelu as x * (1 + erf(x / sqrt 2)) / 2: it comes back as gelu
    round_trip cnn cnn17.onnx cnn17
    grep -q "activation: gelu" cnn17/config.yaml
    "$DLC" predict cnn17 "$IMAGES/test/8-bag/"*.png --top-k 5 > c.txt
    cmp a.txt c.txt
}

@test "import: a model file larger than the 64 MiB text limit (ResNet-50 is 94 MB) is read whole" {
    # 4 x 4100 + 4100 x 4100 + ... : 16.8M parameters, a 67 MB ONNX file
    iris_config iris.yaml 1
    sed -i 's/units: 8, activation: tanh}/units: 4100, activation: tanh}\n    - {type: dense, units: 4100, activation: relu}/' iris.yaml
    "$DLC" train iris.yaml --out big --quiet >/dev/null
    "$DLC" export big --format onnx --out big.onnx --quiet
    [ "$(stat -c %s big.onnx)" -gt $((64 << 20)) ]
    run "$DLC" import big.onnx --out back
    echo "$output"
    [ "$status" -eq 0 ]
    same_weights big/model.safetensors back/model.safetensors
}

@test "import: PyTorch's ResNet-18 with ImageNet preprocessing predicts PyTorch's logits (1e-4)" {
    import_torchvision resnet18 r18 2
    [[ "$output" == *"11176842 parameters"* ]]   # torchvision's ResNet-18 with a 10-class head
    "$DLC" predict run --values r18/inputs.txt --logits > dlc.txt
    run max_diff r18/expected.txt dlc.txt 1e-4
    echo "$output"
    [ "$status" -eq 0 ]
    run "$DLC" import r18/model.onnx --out bad --mean 0.5,0.5 --std 0.2
    [ "$status" -eq 2 ]
    [[ "$output" == *"--mean and --std take one value or one per channel (3)"* ]]
    # without the preprocessing flags the raw pixels go in: far from PyTorch's
    "$DLC" import r18/model.onnx --out raw --quiet
    "$DLC" predict raw --values r18/inputs.txt --logits > raw.txt
    run max_diff r18/expected.txt raw.txt 1e-4
    [ "$status" -eq 1 ]
}

@test "import: PyTorch's MobileNetV2 (depthwise convolutions, ReLU6 as Clip) predicts PyTorch's logits; the shipped config is its layout" {
    import_torchvision mobilenet_v2 mb 3
    # 17 depthwise convolutions (groups = channels), 35 ReLU6 folded into the layer before them
    [ "$(grep -c '^      groups: [1-9][0-9]' run/config.yaml)" -eq 17 ]
    [ "$(grep -c '^      activation: relu6$' run/config.yaml)" -eq 35 ]
    # logits of about +-30 (its head is widened so that inputs tell apart): 3e-5 of that; and back
    # out: dlc's export of the groups and of relu6 (Clip) runs in ONNX Runtime as dlc predicts
    predicts_like_torch mb 1e-3 1e-3
    # configs/architectures/mobilenet_v2.yaml has torchvision's parameter count (1000 classes)
    run "$DLC" summary "$ROOT/configs/architectures/mobilenet_v2.yaml"
    [ "$status" -eq 0 ]
    [[ "$output" == *"total params: 3,504,872 "* ]]
    [[ "$output" == *"b2a_dw"*"(96, 56, 56)"*"864"* ]]
}

@test "import: torchvision's ShuffleNetV2 (channel shuffle, torch.chunk's computed slices) predicts PyTorch's logits; channel_shuffle exports and comes back" {
    imports_torchvision_like 2e-4 shufflenet_v2_x0_5 sh 3   # 4.6e-5 measured, logits up to 27
    # 16 shuffles (one per block) of 2 groups; each of 13 blocks of stride 1 splits its input in two
    [ "$(grep -c '^      type: channel_shuffle$' run/config.yaml)" -eq 16 ]
    [ "$(grep -c '^      groups: 2$' run/config.yaml)" -eq 16 ]
    [ "$(grep -c '^      type: slice$' run/config.yaml)" -eq 26 ]
    # dlc's export writes PyTorch's Reshape, Transpose, Reshape; it imports as the same layers
    round_trip run back.onnx back
    [ "$(grep -c '^      type: channel_shuffle$' back/config.yaml)" -eq 16 ]
    "$DLC" predict back --values sh/inputs.txt --logits > back.txt
    cmp dlc.txt back.txt
}

@test "import: torchvision's DenseNet-121 (Pad before its average pools, concats of up to 25 maps) predicts PyTorch's logits" {
    imports_torchvision_like 2e-4 densenet121 dn 2   # 5e-5 measured, logits up to 95
    # the transitions' Pad of nothing is no layer; block 3 joins 25 maps in one concat
    [ "$(grep -c '^      type: avgpool$' run/config.yaml)" -eq 3 ]
    [ "$(grep -c '_part[0-9]*$' run/config.yaml)" -eq 0 ]
    # torchvision's 6,964,106 (10 classes) less one per channel of the 59 batch norms folded into
    # the convolution before them (its gamma and beta become the convolution's bias)
    "$DLC" summary run | grep -q "total params: 6,956,618 "
}

@test "import: torchvision's SqueezeNet 1.1, GoogLeNet, Inception v3 (Pad + AveragePool as one padded pool) and AlexNet predict PyTorch's logits" {
    imports_torchvision_like 1e-6 squeezenet1_1 sq 2       # 3e-7 measured, logits up to 0.67
    imports_torchvision_like 2e-4 googlenet gn 2           # 3.4e-5 measured, logits up to 15
    # Inception v3 at 80 x 80: logits up to about 5000 (its batch norms measured on random
    # images), within 8e-3 (1.6e-6 of them)
    need_torch_onnx
    /usr/bin/python3 "$ROOT/scripts/torch_to_onnx.py" inception_v3 i3 --size 80 --examples 2 2>/dev/null
    run "$DLC" import i3/model.onnx --out i3run --scale 0.00392156862745098 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225
    echo "$output"
    [ "$status" -eq 0 ]
    # its 9 average pools of 3 x 3, stride 1, padded by a Pad node of 1: one padded pool each
    [ "$(grep -c '^      count_include_pad: true$' i3run/config.yaml)" -eq 9 ]
    "$DLC" predict i3run --values i3/inputs.txt --logits > i3.txt
    run max_diff i3/expected.txt i3.txt 3e-2
    echo "$output"
    [ "$status" -eq 0 ]
    # AlexNet at 224 x 224 (228 MB): its adaptive pool to 6 x 6 of a 6 x 6 map is nothing
    /usr/bin/python3 "$ROOT/scripts/torch_to_onnx.py" alexnet ax --size 224 --examples 2 2>/dev/null
    "$DLC" import ax/model.onnx --out axrun --quiet --scale 0.00392156862745098 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225
    "$DLC" predict axrun --values ax/inputs.txt --logits > ax.txt
    run max_diff ax/expected.txt ax.txt 1e-6   # 2.3e-8 measured, logits up to 0.025
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "import: padding dlc has no form for (before a max pool, reflect, of the channels) and a channel shuffle not reshaped back are refused naming the node and why" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import torch
from torch import nn
import torch.nn.functional as F
x = torch.randn(1, 4, 6, 6)
torch.onnx.export(nn.Sequential(nn.Conv2d(4, 4, 1), nn.ZeroPad2d(1), nn.MaxPool2d(2)).eval(), x, "padmax.onnx", opset_version=13)
torch.onnx.export(nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(4, 4, 3)).eval(), x, "reflect.onnx", opset_version=13)
class PadC(nn.Module):
    def forward(self, x):
        return F.avg_pool2d(F.pad(x, (0, 0, 0, 0, 1, 1)), 2)
torch.onnx.export(PadC(), x, "padc.onnx", opset_version=13)
class ShuffleFlat(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(4, 4, 1)
    def forward(self, x):
        y = self.c(x)
        n, c, h, w = y.shape
        return y.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, -1)
torch.onnx.export(ShuffleFlat(), x, "shflat.onnx", opset_version=13)
up = nn.Sequential(nn.Conv2d(4, 8, 1), nn.Upsample(scale_factor=2), nn.PixelShuffle(2), nn.ConvTranspose2d(2, 4, 3, stride=2))
torch.onnx.export(up.eval(), x, "upsample.onnx", opset_version=13)
PY
    run "$DLC" import padmax.onnx --out r
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"padmax.onnx: node '"*"Pad"*"' (Pad): zero padding read by '"*"MaxPool"*"' (MaxPool): dlc has no pad layer; it pads inside a convolution or an average pool"* ]]
    run "$DLC" import reflect.onnx --out r
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"(Pad): mode reflect (dlc pads with zeros only"* ]]
    run "$DLC" import padc.onnx --out r
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"(Pad): pads the batch or channel axis"* ]]
    run "$DLC" import shflat.onnx --out r
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"(Reshape): a channel shuffle in 2 groups not reshaped back to its input's shape (N, 4, ...)"* ]]
    [ ! -e r ]
    # nearest upsampling, a pixel shuffle and a transposed convolution (Resize, DepthToSpace, ConvTranspose) import
    run "$DLC" import upsample.onnx --out up
    echo "$output"
    [ "$status" -eq 0 ]
    grep -q '^      type: pixel_shuffle$' up/config.yaml
    grep -q '^      type: conv_transpose$' up/config.yaml
}

@test "import: torch.split (Split, sizes or equal pieces) and torch.chunk (Slices of bounds computed from the shape) are slices and predict PyTorch's outputs" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import torch
from torch import nn
torch.manual_seed(0)
class Parts(nn.Module):
    def __init__(self, how):
        super().__init__()
        self.how = how
        self.c = nn.Conv2d(3, 6, 1)
    def forward(self, x):
        y = self.c(x)
        a, b = torch.split(y, [2, 4], dim=1) if self.how == "sizes" else y.chunk(2, dim=1)
        c, d = torch.split(b, 2, dim=1) if self.how == "sizes" else (b, b)
        return torch.cat([a + a, b.relu(), c - d if self.how == "sizes" else a - b], 1).flatten(1)
for how, opset in [("sizes", 13), ("sizes", 11), ("chunk", 13)]:
    net, x = Parts(how).eval(), torch.randn(2, 3, 3, 3)
    name = "%s%d" % (how, opset)
    torch.onnx.export(net, x, name + ".onnx", opset_version=opset, input_names=["input"],
                      dynamic_axes={"input": {0: "N"}})
    for suffix, t in [("x", x), ("want", net(x))]:
        with open("%s.%s.txt" % (name, suffix), "w") as f:
            f.writelines(" ".join("%.9g" % v for v in r) + "\n" for r in t.reshape(len(t), -1).tolist())
PY
    imports_like 1e-6 sizes13 sizes11 chunk13
    [ "$(grep -c 'type: slice' sizes13/config.yaml)" -eq 4 ]
    [ "$(grep -c 'type: slice' chunk13/config.yaml)" -eq 2 ]
}

@test "import: nn.ZeroPad2d before a convolution (TensorFlow's odd padding) and before an average pool, and F.pad, fold into their padding; a channel shuffle exported at one batch size; all predict PyTorch's outputs" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import torch
from torch import nn
import torch.nn.functional as F
torch.manual_seed(0)
def save(name, net, x):
    net.eval()
    torch.onnx.export(net, x, name + ".onnx", opset_version=13)
    for suffix, t in [("x", x), ("want", net(x))]:
        with open("%s.%s.txt" % (name, suffix), "w") as f:
            f.writelines(" ".join("%.9g" % v for v in r) + "\n" for r in t.reshape(len(t), -1).tolist())
# PyTorch writes ZeroPad2d's pads with ConstantOfShape, Concat, Reshape, a reversing Slice,
# Transpose: folded to constants; the odd pad after is dlc's `same`; two Pads in a row add up
save("zpad", nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU(), nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(4, 3, 3, stride=2),
                           nn.ZeroPad2d(1), nn.AvgPool2d(3), nn.Flatten()), torch.randn(2, 4, 8, 8))
class FPad(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 2, 3)
    def forward(self, x):
        return self.c(F.pad(x, (2, 2, 1, 1))).flatten(1)
save("fpad", FPad(), torch.randn(3, 3, 5, 6))
# a channel shuffle of 3 groups written by hand, exported at one batch size (its shapes constants)
class Shuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(4, 6, 1)
    def forward(self, x):
        y = self.c(x)
        n, c, h, w = y.shape
        return y.view(n, 3, c // 3, h, w).transpose(1, 2).reshape(n, c, h, w).flatten(1)
save("shuffle3", Shuffle(), torch.randn(3, 4, 5, 5))
PY
    imports_like 1e-6 zpad fpad shuffle3
    grep -q "groups: 3" shuffle3/config.yaml
    grep -q "padding: same" zpad/config.yaml
    grep -q "padding: \[1, 2\]" fpad/config.yaml
}

@test "import: PyTorch's EfficientNet-B0 (squeeze-and-excitation, SiLU as x * Sigmoid(x)) predicts PyTorch's logits; its re-export runs in ONNX Runtime; it fine-tunes (init_from, freeze)" {
    import_torchvision efficientnet_b0 eff 3
    # torchvision's 4,020,358 less the batch norms folded into the convolutions
    [[ "$output" == *"124 layers, 3999350 parameters"* ]]
    # 16 SE blocks: each a multiply of the map by its gate, whose two 1x1 convolutions are dense
    [ "$(grep -c 'type: multiply' run/config.yaml)" -eq 16 ]
    [ "$(grep -c 'type: dense' run/config.yaml)" -eq 33 ]
    [ "$(grep -c '^      activation: silu$' run/config.yaml)" -eq 49 ]
    [ "$(grep -c '^      activation: sigmoid$' run/config.yaml)" -eq 16 ]
    # logits up to 15: measured 8.8e-5 (PyTorch's own float32 is 4.7e-5 from its float64)
    predicts_like_torch eff 3e-4 1e-4
    # it fine-tunes on a user's images (gray 28 x 28 made RGB 64 x 64) with a new head of 5: every
    # layer learning, the training loss falls; the last 20 layers learning, the rest keep their weights
    local i
    for i in all 20; do
        run "$DLC" train run/config.yaml --out ft$i --set data.train.dir="$IMAGES/train" --set data.split.dev=0.25 \
            --set model.layers.123.units=5 --set init_from.run=run --set 'init_from.exclude=[logits]' \
            $([ $i = all ] || echo --set freeze.all_but_last=$i) --set train.epochs=4 --set train.batch_size=8 --quiet
        echo "$output"
        [ "$status" -eq 0 ]
    done
    awk -F, 'NR == 2 { first = $3 } END { print "train loss " first " -> " $3; exit !($3 < first / 2) }' ftall/metrics.csv
    # 166 tensors: the 20 layers' 40 learn, the others' are copied
    [ "$(identical_tensors run/model.safetensors ft20/model.safetensors | wc -l)" -eq 126 ]
}

@test "import: PyTorch's MobileNetV3 small and large (Hardswish, HardSigmoid gates) predict PyTorch's logits; a re-export runs in ONNX Runtime" {
    import_torchvision mobilenet_v3_small mb3 3
    [[ "$output" == *"1522050 parameters"* ]]
    [ "$(grep -c 'type: multiply' run/config.yaml)" -eq 9 ]
    [ "$(grep -c '^      activation: hardswish$' run/config.yaml)" -eq 19 ]
    [ "$(grep -c '^      activation: hardsigmoid$' run/config.yaml)" -eq 9 ]
    # logits up to 10: measured 1.7e-5
    predicts_like_torch mb3 1e-4 1e-4
    rm -rf run
    import_torchvision mobilenet_v3_large mb3l 3
    [[ "$output" == *"4202642 parameters"* ]]
    # logits up to 6: measured 3.7e-5
    predicts_like_torch mb3l 2e-4
}

@test "import: squeeze-and-excitation (a Conv 1x1 of a globally pooled vector is dense; the map times the gate is a multiply by a gate) over 2-D and 1-D maps predicts PyTorch's outputs; what dlc cannot express is refused naming the node" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import numpy as np, torch
from torch import nn
torch.manual_seed(6)
class SE(nn.Module):  # torchvision's SqueezeExcitation, for 1-D or 2-D maps
    def __init__(s, c, r, gate, dims=2, mean=False):
        super().__init__()
        conv = nn.Conv2d if dims == 2 else nn.Conv1d
        s.fc1, s.fc2, s.gate, s.dims, s.mean = conv(c, r, 1), conv(r, c, 1), gate, dims, mean
    def forward(s, x):
        # AdaptiveAvgPool (GlobalAveragePool), or x.mean([2, 3], keepdim=True) (ReduceMean)
        p = x.mean(list(range(2, 2 + s.dims)), keepdim=True) if s.mean else \
            (nn.functional.adaptive_avg_pool2d(x, 1) if s.dims == 2 else nn.functional.adaptive_avg_pool1d(x, 1))
        return x * s.gate(s.fc2(nn.functional.relu(s.fc1(p))))
net2 = nn.Sequential(nn.Conv2d(3, 8, 3), nn.SiLU(), SE(8, 2, nn.Sigmoid()), nn.Conv2d(8, 4, 1), nn.Hardswish(),
                     SE(4, 2, nn.Hardsigmoid(), mean=True), nn.Flatten(), nn.Linear(4 * 6 * 6, 5)).eval()
net1 = nn.Sequential(nn.Conv1d(3, 6, 3), nn.ReLU(), SE(6, 3, nn.Sigmoid(), dims=1), nn.Flatten(), nn.Linear(6 * 6, 4)).eval()
for name, net, x in (("se2d", net2, torch.randn(4, 3, 8, 8)), ("se1d", net1, torch.randn(4, 3, 8))):
    np.savetxt(name + ".x.txt", x.reshape(4, -1).numpy())
    np.savetxt(name + ".want.txt", net(x).detach().numpy())
    torch.onnx.export(net, x, name + ".onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}})
# a padded 1x1 convolution of the pooled vector (its output 3 x 3); a map times a flattened (N, C)
# vector (ONNX broadcasts it against the map's last axis)
class Wide(nn.Module):
    def __init__(s):
        super().__init__()
        s.c, s.w = nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 1, padding=1)
    def forward(s, x):
        return torch.flatten(s.w(nn.functional.adaptive_avg_pool2d(s.c(x), 1)), 1)
class Trailing(nn.Module):
    def __init__(s):
        super().__init__()
        s.c = nn.Conv2d(3, 4, 3)
    def forward(s, x):
        h = s.c(x)
        return torch.flatten(h * torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1), 1)
torch.onnx.export(Wide().eval(), torch.randn(1, 3, 6, 6), "wide.onnx", opset_version=13)
torch.onnx.export(Trailing().eval(), torch.randn(1, 3, 6, 6), "trailing.onnx", opset_version=13)
PY
    imports_like 1e-5 se2d se1d
    # the SE blocks' convolutions are dense layers; the gates' multiplies take the map and the gate
    [ "$(grep -c 'type: dense' se2d/config.yaml)" -eq 5 ]
    [ "$(grep -c 'type: multiply' se2d/config.yaml)" -eq 2 ]
    [ "$(grep -c 'type: conv2d' se2d/config.yaml)" -eq 2 ]
    [ "$(grep -c 'type: dense' se1d/config.yaml)" -eq 3 ]
    grep -q "activation: hardsigmoid" se2d/config.yaml
    # and back out: the gate reshaped to (N, C, 1, 1) runs in ONNX Runtime as dlc predicts
    if command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ]; then
        for name in se2d se1d; do
            run "$ROOT/tests/onnx/check.sh" "$DLC" $name $name.x.txt --tol 1e-5
            echo "$output"
            [ "$status" -eq 0 ]
        done
    fi
    round_trip se2d se2d.dlc.onnx back
    run "$DLC" import wide.onnx --out wide
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"(Conv): its input is a globally pooled vector of 4 channels, which dlc convolves only as a dense layer: a 1x1 kernel without padding or groups (this one is padded)"* ]]
    run "$DLC" import trailing.onnx --out trailing
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"(Mul): '"*"' is (N, 4), which ONNX broadcasts against the trailing axes of the other input (N, 4, ...), not its channels"* ]]
    [ ! -e wide ] && [ ! -e trailing ]
}

@test "import: Clip other than relu6 or relu is refused naming its bounds; a grouped conv is not" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import torch
from torch import nn
class Clip(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(2, 4, 3, groups=2)
    def forward(self, x):
        return torch.clamp(self.c(x), 0.0, 1.0)
torch.onnx.export(Clip(), torch.randn(1, 2, 5, 5), "clip.onnx", opset_version=13)
PY
    run "$DLC" import clip.onnx --out c
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"Clip to [0, 1] (dlc has relu6, Clip to [0, 6], and relu, [0, inf))"* ]]
    [ ! -e c ]
}

# import_text MODEL: scripts/torch_to_onnx.py's MODEL text classifier imported as run; its
# logits on 4 texts within 1e-4 of PyTorch's
import_text() {
    need_torch_onnx
    /usr/bin/python3 "$ROOT/scripts/torch_to_onnx.py" "$1" "$1" --examples 4 2>/dev/null
    run "$DLC" import "$1/model.onnx" --out run
    echo "$output"
    [ "$status" -eq 0 ]
    "$DLC" predict run --values "$1/inputs.txt" --logits > dlc.txt
    run max_diff "$1/expected.txt" dlc.txt 1e-4
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "import: a PyTorch embedding + LSTM text classifier predicts PyTorch's logits (1e-4)" {
    import_text lstm
    grep -q "type: lstm" run/config.yaml
}

@test "import: a PyTorch nn.GRU text classifier (linear_before_reset=1) is a reset_after GRU and predicts PyTorch's logits (1e-4)" {
    import_text gru
    grep -q "variant: reset_after" run/config.yaml
    [ "$(sort -u gru/expected.txt | wc -l)" -eq 4 ]
    # and back out: dlc's export writes linear_before_reset=1 and b_hn in R's bias
    if command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ]; then
        run "$ROOT/tests/onnx/check.sh" "$DLC" run gru/inputs.txt
        echo "$output"
        [ "$status" -eq 0 ]
    fi
}

# Hand-written and PyTorch-exported ONNX files in the forms dlc's own exports
# never write (tests/data/make_onnx_import.py; the outputs they must give are
# PyTorch's, or numpy's by ONNX's formulas, and ONNX Runtime agrees with both).
FORMS="$ROOT/tests/data/onnx_import"

# imports_as NAME OUTPUT: dlc import FORMS/NAME.onnx predicts FORMS/NAME.want.txt
# (1e-5); ONNX Runtime's OUTPUT agrees with the reference where it is installed
# (OUTPUT -: a form ONNX Runtime does not run)
imports_as() {
    "$DLC" import "$FORMS/$1.onnx" --out "$1" --quiet
    "$DLC" predict "$1" --values "$FORMS/$1.x.txt" --logits > "$1.got.txt"
    max_diff "$FORMS/$1.want.txt" "$1.got.txt" 1e-5
    if [ "$2" != - ] && command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ]; then
        node "$ROOT/tests/onnx/ort.js" check "$FORMS/$1.onnx" "$FORMS/$1.x.txt" "$FORMS/$1.want.txt" \
            --output "$2" --tol 1e-5
    fi
}

@test "import: Reshape with 0 (the batch axis) and -1 in its shape; after a global pool it folds away" {
    # a softmax over the last axis between the reshapes: the (3, 4) a reshape makes shows in every output
    imports_as reshape output
    grep -A7 "^    - name: p$" reshape/config.yaml | grep -q "^      shape: \[3, -1\]$"
    grep -A7 "^    - name: f$" reshape/config.yaml | grep -q "^      shape: \[12\]$"
    [ "$(grep -c 'type: reshape$' reshape/config.yaml)" -eq 2 ]
    # the same with its first shape computed as x.view(x.size(0), 3, -1) writes it
    imports_as reshape_computed output
    grep -A7 "^    - name: p$" reshape_computed/config.yaml | grep -q "^      shape: \[3, -1\]$"
    # GlobalAveragePool -> Reshape [0, -1]: dlc's pool output is (C) already; no layer for it
    imports_as gap_packed output
    [ "$(grep -c '^      type: ' gap_packed/config.yaml)" -eq 3 ]   # conv2d, global_avgpool, dense
    ! grep -q 'type: reshape$' gap_packed/config.yaml || false
}

@test "import: a Concat of more inputs than a dlc layer takes (70 of 64) is concats in steps, and predicts its outputs" {
    imports_as wide_concat output
    [ "$(grep -c '^      type: concat$' wide_concat/config.yaml)" -eq 2 ]
    [ "$(grep -c '_part[0-9]*$' wide_concat/config.yaml)" -eq 1 ]
}

@test "import: a linear layer as MatMul + Add (bias either side, weight through Transpose); Dropout's ratio as an input or an attribute" {
    imports_as matmul_add output
    [ "$(grep -c '^      type: dense$' matmul_add/config.yaml)" -eq 2 ]
    [ "$(grep -c '^      use_bias: true$' matmul_add/config.yaml)" -eq 2 ]
    grep -q "^      rate: 0.25$" matmul_add/config.yaml
    imports_as dropout_attr output
    grep -q "^      rate: 0.4$" dropout_attr/config.yaml
}

@test "import: PyTorch's batch-first LSTM, RNN and GRU, in the Transpose / Squeeze views its exporter writes (opsets 13 and 11), predict PyTorch's outputs" {
    # the whole sequence: Transpose -> LSTM -> Squeeze(Y, axes input) -> Transpose -> Flatten
    imports_as lstm_seq logits
    grep -A12 "type: lstm$" lstm_seq/config.yaml | grep -q "return_sequences: true"
    # bidirectional: its sequence's two directions joined per step
    imports_as bilstm_seq logits
    grep -A12 "type: lstm$" bilstm_seq/config.yaml | grep -q "bidirectional: true"
    # the last state: Transpose -> RNN (Relu) -> Squeeze(Y_h, axes attribute)
    imports_as rnn_last logits
    grep -A12 "type: rnn$" rnn_last/config.yaml | grep -q "return_sequences: false"
    grep -q "nonlinearity: relu" rnn_last/config.yaml
    # nn.GRU (linear_before_reset=1): the reset gate after the product, b_hn kept apart
    imports_as gru_torch logits
    grep -q "variant: reset_after" gru_torch/config.yaml
}

@test "import: batch-first recurrent layers (layout=1): Y squeezed at axis 2, Y_h at axis 1" {
    # ONNX Runtime has no layout=1: the references are ONNX's formulas in numpy (at layout=0,
    # where ONNX Runtime runs, they agree with it; see make_onnx_import.py)
    imports_as lstm_layout1 -
    grep -A12 "type: lstm$" lstm_layout1/config.yaml | grep -q "return_sequences: true"
    imports_as gru_layout1 -
    grep -A12 "type: gru$" gru_layout1/config.yaml | grep -q "return_sequences: false"
}

@test "import: attributes written as packed repeated fields (Conv's lists, Transpose's perm, Squeeze's axes) read as unpacked ones; a GRU in time-major views computes ONNX's GRU" {
    imports_as gap_packed output
    grep -q "^      kernel: \[3, 3\]$" gap_packed/config.yaml
    grep -q "^      padding: \[1, 1\]$" gap_packed/config.yaml
    imports_as gru_packed output
    grep -A16 "type: gru$" gru_packed/config.yaml | grep -q "return_sequences: true"
}

@test "import: Reshape, recurrent-view and packed-attribute variants dlc has no form for are refused (exit 2), naming the file, the node and why" {
    while IFS='|' read -r name want; do
        run "$DLC" import "$FORMS/$name.onnx" --out "imp_$name"
        echo "$name: $output"
        [ "$status" -eq 2 ]
        [[ "$output" == "dlc: error: $FORMS/$name.onnx: $want" ]]
        [ ! -e "imp_$name" ]
    done <<'EOF_CASES'
bad_reshape_copy|node 'r' (Reshape): a 0 (copy a dim) in the shape
bad_reshape_batch|node 'r' (Reshape): the shape fixes the batch axis at 3
bad_packed_int|not a valid ONNX file: a packed int attribute is truncated
bad_packed_float|not a valid ONNX file: a packed float attribute is truncated
EOF_CASES
}

@test "import: every other form dlc has no layer for is refused (exit 2) with its reason, naming the file and the node" {
    # tests/data/onnx_import/refused/: one small model per refusal in src/onnx/import.c
    n=0
    while IFS='|' read -r name want; do
        run "$DLC" import "$FORMS/refused/$name.onnx" --out "imp_$name"
        [ "$status" -eq 2 ] || { echo "$name: status $status: $output"; false; }
        [[ "$output" == "dlc: error: $FORMS/refused/$name.onnx: $want" ]] || { echo "$name: $output"; false; }
        [ ! -e "imp_$name" ]
        n=$((n + 1))
    done <<'EOF_CASES'
add_constant|node 'output' (Add): adds a constant to something other than a linear layer's product
avgpool_dilated|node 'output' (AveragePool): dilations on an average pool (dlc's avgpool windows are dense)
batchnorm_sequence|node 'output' (BatchNormalization): on a sequence (N, 5 steps, 3 features) it normalizes each step as a channel (PyTorch's BatchNorm1d(5) on it); dlc's batchnorm normalizes a sequence's features (BatchNorm1d(3) between two transposes): imported, it would compute another thing
batchnorm_stat|node 'output' (BatchNormalization): a statistic or scale is not a constant
concat_batch|node 'output' (Concat): axis 0 (dlc concatenates along an axis of the sample, >= 1)
constant_float|node 'c' (Constant): a constant other than a tensor
conv_auto_pad|node 'output' (Conv): auto_pad SAME_LOWER (dlc's `same` pads the odd one after, SAME_UPPER)
conv_dilation_0|node 'output' (Conv): dilations must be at least 1
conv_dilations|node 'output' (Conv): dilations has 1 values for 2 spatial axes
conv_group|node 'output' (Conv): its weight (2 filters of 1 channels) in 2 groups takes 2 input channels, the input has 1
conv_pads_asymmetric|node 'output' (Conv): asymmetric pads other than `same` (dlc pads both sides of an axis alike, or as `same` does: the odd one after)
conv_pads_count|node 'output' (Conv): pads has 2 values for 2 spatial axes
conv_weight|node 'output' (Conv): the weight is not a constant of 1 to 3 spatial axes
flatten_axis|node 'output' (Flatten): axis 2 (dlc flattens everything but the batch axis)
free_dim|input 'input' has a dimension 1 that is not fixed; dlc models take inputs of one shape: give it with --input (the example's shape, e.g. --input 3,224,224)
gather_table|node 'output' (Gather): a Gather of the input along axis 0 (dlc reads Gather as an embedding's lookup of rows in a constant matrix, or as a pick of one channel x[:, c] of the input, axis 1, in a per-channel affine of it)
gelu_tanh|node 'output' (Gelu): the tanh approximation of gelu (dlc's is the exact erf form)
gemm_bias|node 'output' (Gemm): a bias that is not one value per output unit
gemm_trans_a|node 'output' (Gemm): transA=1
gemm_weight|node 'output' (Gemm): the weight is not a constant matrix (dlc's dense has one)
lstm_activations|node 'Y' (LSTM): activations other than the defaults
lstm_batch_major|node 'Y' (LSTM): its input is not a batch-first tensor made time-major by Transpose (perm 1, 0, 2), nor batch-first with layout=1
layout1_gather_batch|node 'output' (Gather): not a lookup of rows in a constant matrix (dlc's embedding)
layout1_squeeze_batch|node 'output' (Squeeze): a Squeeze dlc's layers have no form for (only the time-major views around recurrent layers are read)
lstm_both_outputs|recurrent layer 'Y': both its sequence and its last state are used (a dlc layer gives one)
lstm_clip|node 'Y' (LSTM): clip or input_forget
lstm_initial_state|node 'Y' (LSTM): a non-zero initial state (dlc starts from zero states, over whole sequences)
lstm_one_direction|node 'output' (Gather): one direction's state of a bidirectional layer (dlc gives both, joined)
lstm_reverse|node 'Y' (LSTM): direction reverse alone
lstm_sequence_lens|node 'Y' (LSTM): sequence_lens (dlc starts from zero states, over whole sequences)
lstm_weight_shape|node 'Y' (LSTM): W or R has the wrong shape
maxpool_indices|node 'output' (MaxPool): the Indices output (dlc's max pooling has none)
norm_size|the input's normalization has 3 values for 4 inputs
output_constant|the output 'output' is not computed by a layer
pool_no_kernel|node 'output' (MaxPool): kernel_shape is missing or not 1 to 3 axes
softmax_axis|node 'output' (Softmax): softmax over axis 1 (dlc's is over the last axis, 2 here)
sub_not_input|node 'output' (Sub): Sub other than the input's normalization
sum_one|node 'output' (Sum): 1 inputs (dlc's add takes 2 to 64)
transpose_layer|node 'output' (Transpose): a Transpose dlc's layers have no form for (only the time-major views around recurrent layers are read)
two_inputs|the graph has several inputs ('input', 'other'); a dlc model has one
unknown_ops|2 ops dlc has no layer for: Cos (2 nodes, the first 'c'), Sin (node 's')
used_before|node 'output' (Relu): input 'later' is used before it is computed
zeros_not_zero|node 'output' (ConstantOfShape): a constant other than zeros
EOF_CASES
    [ "$n" -eq "$(ls "$FORMS"/refused/*.onnx | wc -l)" ]   # none without its message here
}

# A PyTorch MLP exported as users' tools write it: opsets 9 and 17 with a
# dynamic batch axis, its weights in an external data file (onnx.save_model's
# save_as_external_data, as torch.onnx.export does past 2 GB), as float16 or
# bfloat16 initializers, each Cast to float (a half-precision conversion's
# form) or used directly; x.txt and NAME.want.txt are numpy's outputs with the
# weights each file holds, in float.
user_models() {
    /usr/bin/python3 - <<'PY'
import numpy as np, onnx, torch
from onnx import helper, numpy_helper, TensorProto
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).eval()
x = torch.rand(4, 6) * 4
np.savetxt("x.txt", x.numpy())
for op in (9, 17):
    torch.onnx.export(net, x[:2], "mlp%d.onnx" % op, opset_version=op, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
def want(name, ws):
    w1, b1, w2, b2 = (w.astype(np.float64) for w in ws)
    np.savetxt(name + ".want.txt", np.tanh(x.numpy() @ w1.T + b1) @ w2.T + b2)
base = onnx.load("mlp17.onnx")
ws = [numpy_helper.to_array(t) for t in base.graph.initializer]
want("mlp", ws)
onnx.save_model(onnx.load("mlp17.onnx"), "ext.onnx", save_as_external_data=True,
                all_tensors_to_one_file=True, location="ext.weights", size_threshold=0)
def half(name, cast, bf16):
    m = onnx.load("mlp17.onnx")
    g, rounded, inits, casts = m.graph, [], [], []
    for t in g.initializer:
        a = numpy_helper.to_array(t)
        if bf16:   # bfloat16: float32's upper 16 bits, rounded to nearest even
            u = a.astype(np.float32).view(np.uint32)
            u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
            r = (u.astype(np.uint32) << 16).view(np.float32)
            h = helper.make_tensor(t.name + ("_h" if cast else ""), TensorProto.BFLOAT16, a.shape,
                                   u.tobytes(), raw=True)
        else:
            r = a.astype(np.float16)
            h = numpy_helper.from_array(r, t.name + ("_h" if cast else ""))
        rounded.append(r.astype(np.float32))
        inits.append(h)
        if cast:
            casts.append(helper.make_node("Cast", [t.name + "_h"], [t.name], to=TensorProto.FLOAT))
    del g.initializer[:]
    g.initializer.extend(inits)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    if not cast:
        g.input[0].type.tensor_type.elem_type = g.output[0].type.tensor_type.elem_type = TensorProto.FLOAT16
    onnx.save(m, name + ".onnx")
    want(name, rounded)
half("fp16_cast", True, False)
half("fp16", False, False)
half("bf16_cast", True, True)
PY
}

@test "import: a PyTorch MLP at opsets 9 and 17, with external data, float16 or bfloat16 weights, predicts its outputs" {
    need_torch_onnx
    /usr/bin/python3 -c "import onnx" 2>/dev/null || skip "python3-onnx is not installed (optional)"
    user_models
    for name in mlp9:mlp mlp17:mlp ext:mlp fp16_cast:fp16_cast fp16:fp16 bf16_cast:bf16_cast; do
        run "$DLC" import "${name%%:*}.onnx" --out "run_${name%%:*}"
        echo "$output"
        [ "$status" -eq 0 ]
        "$DLC" predict "run_${name%%:*}" --values x.txt --logits > got.txt
        run max_diff "${name#*:}.want.txt" got.txt 2e-6
        echo "${name%%:*}: $output"
        [ "$status" -eq 0 ]
    done
    # the external file is found beside the model, wherever dlc is started
    mkdir -p models && cp ext.onnx ext.weights models/
    (cd / && "$DLC" import "$TMP/models/ext.onnx" --out "$TMP/run_elsewhere" --quiet)
    "$DLC" predict run_elsewhere --values x.txt --logits > got.txt
    max_diff mlp.want.txt got.txt 2e-6
}

@test "import: external data that escapes the model's folder, is missing or is cut short: exit 2, naming the tensor" {
    need_torch_onnx
    /usr/bin/python3 -c "import onnx" 2>/dev/null || skip "python3-onnx is not installed (optional)"
    user_models
    /usr/bin/python3 - <<'PY'
import onnx
for name, location in (("escape", "../ext.weights"), ("absolute", "/etc/passwd"), ("missing", "nowhere.bin")):
    m = onnx.load("ext.onnx", load_external_data=False)
    for e in m.graph.initializer[0].external_data:
        if e.key == "location":
            e.value = location
    onnx.save(m, name + ".onnx")
PY
    mkdir -p sub && cp escape.onnx sub/
    run "$DLC" import sub/escape.onnx --out imp
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"sub/escape.onnx: tensor '"*"': external data location '../ext.weights' is outside the model file's folder"* ]]
    run "$DLC" import absolute.onnx --out imp
    [ "$status" -eq 2 ]
    [[ "$output" == *"external data location '/etc/passwd' is outside the model file's folder"* ]]
    run "$DLC" import missing.onnx --out imp
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"missing.onnx: tensor '"*"' keeps its data in nowhere.bin: No such file or directory"* ]]
    head -c 50 ext.weights > cut && mv cut ext.weights
    run "$DLC" import ext.onnx --out imp
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"ext.onnx: tensor '"*"': bytes "*" of ext.weights are past its end (50 bytes)"* ]]
    [ ! -e imp ]
}

@test "import: ops dlc has no layer for are listed with their node, a count, and another domain's by domain" {
    /usr/bin/python3 -c "import onnx" 2>/dev/null || skip "python3-onnx is not installed (optional)"
    /usr/bin/python3 - <<'PY'
import onnx
from onnx import helper, TensorProto
vi = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 4])
nodes = [helper.make_node("ReduceMax", ["input"], ["a"], name="pool/max", axes=[1], keepdims=1),
         helper.make_node("Max", ["input", "a"], ["b"], name="max"),
         helper.make_node("Selu", ["b"], ["c"], name="act1"),
         helper.make_node("Selu", ["c"], ["d"], name="act2"),
         helper.make_node("FusedGemm", ["d"], ["output"], domain="com.microsoft")]
g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4])], [vi("output")])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14), helper.make_opsetid("com.microsoft", 1)])
onnx.save(m, "ops.onnx")
PY
    run "$DLC" import ops.onnx --out imp
    echo "$output"
    [ "$status" -eq 2 ]
    [ "$output" = "dlc: error: ops.onnx: 4 ops dlc has no layer for: ReduceMax (node 'pool/max'), Max (node 'max'), Selu (2 nodes, the first 'act1'), com.microsoft.FusedGemm (node 'output')" ]
}

@test "import: PyTorch idioms - x.view(x.size(0), -1), an export at one fixed batch size, softmax(dim=1) - predict PyTorch's outputs" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(1)
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.c, s.fc = nn.Conv2d(1, 3, 3), nn.Linear(3 * 6 * 6, 4)
    def forward(s, x):
        x = F.relu(s.c(x))
        return F.softmax(s.fc(x.view(x.size(0), -1)), dim=1)
net = Net().eval()
x = torch.rand(3, 1, 8, 8) * 2
np.savetxt("x.txt", x.reshape(3, -1).numpy())
np.savetxt("want.txt", net(x).detach().numpy())
dyn = {"input": {0: "N"}, "out": {0: "N"}}
for op in (11, 13):   # softmax's axis means "flattened from 1 on" before opset 13, the axis itself after
    torch.onnx.export(net, x, "dyn%d.onnx" % op, opset_version=op, input_names=["input"], output_names=["out"],
                      dynamic_axes=dyn)
    torch.onnx.export(net, x, "fixed%d.onnx" % op, opset_version=op, input_names=["input"], output_names=["out"])
PY
    for f in dyn11 dyn13 fixed11 fixed13; do
        run "$DLC" import $f.onnx --out $f
        echo "$output"
        [ "$status" -eq 0 ]
        grep -q "^loss: softmax_cross_entropy" $f/config.yaml
        "$DLC" predict $f --values x.txt > got.txt
        max_diff want.txt got.txt 1e-6
    done
    # before opset 13 a Softmax without axis is over everything after the batch axis: of a
    # (N, 2, 3) value that is not dlc's softmax over the last axis
    /usr/bin/python3 - <<'PY'
import onnx
from onnx import helper, TensorProto
g = helper.make_graph([helper.make_node("Softmax", ["input"], ["output"])], "g",
                      [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 2, 3])],
                      [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 2, 3])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)]), "soft11.onnx")
PY
    run "$DLC" import soft11.onnx --out soft11
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"node 'output' (Softmax): softmax over axis 1 (dlc's is over the last axis, 2 here)"* ]]
}

@test "import: ReduceMean as x.mean([2, 3]) (dims kept or not) and x.mean(1) over an LSTM's steps predicts PyTorch's outputs; other means are refused" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import numpy as np, torch, torch.nn as nn
torch.manual_seed(2)
class Pool(nn.Module):
    def __init__(s, keep, axes=(2, 3)):
        super().__init__()
        s.c, s.fc, s.keep, s.axes = nn.Conv2d(1, 4, 3), nn.Linear(4 if axes == (2, 3) else 36, 3), keep, list(axes)
    def forward(s, x):
        y = torch.relu(s.c(x)).mean(s.axes, keepdim=s.keep)
        return s.fc(torch.flatten(y, 1))
class Steps(nn.Module):
    def __init__(s):
        super().__init__()
        s.l, s.fc = nn.LSTM(5, 6, batch_first=True), nn.Linear(6, 3)
    def forward(s, x):
        return s.fc(s.l(x)[0].mean(1))
for name, net, x in (("kept", Pool(True), torch.rand(3, 1, 8, 8)), ("flat", Pool(False), torch.rand(3, 1, 8, 8)),
                     ("steps", Steps(), torch.rand(3, 7, 5)), ("channels", Pool(False, (1,)), torch.rand(3, 1, 8, 8))):
    net.eval()
    torch.onnx.export(net, x, name + ".onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}})
    np.savetxt(name + ".x.txt", x.reshape(3, -1).numpy())
    np.savetxt(name + ".want.txt", net(x).detach().numpy())
PY
    imports_like 1e-6 kept flat steps
    grep -q "type: global_avgpool" kept/config.yaml
    [ "$(grep -c "type: flatten" kept/config.yaml)" -eq 0 ]   # (N, C, 1, 1) flattened: dlc's (C) already
    grep -q "type: time_avgpool" steps/config.yaml
    run "$DLC" import channels.onnx --out channels
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"(ReduceMean): a mean over other axes (dlc's are over every spatial axis of (N, C, ...), as global_avgpool, or over the steps of (N, T, D) without kept dims, as time_avgpool)"* ]]
}

@test "import: dlc -> ONNX -> dlc of recurrent layers (bidirectional sequences joined or summed, last states, a time pool) gives identical weights and predictions" {
    # the digits as sequences of 8 rows of 8 pixels
    cat > seq.yaml <<YAML
name: seq
seed: 3
data:
  format: csv
  train: {file: $ROOT/data/digits.csv}
  label: digit
  split: {dev: 0.2}
  normalize: standard
model:
  input: [8, 8]
  layers:
    - {name: l1, type: lstm, units: 6, bidirectional: true}
    - {name: g1, type: gru, units: 5, bidirectional: true, merge: sum}
    - {name: tp, type: time_avgpool}
    - {name: r1, type: rnn, units: 4, bidirectional: true, return_sequences: false, inputs: [l1]}
    - {name: g2, type: gru, units: 3, return_sequences: false, inputs: [g1]}
    - {name: cat, type: concat, inputs: [tp, r1, g2]}
    - {name: out, type: dense, units: 10}
train: {epochs: 1, batch_size: 32}
YAML
    "$DLC" train seq.yaml --out seq --quiet > /dev/null
    round_trip seq seq.onnx back
    grep -q "merge: sum" back/config.yaml
    head -21 "$ROOT/data/digits.csv" | tail -20 | cut -d, -f1-64 > x.txt
    "$DLC" predict seq --values x.txt --logits > a.txt
    "$DLC" predict back --values x.txt --logits > b.txt
    cmp a.txt b.txt
}

@test "import: a PyTorch CNN imported with its preprocessing fine-tunes on a user's images: a new head, the copied layers frozen, the normalization kept" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import torch, torch.nn as nn
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                    nn.Linear(8, 10)).eval()
torch.onnx.export(net, torch.rand(1, 1, 28, 28), "src.onnx", opset_version=13, input_names=["input"],
                  output_names=["logits"], dynamic_axes={"input": {0: "N"}})
PY
    "$DLC" import src.onnx --out src --scale 0.00392156862745098 --mean 0.5 --std 0.5 --quiet
    # the imported config with the user's data (5 classes of images) and a new head of 5
    run "$DLC" train src/config.yaml --out ft --set data.train.dir="$IMAGES/train" \
        --set data.split.dev=0.25 --set model.layers.4.units=5 --set init_from.run=src \
        --set 'init_from.exclude=[logits]' --set freeze.all_but_last=1 --set train.epochs=2
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"5 classes"* ]]
    [[ "$output" == *"init_from: weights from $TMP/src, with its input normalization"* ]]
    # every tensor but the new head's is copied, the normalization too
    identical_tensors src/model.safetensors ft/model.safetensors > same.txt
    cat same.txt
    [ "$(wc -l < same.txt)" -eq 6 ]
    grep -qx norm.shift same.txt && grep -qx norm.scale same.txt && ! grep -q '^logits' same.txt
}

@test "import: a model exported with a free height and width takes its example shape from --input" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import numpy as np, torch, torch.nn as nn
torch.manual_seed(3)
net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)).eval()
x = torch.rand(2, 3, 16, 12)
torch.onnx.export(net, x, "free.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N", 2: "H", 3: "W"}})
np.savetxt("x.txt", x.reshape(2, -1).numpy())
np.savetxt("want.txt", net(x).detach().numpy())
PY
    run "$DLC" import free.onnx --out free
    [ "$status" -eq 2 ]
    [[ "$output" == *"input 'input' has a dimension 2 that is not fixed"*"give it with --input"* ]]
    run "$DLC" import free.onnx --out free --input 4,16,12
    [ "$status" -eq 2 ]
    [[ "$output" == *"--input gives dimension 1 as 4, but input 'input' fixes it at 3"* ]]
    run "$DLC" import free.onnx --out free --input 16,12
    [ "$status" -eq 2 ]
    [[ "$output" == *"--input gives 2 dims, but input 'input' has 3 besides the batch"* ]]
    run "$DLC" import free.onnx --out free --input 3,16,x
    [ "$status" -eq 2 ]
    run "$DLC" import free.onnx --out free --input 3,16,12
    echo "$output"
    [ "$status" -eq 0 ]
    grep -q "input: \[3, 16, 12\]" free/config.yaml
    "$DLC" predict free --values x.txt --logits > got.txt
    max_diff want.txt got.txt 1e-6
}

@test "import: PyTorch's nn.GELU below opset 20 (Div, Erf, Add, Mul, Mul) is gelu, folded into its layer or, where x is used again, a layer of its own" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import numpy as np, torch, torch.nn as nn
torch.manual_seed(4)
class Net(nn.Module):
    def __init__(s, again):
        super().__init__()
        s.a, s.b, s.again = nn.Linear(6, 5), nn.Linear(5, 3), again
    def forward(s, x):
        h = s.a(x)
        g = nn.functional.gelu(h)
        return s.b(g + h if s.again else g)
x = torch.randn(4, 6) * 2
np.savetxt("x.txt", x.numpy())
for name, again in (("plain", False), ("again", True)):
    net = Net(again).eval()
    torch.onnx.export(net, x, name + ".onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}})
    np.savetxt(name + ".want.txt", net(x).detach().numpy())
PY
    for name in plain again; do
        run "$DLC" import $name.onnx --out $name
        echo "$output"
        [ "$status" -eq 0 ]
        "$DLC" predict $name --values x.txt --logits > got.txt
        max_diff $name.want.txt got.txt 1e-6
    done
    [ "$(grep -c 'type: activation' plain/config.yaml)" -eq 0 ]
    [ "$(grep -c 'type: activation' again/config.yaml)" -eq 1 ]
}

@test "import: LayerNormalization, and below opset 17 its ReduceMean ... Sqrt, Div form (PyTorch's nn.LayerNorm over the last axis or over (C, H, W), with or without gamma and beta; dlc's own exports) is layernorm" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import numpy as np, shutil, torch, torch.nn as nn
torch.manual_seed(5)
class Steps(nn.Module):
    def __init__(s):
        super().__init__()
        s.a, s.ln, s.b = nn.Linear(5, 6), nn.LayerNorm(6, eps=1e-3), nn.Linear(6, 3)
    def forward(s, x):
        return s.b(s.ln(s.a(x)).mean(1))
class Maps(nn.Module):
    def __init__(s, affine=True):
        super().__init__()
        s.c, s.ln, s.fc = nn.Conv2d(1, 3, 3), nn.LayerNorm([3, 6, 6], elementwise_affine=affine), nn.Linear(108, 2)
    def forward(s, x):
        return s.fc(torch.flatten(s.ln(s.c(x)), 1))
for name, net, x in (("steps", Steps(), torch.randn(3, 4, 5)), ("maps", Maps(), torch.randn(3, 1, 8, 8)),
                     ("plain", Maps(False), torch.randn(3, 1, 8, 8))):
    net.eval()
    if net.ln.weight is not None:
        with torch.no_grad():   # gamma and beta away from 1 and 0
            net.ln.weight.uniform_(0.5, 1.5)
            net.ln.bias.uniform_(-0.5, 0.5)
    np.savetxt(name + ".x.txt", x.reshape(3, -1).numpy())
    np.savetxt(name + ".want.txt", net(x).detach().numpy())
    # 14: PyTorch 1.13's default, the ops one by one (its opset 17 of a LayerNorm without gamma and
    # beta fails its own checker)
    for opset in (17, 14) if net.ln.weight is not None else (14,):
        torch.onnx.export(net, x, "%s%d.onnx" % (name, opset), opset_version=opset, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "N"}})
        for f in ("x", "want"):
            shutil.copy("%s.%s.txt" % (name, f), "%s%d.%s.txt" % (name, opset, f))
PY
    imports_like 1e-5 steps17 maps17 steps14 maps14 plain14
    for opset in 17 14; do
        grep -A12 "type: layernorm" steps$opset/config.yaml | grep -q "axes: 1"
        grep -A12 "type: layernorm" maps$opset/config.yaml | grep -q "axes: 3"
    done
    [ "$(grep -c 'type: layernorm' plain14/config.yaml)" -eq 1 ]
    # dlc's own: a layernorm over a flat vector
    iris_config iris.yaml 2
    sed -i 's/    - {type: dense, units: 3, activation: softmax}/    - {name: ln, type: layernorm}\n    - {type: dense, units: 3, activation: softmax}/' iris.yaml
    "$DLC" train iris.yaml --out iris --quiet > /dev/null
    round_trip iris iris.onnx iris_back
    round_trip iris iris13.onnx iris_back13 --opset 13   # (x - mean) / sqrt(var + eps) * gamma + beta
    cut -d, -f1-4 "$ROOT/data/iris.csv" | tail -5 > x.txt
    "$DLC" predict iris --values x.txt > a.txt
    "$DLC" predict iris_back13 --values x.txt > b.txt
    cmp a.txt b.txt
}


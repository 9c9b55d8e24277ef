#!/usr/bin/env bats
# dlc import of what models put before and around their layers: torchvision's
# transform_input (a per-channel affine of the input, folded into the
# normalization), PyTorch's BatchNorm of momentum=None (ONNX momentum 1), and
# HardSigmoid of any slope and offset; apart from onnx_import.bats, whose run
# is long, so that their mutations are checked in minutes.
load helpers
load onnx_import_helpers

@test "import: GoogLeNet and Inception v3 as pretrained (transform_input=True): the per-channel affine of the input folds into the normalization; PyTorch's logits" {
    need_torch_onnx
    /usr/bin/python3 -c "import torchvision" 2>/dev/null || skip "python3-torchvision is not installed (optional)"
    # GoogLeNet's x[:, c].unsqueeze(1) * a_c + b_c per channel, then torch.cat: with the ImageNet
    # flags the two compose into one normalization; dlc's re-export runs in ONNX Runtime as dlc predicts
    /usr/bin/python3 "$ROOT/scripts/torch_to_onnx.py" googlenet gnt --size 64 --examples 3 --transform-input 2>/dev/null
    run "$DLC" import gnt/model.onnx --out run --scale 0.00392156862745098 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225
    echo "$output"
    [ "$status" -eq 0 ]
    predicts_like_torch gnt 2e-4 1e-4   # 3.3e-5 measured, logits up to 11.5
    # Inception v3 at 80 x 80 the same way: logits up to about 3600 (7.2e-3 measured)
    /usr/bin/python3 "$ROOT/scripts/torch_to_onnx.py" inception_v3 i3t --size 80 --examples 2 --transform-input 2>/dev/null
    "$DLC" import i3t/model.onnx --out i3run --quiet --scale 0.00392156862745098 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225
    "$DLC" predict i3run --values i3t/inputs.txt --logits > i3.txt
    run max_diff i3t/expected.txt i3.txt 3e-2
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "import: a per-channel affine of the input in any of Mul, Add, Sub, Div (either side) folds into the normalization; other uses of the input's channels are refused naming the node" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import torch
from torch import nn
torch.manual_seed(0)
class Affine(nn.Module):
    def __init__(self, order=(0, 1, 2), extra=False):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3)
        self.order, self.extra = order, extra
    def forward(self, x):
        a, b, c = (x[:, i] for i in self.order)
        y = torch.cat([(a * 2 + 1).unsqueeze(1), (0.5 - b / 4).unsqueeze(1), (3 * (c - 0.25)).unsqueeze(1)], 1)
        y = self.c(y)
        return (y + self.c(x)).flatten(1) if self.extra else y.flatten(1)
x = torch.randn(2, 3, 5, 5)
net = Affine().eval()
torch.onnx.export(net, x, "aff.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N"}})
with open("aff.x.txt", "w") as f, open("aff.want.txt", "w") as g:
    for r in x.reshape(2, -1).tolist():
        f.write(" ".join("%.9g" % v for v in r) + "\n")
    for r in net(x).tolist():
        g.write(" ".join("%.9g" % v for v in r) + "\n")
bgr = Affine((2, 1, 0)).eval()
bgr.load_state_dict(net.state_dict())
torch.onnx.export(bgr, x, "bgr.onnx", opset_version=13)
torch.onnx.export(Affine(extra=True).eval(), x, "extra.onnx", opset_version=13)
class Rows(nn.Module):
    def forward(self, x):
        return torch.cat([x[:, :, 0].unsqueeze(2) * 2, x[:, :, 1].unsqueeze(2)], 2).flatten(1)
torch.onnx.export(Rows(), x, "rows.onnx", opset_version=13)
class Sq(nn.Module):
    def forward(self, x):
        return torch.cat([x[:, 0].unsqueeze(1) * x[:, 1].unsqueeze(1), x[:, 2].unsqueeze(1)], 1).flatten(1)
torch.onnx.export(Sq(), x, "sq.onnx", opset_version=13)
PY
    imports_like 1e-5 aff
    # a reordered channel (RGB to BGR), an input also read by another layer, a Gather of rows,
    # a product of two channels: each refused naming the node and why
    dlc_refused import bgr.onnx r "bgr.onnx: node '/Concat' (Concat): a Concat of the input's channels whose input 0 ('" "') is another channel (dlc's normalization does not reorder channels)"
    dlc_refused import extra.onnx r "extra.onnx: node '/Gather' (Gather): a pick of an input channel, where the input is read by 4 nodes (dlc folds a per-channel affine of the input when its 3 channels' picks are all that read it)"
    dlc_refused import rows.onnx r "rows.onnx: node '/Gather' (Gather): a Gather of the input along axis 2 (dlc reads Gather as an embedding's lookup"
    dlc_refused import sq.onnx r "sq.onnx: node '/Mul' (Mul): combines two picks of input channels (dlc reads picks of the input's channels, x[:, c], only as a per-channel affine"
    [ ! -e r ]
}

@test "import: PyTorch's BatchNorm1d(momentum=None) (ONNX momentum 1) keeps its running statistics, predicts PyTorch's logits and trains with dlc's momentum; a momentum outside [0, 1] is refused" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import numpy as np, onnx, torch
from torch import nn
from onnx import helper
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6, momentum=None), nn.ReLU(), nn.Linear(6, 3))
net.train()
with torch.no_grad():
    for i in range(5):  # a cumulative average of 5 batches' statistics, far from 0 and 1
        net(torch.randn(16, 4) * 3 + i)
net.eval()
x = torch.randn(4, 4) * 3 + 2
torch.onnx.export(net, x[:1], "cum.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N"}})
np.savetxt("x.txt", x.numpy())
np.savetxt("want.txt", net(x).detach().numpy())
with open("train.csv", "w") as f:
    f.write("a,b,c,d,label\n")
    for r in (torch.randn(32, 4) * 3 + 2).tolist():
        f.write(",".join("%.6g" % v for v in r) + ",%d\n" % (int(r[0] > 2) + int(r[1] > 2)))
m = onnx.load("cum.onnx")
for n in m.graph.node:
    if n.op_type == "BatchNormalization":
        for a in n.attribute:
            if a.name == "momentum":
                assert a.f == 1.0, a.f
                a.f = 1.5
onnx.save(m, "bad.onnx")
PY
    run "$DLC" import cum.onnx --out imp
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"dlc: note: 1 batch norm of ONNX momentum 1 (PyTorch's momentum=None, a cumulative average; the first '"*"BatchNormalization') keeps the file's running statistics; training after import updates them with dlc's momentum 0.9"* ]]
    grep -q "^      momentum: 0.9$" imp/config.yaml
    "$DLC" predict imp --values x.txt --logits > got.txt
    run max_diff want.txt got.txt 1e-5
    echo "$output"
    [ "$status" -eq 0 ]
    # fine-tuning moves the running statistics from the file's (momentum 0.9 of each batch's)
    "$DLC" train imp/config.yaml --out ft --quiet --set data.train.file=train.csv --set train.epochs=1 \
        --set train.batch_size=8 --set data.split.dev=0 > /dev/null
    /usr/bin/python3 - imp/model.safetensors ft/model.safetensors <<PY
$LOAD_TWO
k = [n for n in a if n.endswith("running_mean")]
assert len(k) == 1 and a[k[0]][0] == b[k[0]][0] == [6] and a[k[0]] != b[k[0]], k
PY
    dlc_refused import bad.onnx r "bad.onnx: node '" "BatchNormalization' (BatchNormalization): momentum 1.5 (ONNX's is the share of the running statistics kept, in [0, 1])"
}

@test "import: PyTorch's Hardswish (x * HardSigmoid(x) at opset 13, HardSwish at 14), Hardsigmoid and SiLU (x * Sigmoid(x)) are hardswish, hardsigmoid and silu, folded into their layers; HardSigmoid of any slope and offset (ONNX's default 0.2, 0.5) comes back from its export" {
    need_torch_onnx
    /usr/bin/python3 - <<'PY'
import numpy as np, onnx, torch, torch.nn as nn
from onnx import helper, numpy_helper, TensorProto
torch.manual_seed(5)
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1, s.c2, s.c3 = nn.Conv2d(2, 4, 3), nn.Conv2d(4, 4, 3), nn.Conv2d(4, 3, 1)
        s.fc = nn.Linear(3 * 4 * 4, 5)
        with torch.no_grad():  # values on both sides of the kinks at +-3
            s.c1.weight.mul_(6)
            s.c3.weight.mul_(6)
    def forward(s, x):
        h = nn.functional.silu(s.c2(nn.functional.hardswish(s.c1(x))))
        z = s.c3(h)  # used by two activations: each a layer of its own
        return s.fc(torch.flatten(nn.functional.hardsigmoid(z) + nn.functional.hardswish(z), 1))
net = Net().eval()
x = torch.randn(4, 2, 8, 8)
np.savetxt("x.txt", x.reshape(4, -1).numpy())
np.savetxt("want.txt", net(x).detach().numpy())
for opset in (13, 14):
    torch.onnx.export(net, x, "hard%d.onnx" % opset, opset_version=opset, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}})
# ONNX's default slope and offset, 0.2 and 0.5 (Keras'), then another, then x * HardSigmoid(x) of
# that one (not hardswish: a multiply), and a negative slope
W = np.linspace(-2, 2, 16, dtype=np.float32).reshape(4, 4)
def hs(name, **kw):
    return helper.make_node("HardSigmoid", ["x" if name == "hs" else "h1"], [name + "_out"], name=name, **kw)
nodes = [hs("hs"), helper.make_node("MatMul", ["hs_out", "W"], ["h1"]), hs("hs2", alpha=0.3, beta=0.2),
         helper.make_node("Mul", ["h1", "hs2_out"], ["y"])]
g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
                      [numpy_helper.from_array(W, "W")])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "odd.onnx")
xo = np.array([[-4, -2.4, 0.3, 2.6], [3, -1, 1.5, -0.2], [0.5, 2, -3, 1]], np.float32)
np.savetxt("xo.txt", xo)
h1 = np.clip(0.2 * xo + 0.5, 0, 1) @ W
np.savetxt("wanto.txt", h1 * np.clip(0.3 * h1 + 0.2, 0, 1))
nodes[2] = hs("hs2", alpha=-0.5)
g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
                      [numpy_helper.from_array(W, "W")])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), "neg.onnx")
PY
    for opset in 13 14; do
        run "$DLC" import hard$opset.onnx --out h$opset
        echo "$output"
        [ "$status" -eq 0 ]
        "$DLC" predict h$opset --values x.txt --logits > got.txt
        max_diff want.txt got.txt 1e-5
        # c1's hardswish and c2's silu folded into them; z's two activations are layers
        [ "$(grep -c 'type: activation' h$opset/config.yaml)" -eq 2 ]
        [ "$(grep -c 'type: multiply' h$opset/config.yaml)" -eq 0 ]
        for a in hardsigmoid hardswish silu; do grep -q "activation: $a$" h$opset/config.yaml; done
    done
    run "$DLC" import odd.onnx --out odd
    echo "$output"
    [ "$status" -eq 0 ]
    grep -q "^      slope: 0.2$" odd/config.yaml
    grep -q "^      slope: 0.3$" odd/config.yaml
    grep -q "^      offset: 0.2$" odd/config.yaml
    grep -q "type: multiply" odd/config.yaml
    ! grep -q "hardswish" odd/config.yaml || false
    "$DLC" predict odd --values xo.txt --logits > goto.txt
    run max_diff wanto.txt goto.txt 1e-6
    echo "$output"
    [ "$status" -eq 0 ]
    # exported, the slopes and offsets are the HardSigmoids' alpha and beta: back, the same layers
    # and predictions (and in ONNX Runtime, where installed)
    round_trip odd odd.back.onnx oback
    "$DLC" predict oback --values xo.txt --logits > back.txt
    cmp goto.txt back.txt
    if command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ]; then
        run "$ROOT/tests/onnx/check.sh" "$DLC" odd xo.txt --tol 1e-6
        echo "$output"
        [ "$status" -eq 0 ]
    fi
    dlc_refused import neg.onnx neg "node 'hs2' (HardSigmoid): HardSigmoid with alpha -0.5, beta 0.5 (dlc's hardsigmoid, max(0, min(1, alpha x + beta)), takes a finite slope alpha >= 0)"
    [ ! -e neg ]
    # slope and offset are hardsigmoid's keys alone
    printf 'name: x\ndata: {format: csv, train: {file: t.csv}, label: label}\nmodel:\n  input: [4]\n  layers:\n    - {type: dense, units: 3, activation: relu, slope: 0.2}\nloss: softmax_cross_entropy\n' > relu.yaml
    run "$DLC" summary relu.yaml
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"relu.yaml:6: key 'model.layers.0.slope': read by activation hardsigmoid only (this layer's is relu)"* ]]
}

@test "import: batchnorm of a sequence's features (Transposes around BatchNormalization: PyTorch's and dlc's exports) and dlc's exported scalar_mix come back" {
    need_torch_onnx
    source "$ROOT/tests/cli/helpers.bash"
    weather_texts
    # dlc's own: batchnorm over an unpadded sequence, a scalar mix of two pooled views
    classifier_config sq.yaml "    - {name: emb, type: embedding, units: 6, pad_id: -1}
    - {name: bn, type: batchnorm}
    - {name: avg, type: time_avgpool}
    - {name: d, type: dense, units: 6, activation: tanh, inputs: [emb]}
    - {name: davg, type: time_avgpool}
    - {name: mix, type: scalar_mix, inputs: [avg, davg]}" 3
    "$DLC" train sq.yaml --out sq --quiet >/dev/null
    round_trip sq sq.onnx back
    grep -q "type: scalar_mix" back/config.yaml
    [ "$(grep -c 'type: batchnorm' back/config.yaml)" -eq 1 ]
    printf '3 4 5 6 7 8 1 1 1 1 1 1\n9 10 2 3 4 5 6 7 8 9 10 11\n' > ids.txt
    "$DLC" predict sq --values ids.txt --logits > a.txt
    "$DLC" predict back --values ids.txt --logits > b.txt
    cmp a.txt b.txt
    # PyTorch's BatchNorm1d over an embedding's features, bn(x.transpose(1, 2)).transpose(1, 2)
    /usr/bin/python3 - <<'PY'
import numpy as np, torch
from torch import nn
torch.manual_seed(3)
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.emb, s.bn, s.fc = nn.Embedding(20, 6), nn.BatchNorm1d(6), nn.Linear(6, 3)
        s.bn.running_mean.uniform_(-0.5, 0.5)
        s.bn.running_var.uniform_(0.5, 2)
    def forward(s, ids):
        return s.fc(s.bn(s.emb(ids).transpose(1, 2)).transpose(1, 2).mean(1))
net = Net().eval()
ids = torch.randint(0, 20, (3, 7))
torch.onnx.export(net, ids, "tbn.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N"}})
np.savetxt("tbn.x.txt", ids.numpy(), fmt="%d")
np.savetxt("tbn.want.txt", net(ids).detach().numpy())
PY
    imports_like 1e-6 tbn
}

@test "import: ConvNeXt (torchvision's convnext_tiny): LayerNorm of a channels-last map between Transposes is layernorm over channels, its Linear layers 1x1 convolutions, layer_scale folded in; PyTorch's logits, ONNX Runtime, dlc's re-export at opsets 13 and 17, fine-tuning; other uses of a channels-last map refused naming the node" {
    need_torch_onnx
    /usr/bin/python3 -c "import torchvision" 2>/dev/null || skip "python3-torchvision is not installed (optional)"
    # 32 x 32: the stem's stride 4 and three downsamplings leave 1 x 1
    /usr/bin/python3 "$ROOT/scripts/torch_to_onnx.py" convnext_tiny cnx --size 32 --examples 3 2>/dev/null
    run "$DLC" import cnx/model.onnx --out run --scale 0.00392156862745098 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225
    echo "$output"
    [ "$status" -eq 0 ]
    # torchvision's 27827818 less the 6624 layer_scale values, folded into the convolutions before them
    [[ "$output" == *"27821194 parameters"* ]]
    # the stem's, 18 blocks', 3 downsamplings' and the head's (on the pooled vector)
    [ "$(grep -c '^      channels: true$' run/config.yaml)" -eq 23 ]
    [ "$(grep -c '^      kernel: 1$' run/config.yaml)" -eq 36 ]
    predicts_like_torch cnx 1e-4 1e-4
    # dlc's export (Transposes around LayerNormalization at 17, its ReduceMean form at 13) comes back
    local o
    for o in 13 17; do
        round_trip run back$o.onnx back$o --opset $o
        "$DLC" predict back$o --values cnx/inputs.txt --logits > back$o.txt
        cmp dlc.txt back$o.txt
    done
    # it fine-tunes on a user's images with a new head of 5: the training loss falls
    run "$DLC" train run/config.yaml --out ft --set data.train.dir="$IMAGES/train" --set data.split.dev=0.25 \
        --set model.layers.-1.units=5 --set init_from.run=run --set 'init_from.exclude=[logits]' \
        --set train.epochs=3 --set train.batch_size=8 --quiet
    echo "$output"
    [ "$status" -eq 0 ]
    awk -F, 'NR == 2 { first = $3 } END { print "train loss " first " -> " $3; exit !($3 < first / 2) }' ft/metrics.csv
    # PyTorch's LayerNormalization node (opset 17), a channels-last residual sum; and refusals
    /usr/bin/python3 - <<'PY'
import torch
from torch import nn

torch.manual_seed(3)


class Block(nn.Module):
    def __init__(self, bad=None):
        super().__init__()
        self.conv, self.norm = nn.Conv2d(3, 8, 3, padding=1), nn.LayerNorm(8, eps=1e-6)
        self.fc, self.fc2 = nn.Linear(8, 8), nn.Linear(8, 8)
        self.head, self.bad = nn.Linear(8 * 36, 4), bad
        self.scale = nn.Parameter(torch.rand(8, 1, 1) + 0.5)
        for p in self.norm.parameters():
            p.data.uniform_(0.5, 1.5)

    def forward(self, x):
        y = self.conv(x)
        t = y.permute(0, 2, 3, 1)
        if self.bad == "flatten":  # (N, H, W, C) flattened: another order than dlc's (C, H, W)
            return self.head(t.flatten(1))
        t = nn.functional.gelu(self.fc(self.norm(t))) + t  # a sum of channels-last maps
        if self.bad == "softmax":
            t = t.softmax(-1)
        t = self.fc2(t).permute(0, 3, 1, 2)
        if self.bad == "scale_relu":
            t = torch.relu(t)
        return self.head((self.scale * t + y).flatten(1))


x = torch.randn(3, 3, 6, 6)
for bad in ("flatten", "softmax", "scale_relu", None):
    net = Block(bad).eval()
    torch.onnx.export(net, x, "%s.onnx" % (bad or "block"), opset_version=17, input_names=["x"],
                      output_names=["logits"], dynamic_axes={"x": {0: "N"}})
with open("block.x.txt", "w") as f, open("block.want.txt", "w") as g:
    for a, b in zip(x.reshape(3, -1).tolist(), net(x).tolist()):
        f.write(" ".join("%.9g" % v for v in a) + "\n")
        g.write(" ".join("%.9g" % v for v in b) + "\n")
PY
    imports_like 1e-5 block
    grep -q "LayerNormalization" block.onnx
    [ "$(grep -c '^      channels: true$' block/config.yaml)" -eq 1 ]
    [ "$(grep -c '^      kernel: 1$' block/config.yaml)" -eq 2 ]
    dlc_refused import flatten.onnx r1 "node '/Flatten' (Flatten): input 0 ('/Transpose_output_0') is a map made channels-last" \
        "do this op before the Transpose or after the one back"
    dlc_refused import softmax.onnx r2 "(Softmax): input 0" "is a map made channels-last"
    dlc_refused import scale_relu.onnx r3 "(Mul): multiplies '/Relu_output_0' by a constant per channel; dlc folds that into the dense or convolution layer before it, and this is Relu_output_0 (conv2d) after its activation: multiply before the activation"
}

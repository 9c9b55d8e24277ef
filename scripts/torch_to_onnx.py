#!/usr/bin/env python3
"""Export PyTorch models to ONNX for `dlc import`, with inputs and PyTorch's outputs.

    /usr/bin/python3 scripts/torch_to_onnx.py resnet18 OUT [--size 64] [--examples 2]
    /usr/bin/python3 scripts/torch_to_onnx.py mobilenet_v2 OUT [--size 64] [--examples 2]
    /usr/bin/python3 scripts/torch_to_onnx.py efficientnet_b0 OUT [--size 64] [--examples 2]
    /usr/bin/python3 scripts/torch_to_onnx.py mobilenet_v3_small OUT [--size 64] [--examples 2]
    /usr/bin/python3 scripts/torch_to_onnx.py lstm OUT [--examples 3]
    /usr/bin/python3 scripts/torch_to_onnx.py gru OUT [--examples 3]

writes OUT/model.onnx (torch.onnx.export, opset 13, eval mode), OUT/inputs.txt
(one example per line, the raw values `dlc predict RUN --values` reads: image
pixels 0..255, token ids) and OUT/expected.txt (PyTorch's logits for them, one
line per example).  The image model sees (pixels / 255 - mean) / std with
ImageNet's mean and std, which `dlc import --scale 255 --mean ... --std ...`
stores as the run's normalization.

resnet18: torchvision's ResNet-18 (random weights: nothing is downloaded; the
batch norm statistics are made non-trivial so that they matter).
mobilenet_v2: torchvision's MobileNetV2 the same way (depthwise convolutions,
ReLU6 as Clip(0, 6)).
efficientnet_b0, mobilenet_v3_small, mobilenet_v3_large: torchvision's the same way
(squeeze-and-excitation blocks: GlobalAveragePool, two 1x1 Convs, Sigmoid or
HardSigmoid, Mul of the map by the gate; SiLU and Hardswish as x * Sigmoid(x) and
x * HardSigmoid(x); EfficientNet's stochastic depth is the identity in eval mode).
lstm: embedding 20 x 8, an LSTM of 16 units, its last state into a linear
layer of 5 classes (a text classifier).
gru: the same with nn.GRU (ONNX's linear_before_reset=1, dlc's reset_after).
shufflenet_v2_x0_5, densenet121, squeezenet1_1, googlenet, inception_v3,
alexnet: torchvision's (GoogLeNet and Inception v3 without their auxiliary
heads, and without their input transform unless --transform-input: the
pretrained models' x[:, c] * a_c + b_c per channel), batch norm statistics
measured as mobilenet_v2's.
convnext_tiny: torchvision's ConvNeXt-T (its LayerNorm on channels-last maps between
Transposes; layer_scale, the layer norms and the linear biases made non-trivial).
Needs python3-torch (and python3-torchvision for resnet18).
"""
import argparse
import os

import torch
from torch import nn

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
# models whose batch norm statistics are measured (see image_model): on smooth random images,
# or on random pixels like the examples' (EfficientNet's and MobileNetV3's logits run to 1e5
# with the smooth ones, where float32 alone is off by 1e4: a comparison would measure nothing)
MEASURED_BN = {"mobilenet_v2": "smooth", "shufflenet_v2_x0_5": "smooth", "densenet121": "smooth",
               "googlenet": "smooth", "inception_v3": "smooth", "efficientnet_b0": "pixels",
               "mobilenet_v3_small": "pixels", "mobilenet_v3_large": "pixels"}
# models whose head is widened so that the examples' logits tell apart
WIDENED = ("mobilenet_v2", "efficientnet_b0", "mobilenet_v3_small", "mobilenet_v3_large")


class TextLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 5)

    def forward(self, ids):
        _, (h, _) = self.lstm(self.emb(ids))
        return self.fc(h[-1])


def image_model(name, size, n, transform_input=False):
    import torchvision

    kw = {"aux_logits": False, "transform_input": transform_input, "init_weights": True} \
        if name in ("googlenet", "inception_v3") else {}
    net = getattr(torchvision.models, name)(weights=None, num_classes=10, **kw)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    if name.startswith("convnext"):
        # torchvision starts layer_scale at 1e-6 (each block nearly the identity) and the layer norms
        # at ones and zeros: made to matter, as trained ones do
        for m in net.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.2, 0.2)
            elif isinstance(m, nn.Linear):
                m.bias.data.uniform_(-0.1, 0.1)
            if hasattr(m, "layer_scale"):
                m.layer_scale.data.uniform_(0.2, 1.0)
    pixels = torch.randint(0, 256, (n, 3, size, size)).float()
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    x = (pixels / 255 - mean) / std
    if name in MEASURED_BN:
        # random statistics saturate their clipped activations (every output the same whatever the input):
        # measure them on random images instead, as training would (and widen the heads of WIDENED)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        if MEASURED_BN[name] == "smooth":
            calib = torch.nn.functional.interpolate(torch.randn(16, 3, 8, 8), size=(size, size), mode="bilinear")
        else:
            calib = (torch.randint(0, 256, (16, 3, size, size)).float() / 255 - mean) / std
        net.train()  # (EfficientNet's stochastic depth drops blocks here: it only moves the statistics)
        with torch.no_grad():
            net(calib)
        for m in net.modules():  # as trained: momentum=None would export as ONNX's momentum 1
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = 0.1
        if name in WIDENED:
            net.classifier[-1].weight.data.normal_(0, 0.5)
    return net, x, pixels


class TextGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.gru = nn.GRU(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 5)

    def forward(self, ids):
        _, h = self.gru(self.emb(ids))
        return self.fc(h[-1])


def lstm(n, net=None):
    net = net or TextLSTM()
    ids = torch.randint(1, 20, (n, 12))
    return net, ids, ids.float()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", choices=["resnet18", "lstm", "gru", "squeezenet1_1", "alexnet", "convnext_tiny",
                                     *MEASURED_BN])
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--examples", type=int, default=2)
    ap.add_argument("--transform-input", action="store_true",
                    help="googlenet, inception_v3: transform_input=True, as their pretrained weights")
    a = ap.parse_args()
    torch.manual_seed(0)
    if a.model in ("lstm", "gru"):
        net, x, raw = lstm(a.examples, TextGRU() if a.model == "gru" else None)
    else:
        net, x, raw = image_model(a.model, a.size, a.examples, a.transform_input)
    net.eval()
    os.makedirs(a.out, exist_ok=True)
    with torch.no_grad():
        y = net(x)
        torch.onnx.export(net, x, os.path.join(a.out, "model.onnx"), opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    for name, t in [("inputs.txt", raw), ("expected.txt", y)]:
        with open(os.path.join(a.out, name), "w") as f:
            for row in t.reshape(t.shape[0], -1).tolist():
                f.write(" ".join("%.9g" % v for v in row) + "\n")


if __name__ == "__main__":
    main()

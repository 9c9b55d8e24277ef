#!/usr/bin/env bats
# graphs.bats - general graphs in YAML as a new user writes them: an image and
# a table in one input, two heads, a block fed by a named layer, concat of
# different channel counts; and the messages of graphs that cannot be built.
load helpers

# the largest absolute difference of two files of numbers, value by value
max_abs_diff() {
    awk 'NR == FNR { for (i = 1; i <= NF; i++) a[FNR, i] = $i; next }
         { for (i = 1; i <= NF; i++) { d = $i - a[FNR, i]; if (d < 0) d = -d; if (d > m) m = d } }
         END { print m + 0 }' "$1" "$2"
}

# below X BOUND: X < BOUND (says X)
below() {
    echo "max abs diff $1"
    awk -v x="$1" -v b="$2" 'BEGIN { exit !(x < b) }'
}

# digits (8 x 8 pixels) with two table columns after the pixels, and the
# mean pixel as a second target
image_table_data() {
    awk -F, 'BEGIN { srand(3) } NR == 1 { h = $1; for (i = 2; i < NF; i++) h = h "," $i;
             print h ",age,score," $NF ",ink"; next }
             { s = 0; r = $1; for (i = 2; i < NF; i++) r = r "," $i; for (i = 1; i < NF; i++) s += $i;
               printf "%s,%.1f,%.3f,%s,%.3f\n", r, 20 + 40 * rand(), rand(), $NF, s / 64 }' \
        "$ROOT/data/digits.csv" > imgtab.csv
}

image_table_config() {
    cat > imgtab.yaml <<'YAML'
name: imgtab
seed: 1
data:
  format: csv
  train: {file: imgtab.csv}
  label: {digit: digit, ink: [ink]}
  split: {dev: 0.15, test: 0.15}
model:
  blocks:
    convbn:
      params: {filters: null}
      layers:
        - {name: conv, type: conv2d, filters: $filters, kernel: 3, padding: same, use_bias: false}
        - {name: bn, type: batchnorm, activation: relu}
  layers:
    - {name: pixels, type: slice, start: 0, end: 64, inputs: [input]}
    - {name: image, type: reshape, shape: [1, 8, 8]}
    - {name: b1, type: block, block: convbn, params: {filters: 8}}
    - {name: b2, type: block, block: convbn, params: {filters: 16}}
    - {name: side, type: block, block: convbn, params: {filters: 4}, inputs: [image]}
    - {name: cat, type: concat, inputs: [b2_bn, side_bn]}
    - {name: pool, type: maxpool, kernel: 2}
    - {name: flat, type: flatten}
    - {name: table, type: slice, start: 64, inputs: [input]}
    - {name: tab, type: dense, units: 8, activation: relu}
    - {name: join, type: concat, inputs: [flat, tab]}
    - {name: trunk, type: dense, units: 32, activation: relu}
    - {name: digit, type: dense, units: auto, activation: softmax}
    - {name: ink, type: dense, units: 1, inputs: [trunk]}
  outputs:
    - digit
    - {layer: ink, loss: mse, weight: 0.2}
train: {epochs: 4, batch_size: 32, optimizer: {type: adam, lr: 0.003}}
YAML
}

@test "an image and a table in one CSV row: slice, reshape, a block fed by inputs:, concat, two heads" {
    image_table_data
    image_table_config
    run "$DLC" summary imgtab.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"side_conv              conv2d           (4, 8, 8)                      36  image"* ]]
    [[ "$output" == *"cat                    concat           (20, 8, 8)                      0  b2_bn, side_bn"* ]]
    [[ "$output" == *"join                   concat           (328)                           0  flat, tab"* ]]
    run "$DLC" train imgtab.yaml --quiet
    [ "$status" -eq 0 ]
    jq -e '.heads[0].metrics.dev.accuracy > 0.85 and .heads[1].metrics.dev.r2 > 0.3' runs/imgtab/report.json
    run "$DLC" eval runs/imgtab --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.heads | length == 2'
    head -3 imgtab.csv > rows.csv
    run "$DLC" predict runs/imgtab rows.csv --top-k 1
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "rows.csv:2: digit: "*"; ink: "* ]]
    # the export computes what dlc does, both heads
    command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ] || skip "no ONNX Runtime"
    tail -2 imgtab.csv | cut -d, -f1-66 | tr , ' ' > values.txt
    run "$ROOT/tests/onnx/check.sh" "$DLC" runs/imgtab values.txt --output digit.probabilities,ink.output
    [ "$status" -eq 0 ]
    [[ "$output" == *"digit.probabilities,ink.output: max abs diff"* ]]
}

# a model on Fashion-MNIST's first images whose layers are $1
graph_config() {
    cat > g.yaml <<YAML
name: g
data:
  format: idx
  train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: 200}
  split: {dev: 0.2}
train: {epochs: 1}
model:
  input: [1, 28, 28]
  layers:
$1
YAML
}

@test "graphs that cannot be built are named: shapes of both inputs, a cycle, a name used twice" {
    graph_config "    - {name: c1, type: conv2d, filters: 8, kernel: 3, padding: same}
    - {name: c2, type: conv2d, filters: 16, kernel: 3, stride: 2, padding: same}
    - {name: sum, type: add, inputs: [c1, c2]}
    - {type: flatten}
    - {type: dense, units: 10, activation: softmax}"
    run "$DLC" train g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"g.yaml:12: layer 'sum' (add): inputs must have equal shapes: 'c1' is (8, 28, 28), 'c2' is (16, 14, 14) ('c1' is 2 times the size of 'c2' along each axis after the channels: a maxpool with kernel: 2 on 'c1', or an upsample with scale: 2 on 'c2', makes them one size)"* ]]
    # channels alone: what a ResNet block's shortcut does
    graph_config "    - {name: c1, type: conv2d, filters: 8, kernel: 3, padding: same}
    - {name: c2, type: conv2d, filters: 16, kernel: 3, padding: same}
    - {name: sum, type: add, inputs: [c1, c2]}"
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"'c2' is (16, 28, 28) (filters: 8 on 'c2', or a conv2d with filters: 8, kernel: 1 after it as ResNet's projection shortcut, makes the channels match)"* ]]
    graph_config "    - {name: f, type: flatten}
    - {name: a, type: dense, units: 8}
    - {name: b, type: dense, units: 4, inputs: [f]}
    - {name: s, type: add, inputs: [a, b]}"
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"'b' is (4) (units: 8 on 'b', or a dense layer with units: 8 after it, makes them match)"* ]]
    graph_config "    - {name: c1, type: conv2d, filters: 8, kernel: 3, padding: same}
    - {name: c3, type: conv2d, filters: 16, kernel: 3, stride: 2, padding: same}
    - {name: cat, type: concat, inputs: [c1, c3]}"
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'cat' (concat): inputs must agree on every axis but 0: 'c1' is (8, 28, 28), 'c3' is (16, 14, 14) ('c1' is 2 times the size of 'c3'"* ]]
    graph_config "    - {name: f, type: flatten}
    - {name: c, type: conv2d, filters: 4, kernel: 3, inputs: [input]}
    - {name: cat, type: concat, inputs: [f, c]}"
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"'f' is (784), 'c' is (4, 26, 26) (flatten both, or reshape one to the other's shape)"* ]]
    graph_config "    - {name: c1, type: conv2d, filters: 8, kernel: 3}
    - {name: c3, type: conv2d, filters: 16, kernel: 3, stride: 2, padding: same, inputs: [input]}
    - {name: cat, type: concat, inputs: [c1, c3]}"
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"'c1' is (8, 26, 26), 'c3' is (16, 14, 14) (make them one size along the axes after the channels: padding: same keeps a convolution's size"* ]]
    # Keras' channels-last axis of a concat
    graph_config "    - {name: c1, type: conv2d, filters: 8, kernel: 3, padding: same}
    - {name: c2, type: conv2d, filters: 8, kernel: 3, padding: same}
    - {name: cat, type: concat, inputs: [c1, c2], axis: -1}"
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'model.layers.2.axis': expected an integer >= 0, got -1 (an axis of the example, counted from its first, channels first: axis 0 joins the channels of (C, H, W) maps, Keras' axis=-1 of channels-last ones"* ]]
    sed -i 's/axis: -1/axis: 3/' g.yaml
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'cat' (concat): axis 3 is outside the 3 axes of its inputs (the example's axes, channels first: axis 0 joins"* ]]
    # 2 times as high, 4 times as wide: no one factor
    graph_config "    - {name: c1, type: conv2d, filters: 8, kernel: 3, padding: same}
    - {name: c3, type: conv2d, filters: 16, kernel: 3, stride: [2, 4], padding: same, inputs: [input]}
    - {name: cat, type: concat, inputs: [c1, c3]}"
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"'c3' is (16, 14, 7) (make them one size along the axes after the channels"* ]]
    graph_config "    - {name: a, type: dense, units: 8, inputs: [b]}
    - {name: b, type: dense, units: 8, inputs: [a]}"
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'b': its inputs form a cycle through 'a'"* ]]
    graph_config "    - {name: a, type: flatten}
    - {name: a, type: dense, units: 10}"
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"g.yaml:11: key 'model.layers.1.name': duplicate layer name 'a'"* ]]
    # Keras' several inputs: one input, cut apart
    graph_config "    - {type: flatten}
  inputs: {img: [1, 28, 28], table: [4]}"
    run "$DLC" summary g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'model.inputs': unknown key (dlc's name: 'model.input'; a model has one input: an image and a table are one CSV row"* ]]
}

@test "a layer no output reads is said; an output named without a loss takes the top-level one, and says so" {
    graph_config "    - {name: f, type: flatten}
    - {name: feat, type: dense, units: 16, activation: relu}
    - {name: unused, type: dense, units: 4, inputs: [f]}
    - {name: out, type: dense, units: 10, activation: softmax, inputs: [feat]}"
    run "$DLC" train g.yaml --quiet
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: layer 'unused' feeds no output of the model: its parameters never learn"* ]]
    graph_config "    - {name: f, type: flatten}
    - {name: feat, type: dense, units: 16, activation: relu}
    - {name: out, type: dense, units: 10, activation: softmax}
  outputs: [out, {layer: feat}]"
    run "$DLC" train g.yaml --force
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'feat' (dense): has 16 output units but the data has 10 classes (set units: 10); it is output 'feat' of model.outputs, with loss softmax_cross_entropy (an output without \`loss:\` takes the top-level one; a layer only read, not trained on, is model.embedding)"* ]]
}

@test "a general graph (split, slice, add of three, multiply, subtract, concat, layernorm) goes to ONNX and back" {
    cat > gx.yaml <<YAML
name: gx
seed: 1
data:
  format: csv
  train: {file: $ROOT/data/digits.csv}
  label: digit
  split: {dev: 0.2}
model:
  layers:
    - {name: img, type: reshape, shape: [1, 8, 8]}
    - {name: c1, type: conv2d, filters: 6, kernel: 3, padding: same, activation: relu}
    - {name: parts, type: split, sizes: [2, -1, 1]}
    - {name: a, type: conv2d, filters: 3, kernel: 1, inputs: [parts_1]}
    - {name: b, type: slice, start: -6, end: 3, inputs: [c1]}
    - {name: s, type: add, inputs: [a, b, a], activation: tanh}
    - {name: m, type: multiply, inputs: [s, b, a]}
    - {name: d, type: subtract, inputs: [m, a]}
    - {name: cat, type: concat, inputs: [d, parts_0, parts_2]}
    - {name: ln, type: layernorm}
    - {name: p, type: avgpool, kernel: 2}
    - {name: f, type: flatten}
    - {name: h, type: dense, units: 16, activation: gelu}
    - {name: out, type: dense, units: 10, activation: softmax}
train: {epochs: 2, batch_size: 32}
YAML
    run "$DLC" train gx.yaml --quiet
    [ "$status" -eq 0 ]
    run "$DLC" export runs/gx --format onnx
    [ "$status" -eq 0 ]
    run "$DLC" import runs/gx/model.onnx --out back
    [ "$status" -eq 0 ]
    run "$DLC" summary back
    [[ "$output" == *"parts_1                slice            (3, 8, 8)"* ]]
    [[ "$output" == *"d                      subtract         (3, 8, 8)"* ]]
    sed -n 2,4p "$ROOT/data/digits.csv" | cut -d, -f1-64 | tr , ' ' > x.txt
    "$DLC" predict runs/gx --values x.txt > want.txt
    "$DLC" predict back --values x.txt > got.txt
    cmp want.txt got.txt
    command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ] || skip "no ONNX Runtime"
    run "$ROOT/tests/onnx/check.sh" "$DLC" runs/gx x.txt
    [ "$status" -eq 0 ]
}

@test "a DenseNet block as Keras' functional API writes it: each layer reads one concat of every map before it (up to 11)" {
    {
        printf 'name: dn\nseed: 1\ndata:\n  format: csv\n  train: {file: %s/data/digits.csv}\n' "$ROOT"
        printf '  label: digit\n  split: {dev: 0.2}\ntrain: {epochs: 6, batch_size: 32, optimizer: {type: adam, lr: 0.01}}\n'
        printf 'model:\n  layers:\n    - {name: img, type: reshape, shape: [1, 8, 8]}\n'
        printf '    - {name: stem, type: conv2d, filters: 8, kernel: 3, padding: same, activation: relu}\n'
        seen=stem
        for i in $(seq 1 10); do
            printf '    - {name: l%d, type: conv2d, filters: 4, kernel: 3, padding: same, activation: relu}\n' "$i"
            seen="$seen, l$i"
            printf '    - {name: c%d, type: concat, inputs: [%s]}\n' "$i" "$seen"
        done
        printf '    - {name: gap, type: global_avgpool}\n    - {name: out, type: dense, units: 10, activation: softmax}\n'
    } > dn.yaml
    run "$DLC" summary dn.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"c10                    concat           (48, 8, 8)                      0  stem, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10"* ]]
    # PyTorch's count of the same module (torch.cat of the list of maps before each layer)
    [[ "$output" == *"total params: 9,970 "* ]]
    run "$DLC" gradcheck dn.yaml --input --batch 2 --quiet
    [ "$status" -eq 0 ]
    run "$DLC" train dn.yaml --quiet
    [ "$status" -eq 0 ]
    jq -e '.splits.dev.accuracy > 0.85' runs/dn/report.json
    run "$DLC" export runs/dn --format onnx
    [ "$status" -eq 0 ]
    run "$DLC" import runs/dn/model.onnx --out back
    [ "$status" -eq 0 ]
    run "$DLC" summary back
    [[ "$output" == *"concat           (48, 8, 8)                      0  "* ]]
    sed -n 2,4p "$ROOT/data/digits.csv" | cut -d, -f1-64 | tr , ' ' > x.txt
    "$DLC" predict runs/dn --values x.txt > want.txt
    "$DLC" predict back --values x.txt > got.txt
    cmp want.txt got.txt
    command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ] || skip "no ONNX Runtime"
    run "$ROOT/tests/onnx/check.sh" "$DLC" runs/dn x.txt
    [ "$status" -eq 0 ]
}

# a U-Net on Fashion-MNIST: two poolings down, two upsamplings back, each
# joined to the encoder's map of its scale
unet_config() {
    cat > unet.yaml <<YAML
name: unet
seed: 1
data:
  format: idx
  train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: 1000}
  split: {dev: 0.2}
train: {epochs: 3, batch_size: 32, optimizer: {type: adam, lr: 0.003}}
model:
  input: [1, 28, 28]
  layers:
    - {name: e1, type: conv2d, filters: 4, kernel: 3, padding: same, activation: relu}
    - {name: p1, type: maxpool, kernel: 2}
    - {name: e2, type: conv2d, filters: 8, kernel: 3, padding: same, activation: relu}
    - {name: p2, type: maxpool, kernel: 2}
    - {name: mid, type: conv2d, filters: 8, kernel: 3, padding: same, activation: relu}
    - {name: u2, type: upsample}
    - {name: s2, type: concat, inputs: [u2, e2]}
    - {name: d2, type: conv2d, filters: 8, kernel: 3, padding: same, activation: relu}
    - {name: u1, type: upsample, scale: [2, 2]}
    - {name: s1, type: concat, inputs: [u1, e1]}
    - {name: d1, type: conv2d, filters: 4, kernel: 3, padding: same, activation: relu}
    - {name: pool, type: avgpool, kernel: 4}
    - {type: flatten}
    - {type: dense, units: 10, activation: softmax}
YAML
}

@test "a U-Net: upsample back up the encoder's scales, concat with its maps; trains, exports (Resize) and imports back" {
    unet_config
    run "$DLC" summary unet.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"u2                     upsample         (8, 14, 14)                     0  mid"* ]]
    [[ "$output" == *"s1                     concat           (12, 28, 28)                    0  u1, e1"* ]]
    [[ "$output" == *"total params: 4,486 "* ]]   # PyTorch's count of the same module
    { cat unet.yaml; echo "    - {name: up, type: upsample, inputs: [flatten_1]}"; } > bad.yaml
    run "$DLC" summary bad.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'up' (upsample): its input 'flatten_1' is (196); upsample takes a map (channels, 1 to 3 spatial axes): a vector has no axis to enlarge (reshape it to a map first)"* ]]
    run "$DLC" train unet.yaml --quiet
    [ "$status" -eq 0 ]
    # the loss goes down, and the model learns
    awk -F, 'NR == 2 { first = $3 } END { exit !($3 < 0.6 * first) }' runs/unet/metrics.csv
    jq -e '.splits.dev.accuracy > 0.6' runs/unet/report.json
    run "$DLC" eval runs/unet --split dev
    [ "$status" -eq 0 ]
    # stopped after 2 epochs and resumed, it ends as the straight run did
    run "$DLC" train unet.yaml --set name=part --set train.epochs=2 --quiet
    [ "$status" -eq 0 ]
    run "$DLC" train runs/part/config.yaml --resume --set train.epochs=3 --quiet
    [ "$status" -eq 0 ]
    diff <(metrics_no_time runs/unet/metrics.csv) <(metrics_no_time runs/part/metrics.csv)
    run "$DLC" export runs/unet --format onnx
    [ "$status" -eq 0 ]
    run "$DLC" import runs/unet/model.onnx --out back
    [ "$status" -eq 0 ]
    grep -A8 '^    - name: u1$' back/config.yaml | grep -q '^      scale: \[2, 2\]$'
    gzip -dc "$FMNIST/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c 2352 | od -An -v -tu1 -w784 > x.txt
    "$DLC" predict runs/unet --values x.txt > want.txt
    "$DLC" predict back --values x.txt > got.txt
    cmp want.txt got.txt
    command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ] || skip "no ONNX Runtime"
    run "$ROOT/tests/onnx/check.sh" "$DLC" runs/unet x.txt
    [ "$status" -eq 0 ]
}

@test "PyTorch's nn.Upsample (nearest, scale_factor 2 used twice and (2, 3)) and torch.cat in a U-Net import as upsample and concat with PyTorch's logits" {
    /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null || skip "no python3-torch"
    /usr/bin/python3 - <<'PY'
import numpy as np, torch
from torch import nn
torch.manual_seed(5)
class U(nn.Module):
    def __init__(s):
        super().__init__()
        s.e1, s.e2 = nn.Conv2d(1, 3, 3, padding=1), nn.Conv2d(3, 4, 3, padding=1)
        s.up, s.up23 = nn.Upsample(scale_factor=2, mode="nearest"), nn.Upsample(scale_factor=(2, 3), mode="nearest")
        s.d2, s.d1 = nn.Conv2d(8, 4, 3, padding=1), nn.Conv2d(10, 2, 3, padding=1)
        s.fc = nn.Linear(2 * 12 * 12, 3)
    def forward(s, x):
        pool = nn.functional.max_pool2d
        a = torch.relu(s.e1(x))                                   # (3, 12, 12)
        b = torch.relu(s.e2(pool(a, 2)))                          # (4, 6, 6)
        c = torch.relu(s.d2(torch.cat([s.up(pool(b, 2)), b], 1)))  # (4, 6, 6)
        d = torch.cat([s.up(c), a, s.up23(pool(a, (2, 3)))], 1)  # (10, 12, 12)
        return s.fc(torch.relu(s.d1(d)).flatten(1))
m = U().eval()
x = torch.randn(3, 1, 12, 12)
torch.onnx.export(m, x, "u.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
np.savetxt("x.txt", x.reshape(3, -1).numpy(), fmt="%.8g")
np.savetxt("want.txt", m(x).detach().numpy(), fmt="%.8g")
PY
    run "$DLC" import u.onnx --out u
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(grep -c '^      type: upsample$' u/config.yaml)" -eq 3 ]
    grep -q '^      scale: \[2, 3\]$' u/config.yaml
    "$DLC" predict u --values x.txt --logits > got.txt
    below "$(max_abs_diff want.txt got.txt)" 1e-5
    # bicubic is neither nearest nor bilinear: refused, naming the node
    /usr/bin/python3 -c '
import torch
m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Upsample(scale_factor=2, mode="bicubic"))
torch.onnx.export(m, torch.randn(1, 1, 6, 6), "bc.onnx", opset_version=13, input_names=["input"])' 2>/dev/null
    run "$DLC" import bc.onnx --out bc
    [ "$status" -eq 2 ]
    [[ "$output" == *"(Resize): a mode other than nearest and linear (dlc's upsample is nearest neighbour or bilinear, by whole factors)"* ]]
}

@test "a bilinear upsample (half-pixel and align_corners) trains, exports (Resize linear), runs in ONNX Runtime and imports back; PyTorch's bilinear interpolate (both alignments) imports with PyTorch's outputs" {
    unet_config
    sed -e 's/{name: u2, type: upsample}/{name: u2, type: upsample, mode: bilinear}/' \
        -e 's/{name: u1, type: upsample, scale: \[2, 2\]}/{name: u1, type: upsample, scale: [2, 2], mode: bilinear, align_corners: true}/' \
        -e 's/^name: unet$/name: bl/' unet.yaml > bl.yaml
    grep -q 'align_corners: true' bl.yaml
    run "$DLC" train bl.yaml --set train.epochs=2 --quiet
    [ "$status" -eq 0 ]
    jq -e '.splits.dev.accuracy > 0.5' runs/bl/report.json
    run "$DLC" export runs/bl --format onnx
    [ "$status" -eq 0 ]
    run "$DLC" import runs/bl/model.onnx --out back
    [ "$status" -eq 0 ]
    grep -A12 '^    - name: u1$' back/config.yaml | grep -q '^      align_corners: true$'
    gzip -dc "$FMNIST/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c 2352 | od -An -v -tu1 -w784 > x.txt
    "$DLC" predict runs/bl --values x.txt > want.txt
    "$DLC" predict back --values x.txt > got.txt
    cmp want.txt got.txt
    # a mode a user might guess, and align_corners on nearest
    sed 's/mode: bilinear}/mode: linear}/' bl.yaml > bad.yaml
    run "$DLC" summary bad.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"(dlc's name: 'bilinear'; linear along every spatial axis, whatever their number)"* ]]
    sed 's/, mode: bilinear, align_corners: true}/, align_corners: true}/' bl.yaml > bad.yaml
    run "$DLC" summary bad.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'u1' (upsample): align_corners: true with mode: nearest (it places bilinear's samples; set mode: bilinear, or drop align_corners)"* ]]
    if /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null; then
        /usr/bin/python3 - <<'PY'
import numpy as np, torch
from torch import nn
torch.manual_seed(3)
class B(nn.Module):
    def __init__(s):
        super().__init__()
        s.c = nn.Conv2d(1, 2, 3, padding=1)
        s.fc = nn.Linear(4 * 24 * 24, 3)
    def forward(s, x):
        a = torch.tanh(s.c(x))                                                             # (2, 6, 8)
        b = nn.functional.interpolate(a, scale_factor=(4, 3), mode="bilinear", align_corners=False)
        c = nn.functional.interpolate(a, scale_factor=(4, 3), mode="bilinear", align_corners=True)
        return s.fc(torch.cat([b, c], 1).flatten(1))
m = B().eval()
x = torch.randn(3, 1, 6, 8)
torch.onnx.export(m, x, "b.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
np.savetxt("x.txt", x.reshape(3, -1).numpy(), fmt="%.8g")
np.savetxt("want.txt", m(x).detach().numpy(), fmt="%.8g")
PY
        run "$DLC" import b.onnx --out b
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(grep -c '^      mode: bilinear$' b/config.yaml)" -eq 2 ]
        "$DLC" predict b --values x.txt --logits > got.txt
        below "$(max_abs_diff want.txt got.txt)" 1e-4
    fi
    command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ] || skip "no ONNX Runtime"
    gzip -dc "$FMNIST/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c 2352 | od -An -v -tu1 -w784 > x.txt
    run "$ROOT/tests/onnx/check.sh" "$DLC" runs/bl x.txt
    [ "$status" -eq 0 ]
}

@test "two heads of different losses and weights on one CSV, one of them also read by the other: gradients, training, eval, predict, ONNX; its import says what it leaves out" {
    cat > heads.yaml <<YAML
name: heads
seed: 1
data:
  format: csv
  train: {file: $ROOT/data/iris.csv}
  label: {species: species, pw: [petal_width]}
  split: {dev: 0.2}
model:
  layers:
    - {name: h, type: dense, units: 16, activation: relu}
    - {name: pw, type: dense, units: 1}
    - {name: j, type: concat, inputs: [h, pw]}
    - {name: species, type: dense, units: auto, activation: softmax}
  outputs:
    - species
    - {layer: pw, loss: mse, weight: 0.5}
train: {epochs: 30, batch_size: 16, optimizer: {type: adam, lr: 0.01}}
YAML
    run "$DLC" summary heads.yaml
    [[ "$output" == *"j                      concat           (17)                            0  h, pw"* ]]
    [[ "$output" == *"output pw: layer pw, loss mse, weight 0.5"* ]]
    # pw's gradient is its own loss's (times 0.5) and what species sends back through j
    run "$DLC" gradcheck heads.yaml --input --quiet
    [ "$status" -eq 0 ]
    run "$DLC" train heads.yaml --quiet
    [ "$status" -eq 0 ]
    # the total is 1 x species + 0.5 x pw in every epoch line
    awk -F, 'NR > 1 { d = $3 - ($9 + 0.5 * $13); if (d < 0) d = -d; if (d > 1e-4 * $3) bad = 1 } END { exit bad }' runs/heads/metrics.csv
    awk -F, 'NR == 2 { a = $9; b = $13 } END { exit !($9 < 0.5 * a && $13 < 0.2 * b) }' runs/heads/metrics.csv
    jq -e '.heads[0].metrics.dev.accuracy > 0.85 and .heads[1].metrics.dev.r2 > 0.8' runs/heads/report.json
    run "$DLC" eval runs/heads --split dev --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.heads | length == 2'
    printf '5.1 3.5 1.4\n6.7 3.0 5.2\n' > x.txt
    run "$DLC" predict runs/heads --values x.txt
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    run "$DLC" export runs/heads --format onnx
    [ "$status" -eq 0 ]
    run "$DLC" import runs/heads/model.onnx --out back
    [ "$status" -eq 0 ]
    [[ "$output" == *"dlc: note: runs/heads/model.onnx has 1 output besides 'species.logits', left out: 'pw.output' (dlc import reads one output"* ]]
    # a one-head export says nothing of its probabilities
    run "$DLC" import runs/heads/model.onnx --out back --force
    "$DLC" export back --format onnx --out one.onnx --quiet
    run "$DLC" import one.onnx --out one
    [ "$status" -eq 0 ]
    [[ "$output" != *"note"* ]]
    command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ] || skip "no ONNX Runtime"
    run "$ROOT/tests/onnx/check.sh" "$DLC" runs/heads x.txt --output species.probabilities,pw.output
    [ "$status" -eq 0 ]
}

@test "one SGD step through an Inception concat, a squeeze-and-excitation gate, a residual add, an upsample and a skip concat lands where PyTorch's does" {
    /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null || skip "no python3-torch"
    # PyTorch's module and its initial weights go to dlc through ONNX; both take one full-batch
    # SGD step on the same 100 digits; then both predict five of them
    /usr/bin/python3 - "$ROOT/data/digits.csv" 2>/dev/null <<'PY'
import sys, numpy as np, torch
from torch import nn
torch.manual_seed(11)
rows = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, max_rows=100, dtype=np.float32)
X, y = torch.tensor(rows[:, :64]) / 16.0, torch.tensor(rows[:, 64]).long()
class G(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem = nn.Conv2d(1, 4, 3, padding=1)
        s.b1, s.b3 = nn.Conv2d(4, 2, 1), nn.Conv2d(4, 3, 3, padding=1)
        s.sq, s.ex = nn.Conv2d(5, 3, 1), nn.Conv2d(3, 5, 1)
        s.down = nn.Conv2d(5, 5, 3, stride=2, padding=1)
        s.up = nn.Upsample(scale_factor=2, mode="nearest")
        s.fc = nn.Linear(10 * 8 * 8, 10)
    def forward(s, x):
        a = torch.tanh(s.stem(x.view(-1, 1, 8, 8)))
        cat = torch.cat([torch.tanh(s.b1(a)), torch.tanh(s.b3(a))], 1)              # inception: (5, 8, 8)
        g = torch.sigmoid(s.ex(torch.relu(s.sq(cat.mean((2, 3), keepdim=True)))))  # SE gate (5, 1, 1)
        se = cat * g + cat                                                            # gate, residual add
        u = s.up(torch.tanh(s.down(se)))                                            # (5, 4, 4) -> (5, 8, 8)
        return s.fc(torch.cat([u, se], 1).flatten(1))                               # skip concat
m = G()
torch.onnx.export(m, X[:2], "g.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
opt = torch.optim.SGD(m.parameters(), lr=0.5)
loss = nn.functional.cross_entropy(m(X), y)
opt.zero_grad(); loss.backward(); opt.step()
with open("train.csv", "w") as f:
    f.write(",".join("p%d" % i for i in range(64)) + ",digit\n")
    for r, t in zip(X.numpy(), y.numpy()):
        f.write(",".join("%.8g" % v for v in r) + ",%d\n" % t)
np.savetxt("x.txt", X[:5].numpy(), fmt="%.8g")
np.savetxt("want.txt", m(X[:5]).detach().numpy(), fmt="%.8g")
PY
    run "$DLC" import g.onnx --out imp
    [ "$status" -eq 0 ]
    run "$DLC" summary imp
    [[ "$output" == *"upsample         (5, 8, 8)"* ]]
    [[ "$output" == *"multiply         (5, 8, 8)"* ]]
    run "$DLC" train imp/config.yaml --set name=step --set data.train.file=train.csv --set data.label=digit \
        --set data.split.dev=0 --set data.normalize=none --set init_from.run=imp --set train.epochs=1 \
        --set train.batch_size=full --set train.optimizer.type=sgd --set train.optimizer.lr=0.5 \
        --set train.keep_best=false --quiet
    [ "$status" -eq 0 ]
    "$DLC" predict runs/step --values x.txt --logits > got.txt
    "$DLC" predict imp --values x.txt --logits > before.txt
    # the step moves the logits by about 0.5; dlc's land within 1e-5 of PyTorch's (1.5e-7 measured)
    below "$(max_abs_diff want.txt got.txt)" 1e-5
    ! below "$(max_abs_diff want.txt before.txt)" 0.1 || false
}

# a convolutional autoencoder on Fashion-MNIST: 28 -> 14 -> 7 by strided
# convolutions, back to 14 and 28 by transposed ones, mse on the image itself
# (a CSV whose label columns are the pixels again, scaled to [0, 1])
autoencoder_config() {
    gzip -dc "$FMNIST/train-images-idx3-ubyte.gz" | tail -c +17 | head -c $((784 * 1200)) | od -An -v -tu1 -w784 |
        awk 'BEGIN { for (i = 0; i < 784; i++) h = h (i ? "," : "") "p" i; for (i = 0; i < 784; i++) h = h ",t" i; print h }
             { r = ""; t = ""; for (i = 1; i <= NF; i++) { r = r (i > 1 ? "," : "") $i; t = t "," sprintf("%.4g", $i / 255) }
               print r t }' > ae.csv
    local labels
    labels=$(awk 'BEGIN { for (i = 0; i < 784; i++) printf "%st%d", (i ? ", " : ""), i }')
    cat > ae.yaml <<YAML
name: ae
seed: 1
data:
  format: csv
  train: {file: ae.csv}
  label: {image: [$labels]}
  split: {dev: 0.2}
  normalize: minmax
loss: mse
train: {epochs: 3, batch_size: 32, optimizer: {type: adam, lr: 0.003}}
model:
  input: [1, 28, 28]
  layers:
    - {name: e1, type: conv2d, filters: 8, kernel: 3, stride: 2, padding: 1, activation: relu}
    - {name: e2, type: conv2d, filters: 16, kernel: 3, stride: 2, padding: 1, activation: relu}
    - {name: d2, type: conv_transpose, filters: 8, kernel: 3, stride: 2, padding: 1, output_padding: 1, activation: relu}
    - {name: image, type: conv_transpose, filters: 1, kernel: 3, stride: 2, padding: 1, output_padding: 1, activation: sigmoid}
YAML
}

@test "a convolutional autoencoder (conv_transpose 7 -> 14 -> 28): trains, evaluates, predicts, resumes, exports (ConvTranspose), runs in ONNX Runtime and imports back" {
    autoencoder_config
    run "$DLC" summary ae.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"d2                     conv_transpose+relu (8, 14, 14)                 1,160  e2"* ]]
    [[ "$output" == *"image                  conv_transpose+sigmoid (1, 28, 28)                    73  d2"* ]]
    [[ "$output" == *"total params: 2,481 "* ]]   # PyTorch's count of the same module
    run "$DLC" train ae.yaml --quiet
    [ "$status" -eq 0 ]
    # the reconstruction error falls to a fifth of the first epoch's
    awk -F, 'NR == 2 { first = $3 } END { exit !($5 < 0.2 * first) }' runs/ae/metrics.csv
    run "$DLC" eval runs/ae --split dev --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.mse < 0.04'
    # stopped after 2 epochs and resumed, it ends as the straight run did
    run "$DLC" train ae.yaml --set name=part --set train.epochs=2 --quiet
    [ "$status" -eq 0 ]
    run "$DLC" train runs/part/config.yaml --resume --set train.epochs=3 --quiet
    [ "$status" -eq 0 ]
    diff <(metrics_no_time runs/ae/metrics.csv) <(metrics_no_time runs/part/metrics.csv)
    run "$DLC" export runs/ae --format onnx
    [ "$status" -eq 0 ]
    run "$DLC" import runs/ae/model.onnx --out back
    [ "$status" -eq 0 ]
    grep -A16 '^    - name: d2$' back/config.yaml | grep -q '^      output_padding: \[1, 1\]$'
    gzip -dc "$FMNIST/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c 2352 | od -An -v -tu1 -w784 > x.txt
    "$DLC" predict runs/ae --values x.txt > want.txt
    [ "$(wc -l < want.txt)" -eq 3 ] && [ "$(awk '{ print NF }' want.txt | sort -u)" -eq 784 ]
    "$DLC" predict back --values x.txt > got.txt
    cmp want.txt got.txt
    command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ] || skip "no ONNX Runtime"
    run "$ROOT/tests/onnx/check.sh" "$DLC" runs/ae x.txt
    [ "$status" -eq 0 ]
    # Keras' padding: same (its odd crop at the end: asymmetric pads) and groups, in ONNX Runtime too
    sed -e 's/padding: 1, output_padding: 1, activation: relu}/padding: same, groups: 2, activation: relu}/' \
        -e 's/^name: ae$/name: same/' ae.yaml > same.yaml
    run "$DLC" train same.yaml --set train.epochs=1 --quiet
    [ "$status" -eq 0 ]
    run "$ROOT/tests/onnx/check.sh" "$DLC" runs/same x.txt
    [ "$status" -eq 0 ]
}

@test "a conv_transpose's mistakes name the layer and what to change" {
    autoencoder_config
    sed 's/output_padding: 1, activation: relu/output_padding: 2, activation: relu/' ae.yaml > bad.yaml
    run "$DLC" summary bad.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"bad.yaml:16: layer 'd2' (conv_transpose): output_padding 2 must be smaller than stride 2 or dilation 1 along spatial axis 1 (it adds positions at the end that the last input position does not reach; set output_padding to at most 1, or raise padding to crop instead)"* ]]
    sed 's/padding: 1, output_padding: 1, activation: relu/padding: same, output_padding: 1, activation: relu/' ae.yaml > bad.yaml
    run "$DLC" summary bad.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'd2' (conv_transpose): output_padding 1 with padding: same (padding: same gives input x stride; output_padding goes with an integer padding, PyTorch's)"* ]]
    sed 's/type: conv_transpose, filters: 8/type: Conv2DTranspose, filters: 8/' ae.yaml > bad.yaml
    run "$DLC" summary bad.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown layer type \"Conv2DTranspose\" (dlc's name: 'conv_transpose'; its spatial axes are its input's)"* ]]
    sed 's/conv_transpose, filters: 8, kernel: 3, stride: 2, padding: 1,/conv_transpose, filters: 8, kernel: 3, stride: 2, padding: 9,/' ae.yaml > bad.yaml
    run "$DLC" summary bad.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'd2' (conv_transpose): output size (n - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1 = (7 - 1) 2 - 18 + 3 + 1 = -2 along spatial axis 1 is less than 1: lower padding"* ]]
    sed 's/type: conv_transpose, filters: 8, kernel: 3/type: conv_transpose, filters: 8, groups: 3, kernel: 3/' ae.yaml > bad.yaml
    run "$DLC" summary bad.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'd2' (conv_transpose): groups 3 must divide both the input's 16 channels and the 8 filters"* ]]
}

@test "PyTorch's nn.ConvTranspose2d (stride 2 and 3, output_padding, dilation, groups) imports as conv_transpose with PyTorch's outputs" {
    /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null || skip "no python3-torch"
    /usr/bin/python3 - <<'PY'
import numpy as np, torch
from torch import nn
torch.manual_seed(7)
m = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),                 # 9 -> 5
                  nn.ConvTranspose2d(4, 6, 4, stride=3, padding=1, output_padding=1, groups=2), nn.ReLU(),  # 5 -> 15
                  nn.ConvTranspose2d(6, 2, 3, stride=2, padding=2, output_padding=1, dilation=2),  # 15 -> 30
                  nn.Flatten(), nn.Linear(2 * 30 * 30, 3)).eval()
x = torch.randn(3, 1, 9, 9)
torch.onnx.export(m, x, "ct.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
np.savetxt("x.txt", x.reshape(3, -1).numpy(), fmt="%.8g")
np.savetxt("want.txt", m(x).detach().numpy(), fmt="%.8g")
PY
    run "$DLC" import ct.onnx --out ct
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(grep -c '^      type: conv_transpose$' ct/config.yaml)" -eq 2 ]
    "$DLC" predict ct --values x.txt --logits > got.txt
    below "$(max_abs_diff want.txt got.txt)" 1e-4
}

@test "pixel_unshuffle down and pixel_shuffle (sub-pixel) up in a U-Net: trains, exports (Reshape/Transpose or SpaceToDepth, DepthToSpace CRD or DCR), runs in ONNX Runtime and imports back; channels not divisible by scale^2 named; PyTorch's nn.PixelShuffle and nn.PixelUnshuffle import with their outputs" {
    unet_config
    sed -e 's/{name: p1, type: maxpool, kernel: 2}/{name: p1, type: pixel_unshuffle, scale: 2}/' \
        -e 's/{name: mid, type: conv2d, filters: 8,/{name: mid, type: conv2d, filters: 32,/' \
        -e 's/{name: u2, type: upsample}/{name: u2, type: pixel_shuffle, scale: 2}/' \
        -e 's/^name: unet$/name: ps/' unet.yaml > ps.yaml
    run "$DLC" summary ps.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"p1                     pixel_unshuffle  (16, 14, 14)                    0  e1"* ]]
    [[ "$output" == *"u2                     pixel_shuffle    (8, 14, 14)                     0  mid"* ]]
    sed 's/filters: 32,/filters: 30,/' ps.yaml > bad.yaml
    run "$DLC" summary bad.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'u2' (pixel_shuffle): its input 'mid' has 30 channels, not a multiple of scale^2 = 4 (each output channel takes 4 of them into a 2 x 2 block); give 'mid' 28 or 32 channels, or change scale"* ]]
    sed 's/{name: u2, type: pixel_shuffle, scale: 2}/{name: u2, type: PixelShuffle, upscale_factor: 2}/' ps.yaml > bad.yaml
    run "$DLC" summary bad.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"(dlc's name: 'pixel_shuffle'; PyTorch's nn.PixelShuffle(r): scale: r)"* ]]
    run "$DLC" train ps.yaml --set train.epochs=2 --quiet
    [ "$status" -eq 0 ]
    jq -e '.splits.dev.accuracy > 0.5' runs/ps/report.json
    run "$DLC" export runs/ps --format onnx
    [ "$status" -eq 0 ]
    run "$DLC" import runs/ps/model.onnx --out back
    echo "$output"
    [ "$status" -eq 0 ]
    grep -A8 '^    - name: u2$' back/config.yaml | grep -q '^      order: crd$'
    gzip -dc "$FMNIST/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c 2352 | od -An -v -tu1 -w784 > x.txt
    "$DLC" predict runs/ps --values x.txt > want.txt
    "$DLC" predict back --values x.txt > got.txt
    cmp want.txt got.txt
    # TensorFlow's order (DepthToSpace DCR) and back
    sed -e 's/{name: u2, type: pixel_shuffle, scale: 2}/{name: u2, type: pixel_shuffle, scale: 2, order: dcr}/' \
        -e 's/{name: p1, type: pixel_unshuffle, scale: 2}/{name: p1, type: pixel_unshuffle, scale: 2, order: dcr}/' \
        -e 's/^name: ps$/name: dcr/' ps.yaml > dcr.yaml
    run "$DLC" train dcr.yaml --set train.epochs=1 --quiet
    [ "$status" -eq 0 ]
    run "$DLC" export runs/dcr --format onnx
    [ "$status" -eq 0 ]
    run "$DLC" import runs/dcr/model.onnx --out back_dcr
    [ "$status" -eq 0 ]
    [ "$(grep -c '^      order: dcr$' back_dcr/config.yaml)" -eq 2 ]
    "$DLC" predict runs/dcr --values x.txt > want.txt
    "$DLC" predict back_dcr --values x.txt > got.txt
    cmp want.txt got.txt
    if /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null; then
        /usr/bin/python3 - <<'PY'
import numpy as np, torch
from torch import nn
torch.manual_seed(4)
m = nn.Sequential(nn.Conv2d(1, 18, 3, padding=1), nn.Tanh(), nn.PixelShuffle(3),      # (2, 18, 24)
                  nn.PixelUnshuffle(2), nn.Conv2d(8, 2, 3), nn.Flatten(), nn.Linear(2 * 7 * 10, 3)).eval()
x = torch.randn(3, 1, 6, 8)
torch.onnx.export(m, x, "p.onnx", opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
np.savetxt("x2.txt", x.reshape(3, -1).numpy(), fmt="%.8g")
np.savetxt("want2.txt", m(x).detach().numpy(), fmt="%.8g")
PY
        run "$DLC" import p.onnx --out p
        echo "$output"
        [ "$status" -eq 0 ]
        grep -q '^      type: pixel_shuffle$' p/config.yaml
        grep -q '^      type: pixel_unshuffle$' p/config.yaml
        "$DLC" predict p --values x2.txt --logits > got2.txt
        below "$(max_abs_diff want2.txt got2.txt)" 1e-4
    fi
    command -v node >/dev/null && [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ] || skip "no ONNX Runtime"
    run "$ROOT/tests/onnx/check.sh" "$DLC" runs/ps x.txt
    echo "$output"
    [ "$status" -eq 0 ]
    run "$ROOT/tests/onnx/check.sh" "$DLC" runs/dcr x.txt
    echo "$output"
    [ "$status" -eq 0 ]
}

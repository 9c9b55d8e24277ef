#!/usr/bin/env bats
# vision_trial.bats - a new user's trial of the image side (transfer learning
# through ONNX, the shipped architectures at small sizes, detection, metric
# learning): what it found, kept small.
load helpers

bn_config() {
    cat > bn.yaml <<YAML
name: bn
seed: 3
data:
  format: csv
  train: {file: $ROOT/data/iris.csv}
  label: species
  split: {dev: 0.2}
model:
  layers:
    - {name: hidden, type: dense, units: 8}
    - {name: norm, type: batchnorm, momentum: $1, activation: tanh}
    - {name: head, type: dense, units: 3, activation: softmax}
train: {epochs: 2, batch_size: 16, optimizer: {type: adam, lr: 0.05}}
YAML
}

@test "batchnorm whose running statistics the run's steps cannot fill (momentum 0.99, 16 steps) is warned of: evaluation normalizes by them" {
    bn_config 0.99
    run "$DLC" train bn.yaml --out a
    [ "$status" -eq 0 ]
    # 120 train rows in batches of 16: 8 steps an epoch; 0.99^16 = 85%
    [[ "$output" == *"warning: batchnorm layer 'norm' updated its running mean and variance over 16 steps at momentum 0.99: 85% of them is still their start"* ]]
    # said once, after the diagnosis it explains, and kept in report.json and report.html
    [ "$(grep -c 'running mean' <<< "$output")" -eq 1 ]
    [[ "$output" == *"diagnosis:"*"warning: batchnorm layer 'norm'"* ]]
    jq -e '.warnings | map(select(startswith("batchnorm layer '"'norm'"' updated"))) | length == 1' a/report.json
    grep -q "batchnorm layer .*norm.* updated its running mean" a/report.html
    # dlc eval of the run says it too (the model file records its steps), once, and in its --json
    run "$DLC" eval a --split dev
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: batchnorm layer 'norm' updated its running mean and variance over 16 steps at momentum 0.99: 85% of them is still their start"* ]]
    [ "$(grep -c 'running mean' <<< "$output")" -eq 1 ]
    "$DLC" eval a --split dev --json | jq -e '.warnings | map(select(startswith("batchnorm layer '"'norm'"' updated its running mean and variance over 16 steps"))) | length == 1'
    # --quiet keeps warnings
    run "$DLC" train bn.yaml --out q --quiet
    [[ "$output" == *"warning: batchnorm layer 'norm'"* ]]
    # momentum 0.5 has followed the data (0.5^16): nothing to say
    bn_config 0.5
    run "$DLC" train bn.yaml --out b
    [ "$status" -eq 0 ]
    [[ "$output" != *"running mean"* ]]
    run "$DLC" eval b --split dev
    [ "$status" -eq 0 ]
    [[ "$output" != *"running mean"* ]]
    # statistics copied by init_from started from the source's, not 0 and 1
    bn_config 0.99
    run "$DLC" train bn.yaml --out c --set init_from.run=a
    [ "$status" -eq 0 ]
    [[ "$output" != *"running mean"* ]]
    # nor does a frozen batchnorm, which keeps them (excluded: its random start is said instead)
    run "$DLC" train bn.yaml --out d --set init_from.run=a --set 'init_from.exclude=[norm]' \
        --set model.layers.1.trainable=false
    [ "$status" -eq 0 ]
    [[ "$output" != *"running mean"* ]]
    # and resumed training counts every step: 4 epochs of 8
    run "$DLC" train bn.yaml --out a --resume --set train.epochs=4
    [[ "$output" == *"over 32 steps at momentum 0.99: 72%"* ]]
    run "$DLC" eval a --split dev
    [[ "$output" == *"over 32 steps at momentum 0.99: 72%"* ]]
}

@test "export: a squeeze-and-excitation gate on a 1 x 1 map (MobileNetV3's last blocks at 32 x 32) runs in ONNX Runtime as dlc predicts" {
    need_onnx
    cat > se.yaml <<YAML
name: se
seed: 2
data:
  format: csv
  train: {file: $ROOT/data/iris.csv}
  label: species
model:
  input: [4, 1, 1]
  layers:
    - {name: map, type: conv2d, filters: 6, kernel: 1, activation: relu}
    - {name: pool, type: global_avgpool}
    - {name: gate, type: dense, units: 6, activation: hardsigmoid}
    - {name: se, type: multiply, inputs: [map, gate]}
    - {type: flatten}
    - {type: dense, units: 3, activation: softmax}
train: {epochs: 2, batch_size: 16}
YAML
    "$DLC" train se.yaml --out run --quiet
    "$DLC" export run --format onnx --out run/model.onnx
    tail -n +2 "$ROOT/data/iris.csv" | head -12 | cut -d, -f1-4 > v.txt
    "$DLC" predict run --values v.txt > p.txt
    run node "$ROOT/tests/onnx/ort.js" check run/model.onnx v.txt p.txt
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "--set model.layers.-1.units: a negative index counts from the end, as Python's; in a sweep too" {
    iris_config
    run "$DLC" summary iris.yaml --set model.layers.-1.activation=sigmoid --set model.layers.-2.units=7
    [ "$status" -eq 0 ]
    [[ "$output" == *"dense+tanh       (7) "* ]]
    [[ "$output" == *"dense+sigmoid    (3) "* ]]
    # later messages name the item by its index
    expect_error "key 'model.layers.0.unitz': unknown key" \
        "$DLC" train iris.yaml --out r --set model.layers.-2.unitz=4
    expect_error "key 'model.layers.-3': index -3 is out of range ('model.layers' has 2 items)" \
        "$DLC" train iris.yaml --out r --set model.layers.-3.units=4
    expect_error "'model.layers' is a list: expected an item index (0 the first, -1 the last)" \
        "$DLC" train iris.yaml --out r --set model.layers.-0.units=4
    expect_error "(a list item is named by its index after a dot: 'model.layers.-1.units')" \
        "$DLC" train iris.yaml --out r --set 'model.layers[-1].units=4'
    cat > s.yaml <<'YAML'
base: iris.yaml
trials: 1
params:
  model.layers.-1.units: {int_uniform: [3, 3]}
YAML
    run "$DLC" sample s.yaml --trial 1
    [ "$status" -eq 0 ]
    [ "$output" = "--set model.layers.-1.units=3" ]
}

@test "dlc analyze on a metric-learning run says its errors are pairs and where their figures are" {
    triplet_config
    "$DLC" train tri.yaml --out run --quiet
    expect_error "run: a metric-learning run has no error sample: its errors are pairs of examples" \
        "$DLC" analyze run
    [[ "$output" == *"dlc verify run A B"* ]]
    [[ "$output" != *"error_analysis.samples is 0"* ]]
}

@test "init_from at another input size: a source normalized by channel (an image folder, dlc import --mean --std) lends its statistics to each channel; one normalized pixel by pixel is refused" {
    cat > src.yaml <<YAML
name: src
seed: 1
data:
  format: image_folder
  train: {dir: $ROOT/tests/data/images/train}
model:
  input: [1, 28, 28]
  layers:
    - {name: conv, type: conv2d, filters: 4, kernel: 3, activation: relu}
    - {type: global_avgpool}
    - {name: head, type: dense, units: 5, activation: softmax}
train: {epochs: 1, batch_size: 8}
YAML
    "$DLC" train src.yaml --out src --quiet
    # fine-tuning at 36 x 36 (the images resized): the source's mean and scale per channel
    run "$DLC" train src.yaml --out big --set 'model.input=[1,36,36]' --set init_from.run=src
    [ "$status" -eq 0 ]
    [[ "$output" == *"init_from: weights from $TMP/src, with its input normalization"* ]]
    [ -x /usr/bin/python3 ] || skip "python3 is missing"
    /usr/bin/python3 - <<'PY'
import json, struct
def tensor(path, name):
    b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8 + n]); lo, hi = h[name]['data_offsets']
    return struct.unpack('<%df' % ((hi - lo) // 4), b[8 + n + lo:8 + n + hi])
for name in ('norm.shift', 'norm.scale'):
    a, b = tensor('src/model.safetensors', name), tensor('big/model.safetensors', name)
    assert len(a) == 28 * 28 and len(b) == 36 * 36, (len(a), len(b))
    assert set(b) == {a[0]}, (name, set(b), a[0])
PY
    # a source standardized pixel by pixel (CSV rows of 8 x 8 pixels, a column each): refused
    cat > px.yaml <<YAML
name: px
seed: 1
data:
  format: csv
  train: {file: $ROOT/data/digits.csv}
  label: digit
model:
  input: [1, 8, 8]
  layers:
    - {name: conv, type: conv2d, filters: 4, kernel: 3, activation: relu}
    - {type: global_avgpool}
    - {name: head, type: dense, units: 10, activation: softmax}
train: {epochs: 1, batch_size: 32}
YAML
    "$DLC" train px.yaml --out px --quiet
    expect_error "init_from: $TMP/px/model.safetensors normalizes inputs of another size (64 values, here 1296) value by value, not by channel; set init_from.normalize: refit" \
        "$DLC" train src.yaml --out bad --set 'model.input=[1,36,36]' --set init_from.run=px \
        --set 'init_from.exclude=[head]'
}

#!/usr/bin/env bats
# The cutting, elementwise and normalizing layers (slice, split, subtract,
# multiply, abs, square, l2normalize, gram, layernorm) from a config file:
# summary, training, evaluation and gradient checks end to end, and bad
# configs refused at load with the file, line and layer (exit 2).
load helpers

# The iris features as a 1x2x2 map: a 1x1 convolution, its Gram matrix and
# the map itself layer-normalized, an embedding split in two halves whose
# difference (and its abs, square and product) joins the l2-normalized
# embedding and a slice of it.
layers_config() {
    cat > "$1" <<YAML
name: layers
seed: 3
data:
  format: csv
  train: {file: $ROOT/data/iris.csv}
  label: species
  split: {dev: 0.2, test: 0.2}
model:
  input: [1, 2, 2]
  layers:
    - {name: conv, type: conv2d, filters: 4, kernel: 1, activation: tanh}
    - {name: style, type: gram}
    - {name: flat_style, type: flatten}
    - {name: flat, type: flatten, inputs: conv}
    - {name: feats, type: concat, inputs: [flat, flat_style]}
    - {name: ln, type: layernorm}
    - {name: emb, type: dense, units: 8, activation: tanh}
    - {name: parts, type: split, sizes: [4, -1]}
    - {name: diff, type: subtract, inputs: [parts_0, parts_1]}
    - {name: mag, type: abs}
    - {name: sq, type: square, inputs: diff}
    - {name: gate, type: multiply, inputs: [mag, sq, diff]}
    - {name: first, type: slice, end: 3, inputs: emb}
    - {name: unit, type: l2normalize, inputs: emb}
    - {name: joined, type: concat, inputs: [unit, mag, gate, first]}
    - {name: out, type: dense, units: 3, activation: softmax}
train:
  epochs: ${2:-30}
  batch_size: 16
  optimizer: {type: adam, lr: 0.05}
YAML
}

@test "summary shows each new layer with its output shape" {
    layers_config l.yaml
    run "$DLC" summary l.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"style"*"gram"*"(4, 4)"* ]]
    [[ "$output" == *"ln"*"layernorm"*"(32)"*"64"* ]]
    [[ "$output" == *"parts_0"*"slice"*"(4)"*"parts"* ]]
    [[ "$output" == *"parts_1"*"slice"*"(4)"*"parts"* ]]
    [[ "$output" == *"diff"*"subtract"*"(4)"*"parts_0, parts_1"* ]]
    [[ "$output" == *"gate"*"multiply"*"(4)"*"mag, sq, diff"* ]]
    [[ "$output" == *"first"*"slice"*"(3)"*"emb"* ]]
    [[ "$output" == *"unit"*"l2normalize"*"(8)"* ]]
    [[ "$output" == *"joined"*"concat"*"(19)"* ]]
}

@test "a model of slice, split, subtract, l2normalize, gram and layernorm trains, evaluates and reloads" {
    layers_config l.yaml
    run "$DLC" train l.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(wc -l < run/metrics.csv)" -eq 31 ]
    # the first epoch's training loss falls by the last one
    first=$(sed -n 2p run/metrics.csv | cut -d, -f3)
    last=$(sed -n 31p run/metrics.csv | cut -d, -f3)
    gt "$first" "$last"
    acc=$(json_figure run/report.json test accuracy)
    gt "$acc" 0.8
    # the resolved config keeps the split (its pieces are made again on load)
    grep -q "sizes: \[4, -1\]" run/config.yaml
    ! grep -q "name: parts_0" run/config.yaml || false
    grep -q "end: 3" run/config.yaml
    run "$DLC" eval run --json
    [ "$status" -eq 0 ]
    want=$(json_figure run/report.json test loss)
    got=$(echo "$output" | sed 's/.*"loss": \([0-9.e+-]*\).*/\1/')
    awk -v a="$got" -v b="$want" 'BEGIN {exit !((a - b) < 1e-6 && (b - a) < 1e-6)}'
    run "$DLC" summary run
    [ "$status" -eq 0 ]
    [[ "$output" == *"parts_1"*"slice"* ]]
}

@test "gradcheck passes through every new layer" {
    # no abs here: a step across its kink at 0 is not a derivative.  Behind a
    # normalization, float32 noise in the loss reaches 1-2% of these small
    # gradients at eps 1e-3 (batchnorm's too), so the step is 1e-2 and the
    # tolerance 3%: a wrong term or factor is off by far more.
    cat > g.yaml <<YAML
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species}
model:
  input: [1, 2, 2]
  layers:
    - {name: conv, type: conv2d, filters: 4, kernel: 1, activation: tanh}
    - {name: style, type: gram}
    - {name: flat, type: flatten}
    - {name: ln, type: layernorm}
    - {name: emb, type: dense, units: 8, activation: tanh}
    - {name: parts, type: split, sizes: [4, -1]}
    - {name: diff, type: subtract, inputs: [parts_0, parts_1]}
    - {name: sq, type: square}
    - {name: gate, type: multiply, inputs: [diff, parts_0]}
    - {name: first, type: slice, end: 3, inputs: emb}
    - {name: unit, type: l2normalize, inputs: emb}
    - {name: joined, type: concat, inputs: [unit, sq, gate, first]}
    - {name: out, type: dense, units: 3, activation: softmax}
YAML
    run "$DLC" gradcheck g.yaml --samples 0 --eps 1e-2 --tol 0.03
    [ "$status" -eq 0 ]
    [[ "$output" == *"ln.gamma"* ]]
    [[ "$output" == *"ok: 8 of 8"* ]]
}

@test "the pieces of a split are heads: class and value from one dense layer" {
    # classification with localization's shape: one output vector, read in parts
    awk 'BEGIN { srand(7); print "a,b,kind,value";
        for (i = 0; i < 300; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1;
            printf "%.4f,%.4f,%s,%.4f\n", a, b, (a > b ? "up" : "down"), 2 * a - b + 0.5 } }' > two.csv
    cat > two.yaml <<YAML
seed: 2
data: {format: csv, train: {file: two.csv}, label: {kind: kind, value: value}, split: {dev: 0.2}}
model:
  layers:
    - {name: trunk, type: dense, units: 16, activation: tanh}
    - {name: both, type: dense, units: 3}
    - {name: head, type: split, sizes: [2, -1]}
  outputs: [{layer: head_0, name: kind, loss: softmax_cross_entropy}, {layer: head_1, name: value, loss: mse}]
train: {epochs: 60, batch_size: 32, optimizer: {type: adam, lr: 0.02}}
YAML
    run "$DLC" train two.yaml --out run
    [ "$status" -eq 0 ]
    jq -e '.heads[0].metrics.dev.accuracy >= 0.9' run/report.json
    jq -e '.heads[1].metrics.dev.mse < 0.05' run/report.json
    printf 'a,b\n0.9,-0.5\n' > new.csv
    run "$DLC" predict run new.csv --top-k 1
    [ "$status" -eq 0 ]
    [[ "$output" == "new.csv:2: kind: up "*"; value: "* ]]
}

expect_layer_error() { # expect_layer_error "substring"... : dlc summary l.yaml exits 2 saying them all
    run "$DLC" summary l.yaml
    if [ "$status" -ne 2 ]; then
        echo "status $status, output: $output" >&2
        return 1
    fi
    for want in "$@"; do
        if [[ "$output" != *"$want"* ]]; then
            echo "output: $output" >&2
            echo "wanted: $want" >&2
            return 1
        fi
    done
}

@test "subtract of two shapes is refused at load, naming the layer and its line" {
    layers_config l.yaml
    sed -i 's/{name: diff, type: subtract, inputs: \[parts_0, parts_1\]}/{name: diff, type: subtract, inputs: [parts_0, first]}/' l.yaml
    line=$(grep -n "name: diff" l.yaml | cut -d: -f1)
    expect_layer_error "l.yaml:$line" "layer 'diff' (subtract)" "'parts_0' is (4), 'first' is (3)"
    run "$DLC" train l.yaml --out run
    [ "$status" -eq 2 ]
    [ ! -e run/model.safetensors ]
}

@test "a slice outside its axis is refused at load" {
    layers_config l.yaml
    sed -i 's/{name: first, type: slice, end: 3, inputs: emb}/{name: first, type: slice, start: 5, end: 9, inputs: emb}/' l.yaml
    line=$(grep -n "name: first" l.yaml | cut -d: -f1)
    expect_layer_error "l.yaml:$line" "layer 'first' (slice)" "end 9 is outside axis 0 of length 8"
    sed -i 's/start: 5, end: 9/start: -9/' l.yaml
    expect_layer_error "l.yaml:$line" "start -9 is outside axis 0 of length 8 (valid: -8 to 7)"
}

@test "split sizes that do not fill the axis are refused at load" {
    layers_config l.yaml
    sed -i 's/sizes: \[4, -1\]/sizes: [4, 3]/' l.yaml
    line=$(grep -n "name: parts" l.yaml | cut -d: -f1)
    expect_layer_error "l.yaml:$line" "layer 'parts' (split)" "sizes add up to 7, but axis 0 of 'emb' has length 8"
    sed -i 's/sizes: \[4, 3\]/sizes: [4, -1, -1]/' l.yaml
    expect_layer_error "l.yaml:$line" "model.layers.7.sizes.2" "only one piece may be -1"
}

@test "gram of a vector is refused at load" {
    layers_config l.yaml
    sed -i 's/{name: style, type: gram}/{name: style, type: gram, inputs: emb}/' l.yaml
    sed -i 's/{name: flat_style, type: flatten}/{name: flat_style, type: flatten, inputs: conv}/' l.yaml
    line=$(grep -n "name: style" l.yaml | cut -d: -f1)
    expect_layer_error "l.yaml:$line" "layer 'style' (gram)" "needs a convolution map (channels, height, width) from 'emb', got (8)"
}

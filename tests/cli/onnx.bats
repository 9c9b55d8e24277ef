#!/usr/bin/env bats
# dlc export --format onnx: every layer kind, exported from a briefly trained
# run, checked by Debian's python3-onnx (onnx.checker, full check) and run in
# ONNX Runtime (tests/onnx/ort.js) against `dlc predict --values` on the same
# inputs.  The checks skip with a message where node, ONNX Runtime
# (make onnxruntime) or python3-onnx is missing; CI installs them.
# The same models load into PyTorch with scripts/dlc_torch.py (the last
# tests; they skip without python3-torch).
load helpers

IMAGES="$ROOT/tests/data/images"
CHECK="$ROOT/tests/onnx/check.sh"

# The layer kinds, in three models (YAML lines before the output layer); the
# ONNX and the PyTorch tests below train each.
CNN_LAYERS="    - {name: c1, type: conv2d, filters: 4, kernel: 3, padding: same, activation: relu}
    - {name: bn, type: batchnorm}
    - {name: a, type: conv2d, filters: 4, kernel: 3, padding: 2, dilation: 2, activation: leaky_relu, alpha: 0.1}
    - {name: b, type: conv2d, filters: 4, kernel: [1, 3], padding: same, use_bias: false, activation: elu, inputs: [bn]}
    - {name: sum, type: add, inputs: [a, b, bn]}
    - {name: sq, type: global_avgpool}
    - {name: sq1, type: dense, units: 2, activation: relu}
    - {name: ex, type: dense, units: 4, activation: hardsigmoid}
    - {name: ex3, type: reshape, shape: [4, 1, 1]}
    - {name: se, type: multiply, inputs: [ex, sum, ex3]}
    - {name: mp, type: maxpool, kernel: 3, stride: 2, padding: same, activation: hardsigmoid, slope: 0.2, offset: 0.4}
    - {name: ap, type: avgpool, kernel: 2, padding: 1, count_include_pad: false, inputs: [se]}
    - {name: ap2, type: conv2d, filters: 2, kernel: 2, padding: valid, activation: sigmoid}
    - {name: cat, type: concat, axis: 0, inputs: [mp, ap2]}
    - {name: g, type: global_avgpool, activation: hardswish}
    - {name: flat, type: flatten, inputs: [cat]}
    - {name: both, type: concat, inputs: [flat, g]}
    - {name: r, type: reshape, shape: [2, -1]}
    - {name: d1, type: dense, units: 6, activation: gelu}
    - {name: t, type: activation, activation: tanh}
    - {name: sm, type: activation, activation: softmax}
    - {name: gr, type: reshape, shape: [2, 3, -1]}
    - {name: grp, type: conv2d, filters: 4, kernel: [1, 3], padding: same, groups: 2, activation: relu6}
    - {name: dw, type: conv2d, filters: 4, kernel: [1, 3], stride: [1, 2], padding: same, groups: 4, use_bias: false, activation: silu}
    - {type: flatten}
    - {type: dropout, rate: 0.2}"
CONV13_LAYERS="    - {name: seq, type: reshape, shape: [28, 28]}
    - {name: c1, type: conv1d, filters: 6, kernel: 5, stride: 2, padding: same, dilation: 2, activation: relu}
    - {name: p1, type: maxpool, kernel: 3, stride: 2, padding: 1, dilation: 2, ceil_mode: true}
    - {name: a1, type: avgpool, kernel: 3, stride: 2, padding: 1, ceil_mode: true}
    - {name: f1, type: flatten}
    - {name: vol, type: reshape, shape: [1, 4, 7, 28], inputs: [input]}
    - {name: c3, type: conv3d, filters: 3, kernel: [2, 3, 3], stride: [1, 2, 2], padding: [1, 1, 0], activation: tanh}
    - {name: p3, type: maxpool, kernel: 2, padding: same}
    - {name: a3, type: avgpool, kernel: [1, 2, 2], stride: 1}
    - {name: f3, type: flatten}
    - {type: concat, inputs: [f1, f3]}"
GRAPH_LAYERS="    - {name: c, type: conv2d, filters: 4, kernel: 3, stride: 2, padding: same, activation: tanh}
    - {name: g, type: gram}
    - {name: ln, type: layernorm, eps: 0.001}
    - {name: gf, type: flatten}
    - {name: cn, type: layernorm, axes: 2, inputs: [c]}
    - {name: f, type: flatten}
    - {name: d, type: dense, units: 12, activation: tanh}
    - {name: parts, type: split, sizes: [4, -1, 3]}
    - {name: a, type: slice, start: 0, end: 4, inputs: [d]}
    - {name: b, type: slice, start: -4, inputs: [d]}
    - {name: diff, type: subtract, inputs: [a, b]}
    - {name: ab, type: abs}
    - {name: sq, type: square, inputs: [diff]}
    - {name: prod, type: multiply, inputs: [ab, sq, parts_0]}
    - {name: l2, type: l2normalize, inputs: [prod]}
    - {type: concat, inputs: [l2, gf, parts_1, parts_2]}"
RNN_LAYERS="    - {name: emb, type: embedding, units: 8}
    - {name: full, type: gru, units: 6, bidirectional: true, merge: sum, return_sequences: true}
    - {name: avg, type: time_avgpool}
    - {name: simple, type: gru, units: 5, variant: simplified, return_sequences: false, inputs: [emb]}
    - {name: relu, type: rnn, units: 4, nonlinearity: relu, bidirectional: true, return_sequences: false, inputs: [emb]}
    - {name: tanh, type: rnn, units: 4, return_sequences: true, inputs: [emb]}
    - {name: max, type: time_maxpool}
    - {name: lstm, type: lstm, units: 5, bidirectional: true, return_sequences: true, inputs: [emb]}
    - {name: lmax, type: time_maxpool}
    - {name: eavg, type: time_avgpool, inputs: [emb]}
    - {name: after, type: gru, units: 4, variant: reset_after, bidirectional: true, return_sequences: false, inputs: [emb]}
    - {type: concat, inputs: [avg, simple, relu, max, lmax, eavg, after]}"

# batchnorm over a padded sequence's features (after the embedding, and
# fused with a ReLU after a concat of features), per-step dense and
# layernorm, an add of sequences; the flattens read the padded steps too
# (zeros, as in dlc)
SEQ_NORM_LAYERS="    - {name: emb, type: embedding, units: 6}
    - {name: bn, type: batchnorm}
    - {name: d, type: dense, units: 4, activation: tanh}
    - {name: cat, type: concat, axis: 1, inputs: [bn, d]}
    - {name: bn2, type: batchnorm, activation: relu}
    - {name: avg, type: time_avgpool}
    - {name: f, type: flatten, inputs: [bn2]}
    - {name: g, type: gru, units: 3, return_sequences: false, inputs: [cat]}
    - {name: ln, type: layernorm, inputs: [emb]}
    - {name: pd, type: dense, units: 2}
    - {name: pf, type: flatten}
    - {name: sum, type: add, inputs: [bn, ln]}
    - {name: smax, type: time_maxpool}
    - {type: concat, inputs: [avg, g, f, pf, smax]}"

# An image-folder config with the given layers (YAML lines) before the softmax.
image_config() {
    cat > "$1" <<YAML
name: img
seed: 4
data:
  format: image_folder
  train: {dir: $IMAGES/train}
  split: {dev: 0.2}
model:
  input: [${3:-1, 28, 28}]
  layers:
$2
    - {type: dense, units: 5, activation: softmax}
train:
  epochs: 2
  batch_size: 8
  optimizer: {type: adam, lr: 0.005}
YAML
}

# the weather texts (helpers.bash) and a classifier with the given layers
text_config() {
    weather_texts
    classifier_config "$1" "$2" 3 0.01
}

# a character LSTM language model over 64 steps of the fables
lm_config() {
    cat > lm.yaml <<YAML
name: lm
seed: 2
data:
  format: text
  train: {file: $ROOT/tests/data/text/fables.txt}
  text: {task: lm, tokens: chars, seq_len: 64}
model:
  layers:
    - {type: embedding, units: 16}
    - {type: lstm, units: 64}
    - {type: dense, units: auto}
train: {epochs: 2, batch_size: 4}
YAML
}

@test "export: bad usage is an error (exit 2) and writes nothing" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet >/dev/null
    # ONNX, the one format, needs no --format; an --out named otherwise does
    run "$DLC" export run --out model.h5
    [ "$status" -eq 2 ]
    [[ "$output" == *"--out model.h5: dlc exports ONNX files; name it .onnx, or give --format onnx"* ]]
    [ ! -e model.h5 ]
    run "$DLC" export run --out m.onnx --quiet
    [ "$status" -eq 0 ]
    [ -s m.onnx ]
    run "$DLC" export run --format tflite
    [ "$status" -eq 2 ]
    [[ "$output" == *"the one format is onnx"* ]]
    run "$DLC" export run --format onnx --opset 12
    [ "$status" -eq 2 ]
    [[ "$output" == *"--opset needs a whole number from 13 to 21"* ]]
    run "$DLC" export run/model.safetensors --format onnx
    [ "$status" -eq 2 ]
    [[ "$output" == *"give --out FILE"* ]]
    run "$DLC" export nowhere --format onnx
    [ "$status" -eq 2 ]
    [ ! -e run/model.onnx ]
    # a folder that is not there is bad usage, said before the model is read
    run "$DLC" export run --format onnx --out no/such/dir/m.onnx
    [ "$status" -eq 2 ]
    [[ "$output" == *"--out no/such/dir/m.onnx: no/such/dir does not exist"* ]]
}

@test "export: a dlc embed run (word vectors, no network) is refused saying so, and writes nothing" {
    "$DLC" embed "$ROOT/configs/brown_word2vec.yaml" --out emb --set data.train.file="$ROOT/tests/data/text/fables.txt" \
        --set data.text.min_count=1 --set embed.epochs=1 >/dev/null 2>&1
    [ -f emb/vectors.bin ]
    run "$DLC" export emb --format onnx --out emb.onnx
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"emb holds word vectors learned by dlc embed, not a model"* ]]
    [ ! -e emb.onnx ]
}

@test "predict --values: raw inputs in, every output value out; bad lines name file and line" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet >/dev/null
    printf '5.1 3.5 1.4 0.2\n\n6.7,3.0,5.2,2.3\n' > v.txt
    run "$DLC" predict run --values v.txt
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    # three probabilities per line, summing to 1
    echo "${lines[1]}" | awk '{ if (NF != 3 || ($1 + $2 + $3) < 0.9999 || ($1 + $2 + $3) > 1.0001) exit 1 }'
    run "$DLC" predict run --values v.txt --logits
    [ "$status" -eq 0 ]
    echo "${lines[0]}" | awk '{ if (NF != 3 || ($1 + $2 + $3) == 1) exit 1 }'
    printf '5.1 3.5 1.4 0.2\n5.1 3.5 1.4\n' > short.txt
    run "$DLC" predict run --values short.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *"short.txt:2: expected 4 values (the model's input), got 3"* ]]
    printf '5.1 3.5 x 0.2\n' > bad.txt
    run "$DLC" predict run --values bad.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *"bad.txt:1: value 3, \"x\", is not a finite number"* ]]
    : > empty.txt
    run "$DLC" predict run --values empty.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *"no examples"* ]]
    run "$DLC" predict run --logits
    [ "$status" -eq 2 ]
    [[ "$output" == *"--logits goes with --values"* ]]
    run "$DLC" predict run --values v.txt --repeat 0
    [ "$status" -eq 2 ]
    # --repeat times more passes (stderr) and prints the same outputs
    "$DLC" predict run --values v.txt > once.txt
    "$DLC" predict run --values v.txt --repeat 20 > again.txt 2> timing.txt
    cmp once.txt again.txt
    grep -Eq '^dlc predict: 20 passes over 2 examples: [0-9.]+ ms per example$' timing.txt
}

@test "export: the file is written atomically, with metadata, normalization folded in" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet >/dev/null
    run "$DLC" export run --format onnx
    [ "$status" -eq 0 ]
    [ "$output" = "wrote run/model.onnx (ONNX opset 17)" ]
    [ -s run/model.onnx ]
    ! ls run/*.tmp.* 2>/dev/null || false
    command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c "import onnx" 2>/dev/null || skip "python3-onnx is not installed"
    run /usr/bin/python3 - run/model.onnx <<'PY'
import json, sys, onnx
m = onnx.load(sys.argv[1])
meta = {p.key: p.value for p in m.metadata_props}
ops = [n.op_type for n in m.graph.node]
print(m.producer_name, m.opset_import[0].version, json.loads(meta["classes"]), meta["loss"], meta["input_shape"])
print(" ".join(ops))
print([i.name for i in m.graph.input], [o.name for o in m.graph.output])
print(m.graph.input[0].type.tensor_type.shape.dim[0].dim_param)
onnx.checker.check_model(m, full_check=True)  # without ONNX Runtime too (a graph's name is required)
print(m.graph.name)
PY
    [ "$status" -eq 0 ]
    [ -n "${lines[4]}" ]
    [ "${lines[0]}" = "dlc 17 ['setosa', 'versicolor', 'virginica'] softmax_cross_entropy [4]" ]
    [ "${lines[1]}" = "Sub Mul Gemm Tanh Gemm Identity Softmax" ]
    [ "${lines[2]}" = "['input'] ['logits', 'probabilities']" ]
    [ "${lines[3]}" = "N" ]
}

@test "export: an MLP on Fashion-MNIST (flatten, dense, batchnorm, dropout) agrees with dlc predict" {
    need_onnx
    fmnist_config fm.yaml 1000 1
    "$DLC" train fm.yaml --out run --quiet >/dev/null
    run "$CHECK" "$DLC" run gen:8
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"full check passed"* ]]
    [[ "$output" == *"probabilities: max abs diff"* ]]
    run "$CHECK" "$DLC" run gen:8 --output logits
    [ "$status" -eq 0 ]
    # a whole image read from a PNG by dlc predict gives the same top class
    "$DLC" predict run "$IMAGES/test/1-trouser/"*.png --top-k 1 --json > top.json
    [ -s top.json ]
}

@test "export: convolutions (one dilated, grouped, depthwise), pooling with padding, residual add, squeeze-and-excitation gates, concat, reshape and every activation" {
    need_onnx
    image_config cnn.yaml "$CNN_LAYERS"
    "$DLC" train cnn.yaml --out run --quiet >/dev/null
    run "$CHECK" "$DLC" run gen:6
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"full check passed"* ]]
    # Gelu is an ONNX operator from opset 20 (decomposed with Erf below it)
    run "$CHECK" "$DLC" run gen:3 --opset 20
    echo "$output"
    [ "$status" -eq 0 ]
    run "$CHECK" "$DLC" run gen:3 --opset 13
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "export: conv1d and conv3d with strides, padding and dilation; avgpool and maxpool over 1 and 3 axes, ceil_mode" {
    need_onnx
    image_config c13.yaml "$CONV13_LAYERS"
    "$DLC" train c13.yaml --out run --quiet >/dev/null
    run "$CHECK" "$DLC" run gen:6
    echo "$output"
    [ "$status" -eq 0 ]
    run "$CHECK" "$DLC" run gen:6 --output logits
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "export: slice, split, subtract, multiply, abs, square, l2normalize, gram and layernorm" {
    need_onnx
    image_config graph.yaml "$GRAPH_LAYERS"
    "$DLC" train graph.yaml --out run --quiet >/dev/null
    run "$CHECK" "$DLC" run gen:6 --output logits
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"full check passed"* ]]
    # layernorm below opset 17 is written out in ReduceMean form
    run "$CHECK" "$DLC" run gen:3 --output logits --opset 13
    echo "$output"
    [ "$status" -eq 0 ]
}

# text_export_check FILE LAYERS VALUES OPSET: a text classifier with the
# layers, trained, checked on padded texts (full check), then on VALUES
# exported at OPSET
text_export_check() {
    text_config "$1" "$2"
    "$DLC" train "$1" --out run --quiet >/dev/null
    run "$CHECK" "$DLC" run gen:12:--pad:--max:16
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"full check passed"* ]]
    run "$CHECK" "$DLC" run "$3" --opset "$4"
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "export: recurrent layers with padding (sequence_lens), the three GRU variants, merges and time pools" {
    need_onnx
    text_export_check gru.yaml "$RNN_LAYERS" gen:4:--max:16 18
}

@test "export: batchnorm over a padded sequence's features (between Transposes), concat of sequences; padded steps 0 after dense, layernorm and batchnorm" {
    need_onnx
    text_export_check bn.yaml "$SEQ_NORM_LAYERS" gen:6:--pad:--max:16 13
}

@test "export: a per-step tagger (stacked bidirectional LSTM and GRU over padded sentences)" {
    need_onnx
    tagged_data tags.txt
    cat > tag.yaml <<YAML
name: tagger
seed: 1
data:
  format: text
  train: {file: tags.txt}
  split: {test: 0.1}
  text: {task: tag, tokens: words, seq_len: 8}
model:
  layers:
    - {type: embedding, units: 6}
    - {type: lstm, units: 5, bidirectional: true}
    - {type: gru, units: 4, bidirectional: true, merge: sum}
    - {type: dense, units: auto}
train:
  epochs: 2
  batch_size: 8
YAML
    "$DLC" train tag.yaml --out run --quiet >/dev/null
    run "$CHECK" "$DLC" run gen:8:--pad:--max:7 --valid-steps
    echo "$output"
    [ "$status" -eq 0 ]
}

# A tagger over word ids and their bytes: word_chars, reverse recurrent layers
# (each sequence run from its own last word back), and a scalar_mix whose
# weights and gamma set_tensor moves off their starting values.
CHARS_LAYERS="    - {name: wc, type: word_chars, units: 6, filters: 5, kernel: 3, char_units: 4}
    - {name: f, type: lstm, units: 5}
    - {name: rl, type: lstm, units: 5, reverse: true, inputs: wc}
    - {name: rg, type: gru, units: 4, reverse: true, inputs: wc}
    - {name: rs, type: gru, units: 3, variant: simplified, reverse: true, inputs: wc}
    - {name: rr, type: rnn, units: 4, reverse: true, inputs: wc}
    - {name: mix, type: scalar_mix, inputs: [f, rl]}
    - {type: concat, axis: 1, inputs: [mix, rg, rs, rr]}"

chars_config() {
    tagged_data tags.txt
    cat > chars.yaml <<YAML
name: chars
seed: 2
data:
  format: text
  train: {file: tags.txt}
  split: {test: 0.1}
  text: {task: tag, tokens: words, seq_len: 8, chars: 6}
model:
  layers:
$CHARS_LAYERS
    - {type: dense, units: auto}
train:
  epochs: 2
  batch_size: 8
YAML
}

# set_tensor FILE NAME V...: overwrites the tensor's values in a model.safetensors
set_tensor() {
    /usr/bin/python3 - "$@" <<'PY'
import json, struct, sys
path, name, vals = sys.argv[1], sys.argv[2], [float(v) for v in sys.argv[3:]]
b = bytearray(open(path, "rb").read())
n = struct.unpack("<Q", b[:8])[0]
t = json.loads(b[8:8 + n])[name]
lo, hi = t["data_offsets"]
assert hi - lo == 4 * len(vals), (name, hi - lo)
b[8 + n + lo:8 + n + hi] = struct.pack("<%df" % len(vals), *vals)
open(path, "wb").write(b)
PY
}

@test "export: word_chars, reverse rnn, gru and lstm over padded sentences, scalar_mix" {
    need_onnx
    chars_config
    "$DLC" train chars.yaml --out run --quiet >/dev/null
    set_tensor run/model.safetensors mix.weight 0.4 -0.9
    set_tensor run/model.safetensors mix.gamma 1.7
    run "$CHECK" "$DLC" run gen:8:--pad:--max:16 --valid-steps --output logits
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"full check passed"* ]]
    run "$CHECK" "$DLC" run gen:4:--max:16 --valid-steps --opset 13
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "export: sigmoid outputs (logistic regression) and an mse regression model" {
    need_onnx
    cat > lr.yaml <<YAML
name: lr
data:
  format: csv
  train: {file: $ROOT/data/breast_cancer.csv}
  label: diagnosis
  split: {test: 0.2}
  normalize: standard
model:
  layers:
    - {type: dense, units: 1, activation: sigmoid}
loss: sigmoid_bce
train: {epochs: 3, batch_size: 32}
YAML
    "$DLC" train lr.yaml --out lr --quiet >/dev/null
    # real feature rows: the CSV without its header and label column
    col=$(head -1 "$ROOT/data/breast_cancer.csv" | tr ',' '\n' | grep -n '^diagnosis$' | cut -d: -f1)
    sed -n 2,13p "$ROOT/data/breast_cancer.csv" | cut -d, -f"$col" --complement > rows.txt
    run "$CHECK" "$DLC" lr rows.txt
    echo "$output"
    [ "$status" -eq 0 ]
    cut -d, -f1-4 "$ROOT/data/iris.csv" > reg.csv     # the measurements only
    cat > reg.yaml <<YAML
name: reg
data:
  format: csv
  train: {file: reg.csv}
  label: petal_width
  split: {test: 0.2}
  normalize: minmax
model:
  layers:
    - {type: dense, units: 8, activation: elu}
    - {type: dense, units: 1}
loss: mse
train: {epochs: 3, batch_size: 16}
YAML
    "$DLC" train reg.yaml --out reg --quiet >/dev/null
    sed -n 20,25p reg.csv | cut -d, -f1-3 > reg_rows.txt
    run "$CHECK" "$DLC" reg reg_rows.txt
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"output: max abs diff"* ]]
    # targets learned standardized (data.normalize_targets): the file gives them back in their units
    "$DLC" train reg.yaml --out regn --quiet --set data.normalize_targets=standard >/dev/null
    run "$CHECK" "$DLC" regn reg_rows.txt
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"output: max abs diff"* ]]
}

@test "export: a model with three heads (softmax, sigmoid, mse) has each head's outputs" {
    need_onnx
    awk 'BEGIN { srand(5); print "a,b,c,kind,flag,value";
        for (i = 0; i < 200; i++) { a = rand(); b = rand(); c = rand();
            printf "%.3f,%.3f,%.3f,%s,%d,%.3f\n", a, b, c, (a > b ? "up" : "down"), (c > 0.5), a + b } }' > h.csv
    cat > heads.yaml <<YAML
name: heads
data:
  format: csv
  train: {file: h.csv}
  label: {kind: kind, flag: flag, value: value}
  split: {test: 0.2}
model:
  layers:
    - {name: trunk, type: dense, units: 8, activation: tanh}
    - {name: kind, type: dense, units: auto, activation: softmax, inputs: [trunk]}
    - {name: flag, type: dense, units: 1, inputs: [trunk]}
    - {name: value, type: dense, units: 1, inputs: [trunk]}
  outputs: [kind, {layer: flag, loss: sigmoid_bce}, {layer: value, loss: mse}]
train: {epochs: 3, batch_size: 16}
YAML
    "$DLC" train heads.yaml --out run --quiet >/dev/null
    printf '0.1 0.9 0.3\n0.8 0.2 0.7\n' > rows.txt
    run "$CHECK" "$DLC" run rows.txt --output kind.probabilities,flag.probabilities,value.output
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"over 8 values"* ]]
    run "$CHECK" "$DLC" run rows.txt --output kind.logits,flag.logits,value.output
    [ "$status" -eq 0 ]
    # the PyTorch loader gives every head too (where python3-torch is installed)
    if /usr/bin/python3 -c "import torch, yaml" 2>/dev/null; then torch_check run rows.txt 1e-4; fi
}

@test "export: a character LSTM language model's logits over 64 steps (tolerance 1e-3)" {
    need_onnx
    lm_config
    "$DLC" train lm.yaml --out run --quiet >/dev/null
    run "$CHECK" "$DLC" run gen:4:--max:20 --output logits --tol 1e-3
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"over 10"* ]]   # 4 x 64 steps x vocabulary values
}

@test "export: the padding id gives zeros, as in dlc, even where the table's row is not zero" {
    need_onnx
    text_config flat.yaml "    - {name: emb, type: embedding, units: 4}
    - {type: flatten}"
    "$DLC" train flat.yaml --out run --quiet >/dev/null
    # write 0.5 into row 0 (<pad>) of the table in model.safetensors
    /usr/bin/python3 - run/model.safetensors emb.weight <<'PY'
import json, struct, sys
path, name = sys.argv[1], sys.argv[2]
b = bytearray(open(path, "rb").read())
n = struct.unpack("<Q", b[:8])[0]
t = json.loads(b[8:8 + n])[name]
start, cols = 8 + n + t["data_offsets"][0], t["shape"][1]
b[start:start + 4 * cols] = struct.pack("<%df" % cols, *[0.5] * cols)
open(path, "wb").write(b)
PY
    run "$CHECK" "$DLC" run gen:8:--pad:--max:16
    echo "$output"
    [ "$status" -eq 0 ]
}

# ---- scripts/dlc_torch.py: model.safetensors in the equivalent torch.nn model ----

need_torch() {
    /usr/bin/python3 -c "import torch, yaml" 2>/dev/null ||
        skip "python3-torch is not installed (optional: scripts/install-deps.sh --all)"
}

# values N SIZE [MAX]: N rows of SIZE whole numbers in [0, 255], or token ids
# in [1, MAX) with each row's end padded with 0 after a random length
values() {
    awk -v n="$1" -v size="$2" -v max="${3:-0}" 'BEGIN {
        srand(7)
        for (i = 0; i < n; i++) {
            len = max ? 1 + int(rand() * size) : size
            row = ""
            for (j = 0; j < size; j++)
                row = row (j ? " " : "") (j >= len ? 0 : max ? 1 + int(rand() * (max - 1)) : int(rand() * 256))
            print row
        }
    }'
}

# torch_check RUN VALUES TOL: dlc predict --logits against the PyTorch model
torch_check() {
    "$DLC" predict "$1" --values "$2" --logits > dlc.txt
    /usr/bin/python3 "$ROOT/scripts/dlc_torch.py" "$1" --values "$2" --logits > torch.txt
    run awk -v tol="$3" 'NR == FNR { for (i = 1; i <= NF; i++) a[FNR, i] = $i; n[FNR] = NF; next }
        { if (NF != n[FNR]) { print "row " FNR ": " NF " values, dlc has " n[FNR]; bad = 1 }
          for (i = 1; i <= NF; i++) { d = $i - a[FNR, i]; d = d < 0 ? -d : d; if (d > m) m = d } }
        END { printf "torch vs dlc: max abs diff %.3g over %d rows\n", m, FNR; exit bad || !(m <= tol) }' dlc.txt torch.txt
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "dlc_torch.py: the convolutional layers load into torch.nn and give dlc's logits" {
    need_torch
    image_config cnn.yaml "$CNN_LAYERS"
    "$DLC" train cnn.yaml --out cnn --quiet >/dev/null
    values 5 784 > v.txt
    torch_check cnn v.txt 1e-4
    image_config c13.yaml "$CONV13_LAYERS"
    "$DLC" train c13.yaml --out c13 --quiet >/dev/null
    torch_check c13 v.txt 1e-4
}

@test "dlc_torch.py: slice, split, subtract, multiply, abs, square, l2normalize, gram and layernorm" {
    need_torch
    image_config graph.yaml "$GRAPH_LAYERS"
    "$DLC" train graph.yaml --out run --quiet >/dev/null
    values 5 784 > v.txt
    torch_check run v.txt 1e-4
}

# text_torch_check FILE LAYERS ROWS: a text classifier with the layers,
# trained, against PyTorch on ROWS padded texts
text_torch_check() {
    text_config "$1" "$2"
    "$DLC" train "$1" --out run --quiet >/dev/null
    values "$3" 12 16 > v.txt
    torch_check run v.txt 1e-4
}

@test "dlc_torch.py: embeddings and recurrent layers over padded texts (nn.LSTM, nn.RNN, dlc's GRU)" {
    need_torch
    text_torch_check gru.yaml "$RNN_LAYERS" 10
}

@test "dlc_torch.py: batchnorm over a padded sequence's features is BatchNorm1d on (N, D, T), padded steps 0" {
    need_torch
    text_torch_check bn.yaml "$SEQ_NORM_LAYERS" 12
}

@test "dlc_torch.py: word_chars, reverse recurrent layers and scalar_mix over padded sentences" {
    need_torch
    need_onnx # ort.js gen draws the word ids and bytes
    chars_config
    "$DLC" train chars.yaml --out run --quiet >/dev/null
    set_tensor run/model.safetensors mix.weight 0.4 -0.9
    set_tensor run/model.safetensors mix.gamma 1.7
    "$DLC" export run --format onnx --out run/model.onnx --quiet
    node "$ROOT/tests/onnx/ort.js" gen run/model.onnx 8 --pad --max 16 > v.txt
    torch_check run v.txt 1e-4
}

@test "dlc_torch.py: an MLP with batchnorm and a character LSTM language model (64 steps)" {
    need_torch
    fmnist_config fm.yaml 1000 1
    "$DLC" train fm.yaml --out fm --quiet >/dev/null
    values 4 784 > v.txt
    torch_check fm v.txt 1e-4
    lm_config
    "$DLC" train lm.yaml --out lm --quiet >/dev/null
    awk 'BEGIN { srand(3); for (i = 0; i < 3; i++) { r = ""; for (j = 0; j < 64; j++) r = r (j ? " " : "") 1 + int(rand() * 19); print r } }' > ids.txt
    torch_check lm ids.txt 1e-3
}

@test "export: --out a folder, into a folder that is missing, or a run that is not there: exit 2 saying so, nothing written" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet
    mkdir out
    # the atomic write's rename used to say "Is a directory" (exit 1), and for
    # `--out .` "Device or resource busy"
    expect_error "--out out is a folder; give the file to write, e.g. out/model.onnx" \
        "$DLC" export run --format onnx --out out
    expect_error "--out . is a folder; give the file to write, e.g. ./model.onnx" \
        "$DLC" export run --format onnx --out .
    expect_error "--out nodir/m.onnx: nodir does not exist (make the folder first)" \
        "$DLC" export run --format onnx --out nodir/m.onnx
    expect_error "--out iris.yaml/m.onnx: iris.yaml is not a folder" \
        "$DLC" export run --format onnx --out iris.yaml/m.onnx
    # used to say "give --out FILE when RUN is a model file"
    expect_error "nothere: no such run folder or model file" "$DLC" export nothere --format onnx
    # a config where the run goes: "header length 7020395377443676195 is over the 100 MB limit"
    expect_error "iris.yaml: not a model file: it is text (a config? train it with dlc train, then give its run folder)" \
        "$DLC" export iris.yaml --format onnx --out m.onnx
    [ -z "$(ls -A out)" ]
    [ -z "$(ls . | grep -v -e '^iris.yaml$' -e '^run$' -e '^out$')" ]
    run "$DLC" export run --format onnx --out out/m.onnx
    [ "$status" -eq 0 ]
    [ -s out/m.onnx ]
}

#!/usr/bin/env bats
# heads.bats - models with several outputs (model.outputs), each with its own
# loss and weight: training, per-output figures in every file, bad configs.
load helpers

# a CSV whose class is sign(a - b) and whose value is 2a - b + 0.5
two_head_data() {
    awk 'BEGIN { srand(7); print "a,b,c,kind,value";
        for (i = 0; i < 400; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1; c = rand();
            printf "%.4f,%.4f,%.4f,%s,%.4f\n", a, b, c, (a > b ? "up" : "down"), 2 * a - b + 0.5 } }' > two.csv
}

two_head_config() {
    cat > two.yaml <<YAML
name: two
seed: 2
data:
  format: csv
  train: {file: two.csv}
  label: {kind: kind, value: value}
  split: {dev: 0.2, test: 0.1}
model:
  layers:
    - {name: trunk, type: dense, units: 16, activation: tanh}
    - {name: kind, type: dense, units: auto, activation: softmax, inputs: [trunk]}
    - {name: value, type: dense, units: 1, inputs: [trunk]}
  outputs: [kind, {layer: value, loss: mse, weight: ${1:-1}}]
train: {epochs: 60, batch_size: 32, optimizer: {type: adam, lr: 0.02}}
report: {metric: {optimize: value.mse}}
YAML
}

@test "two outputs (class + value) train together; each output's figures in every file" {
    two_head_data
    two_head_config
    run "$DLC" train two.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"output kind (softmax_cross_entropy, weight 1)"* ]]
    [[ "$output" == *"output value (mse, weight 1)"* ]]
    head -1 runs/two/metrics.csv | grep -q 'train_kind_loss,train_kind_accuracy,dev_kind_loss,dev_kind_accuracy,train_value_loss'
    j=runs/two/report.json
    [ "$(jq '.heads | length' $j)" -eq 2 ]
    [ "$(jq -r '.heads[1].task' $j)" = regression ]
    jq -e '.heads[0].metrics.dev.accuracy >= 0.9' $j
    jq -e '.heads[1].metrics.dev.mse < 0.05' $j
    # the total is the sum of weight x output loss
    jq -e '((.splits.dev.loss - .heads[0].metrics.dev.loss - .heads[1].metrics.dev.loss) | fabs) < 1e-5' $j
    [ "$(jq -r '.metric.name' $j)" = value.mse ]
    jq -e '.metric.value == .heads[1].metrics.dev.mse and .metric.higher_is_better == false' $j
    run "$DLC" eval runs/two --split dev --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e --slurpfile r $j '.heads[1].mse - $r[0].heads[1].metrics.dev.mse | fabs < 1e-6'
    echo "$output" | jq -e '.heads[0].name == "kind" and .heads[0].accuracy >= 0.9'
    grep -q '^output,split,true,predicted,count' runs/two/confusion.csv
    # predict on rows of a CSV file: every output, by the training columns' names
    printf 'c,b,a\n0.5,-0.5,0.9\n0.1,0.8,-0.7\n' > new.csv
    run "$DLC" predict runs/two new.csv --top-k 1
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" == "new.csv:2: kind: up "*"; value: "* ]]
    [[ "${lines[1]}" == "new.csv:3: kind: down "*"; value: "* ]]
    # value 2a - b + 0.5: 2.8 and -1.7
    v=$(echo "${lines[0]}" | sed 's/.*value: //')
    awk -v v="$v" 'BEGIN { exit !(v > 2.5 && v < 3.1) }'
    run "$DLC" predict runs/two new.csv --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.predictions[1].row == 2 and .predictions[1].line == 3 and .predictions[1].outputs.kind.top[0].class == "down"'
    echo "$output" | jq -e '.predictions[1].outputs.value.values[0].target == "value"'
    echo "$output" | jq -e '(.predictions[1].outputs.value.values[0].value + 1.7 | fabs) < 0.3'
    printf 'a,b\n1,2\n' > short.csv
    run "$DLC" predict runs/two short.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"short.csv: the header lacks 1 of the model's 3 feature columns, the first 'c' (it reads a, b, c)"* ]]
}

@test "an output's weight scales its share of the total loss" {
    two_head_data
    two_head_config 0.25
    sed -i 's/epochs: 60/epochs: 1/' two.yaml
    run "$DLC" train two.yaml
    [ "$status" -eq 0 ]
    jq -e '((.splits.dev.loss - .heads[0].metrics.dev.loss - 0.25 * .heads[1].metrics.dev.loss) | fabs) < 1e-5' runs/two/report.json
}

@test "gradcheck and summary cover every output" {
    two_head_data
    two_head_config
    run "$DLC" gradcheck two.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"value.weight"* && "$output" == *"kind.weight"* && "$output" == *"trunk.weight"* ]]
    run "$DLC" summary two.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"output kind: layer kind, loss softmax_cross_entropy"* ]]
    [[ "$output" == *"output value: layer value, loss mse, weight 1"* ]]
}

@test "bad outputs: a missing layer, a missing label group, a missing column (exit 2, file and line)" {
    two_head_data
    two_head_config
    sed 's/layer: value, loss/layer: valeu, loss/' two.yaml > a.yaml
    run "$DLC" train a.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"a.yaml:13: key 'model.outputs.1.layer': no layer is named 'valeu' (did you mean 'value'?)"* ]]
    sed 's/value: value}/amount: value}/' two.yaml > b.yaml
    run "$DLC" train b.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"b.yaml:13: key 'model.outputs.1': data.label has no group 'value' for this output (it has: kind, amount)"* ]]
    sed 's/value: value}/value: price}/' two.yaml > c.yaml
    run "$DLC" train c.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"two.csv: label column 'price' is not in the header"* ]]
    sed 's/label: {kind: kind, value: value}/label: [kind, value]/' two.yaml > d.yaml
    run "$DLC" train d.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"d.yaml:13: key 'model.outputs': 2 outputs need data.label as a mapping"* ]]
}

@test "unknown labels: empty, ? and listed texts leave a value out of its output's loss" {
    awk 'BEGIN { srand(3); print "a,b,flag,score";
        for (i = 0; i < 120; i++) { a = rand(); b = rand();
            f = (i % 5 == 0) ? "?" : (a > 0.5 ? 1 : 0); s = (i % 7 == 0) ? "NA" : sprintf("%.3f", a + b);
            printf "%.4f,%.4f,%s,%s\n", a, b, f, s } }' > u.csv
    cat > u.yaml <<YAML
data: {format: csv, train: {file: u.csv}, label: {flag: flag, score: score}, unknown_label: ["", "?", NA]}
model:
  layers:
    - {name: flag, type: dense, units: 1}
    - {name: score, type: dense, units: 1, inputs: [input]}
  outputs: [{layer: flag, loss: sigmoid_bce}, {layer: score, loss: mse}]
train: {epochs: 2}
YAML
    run "$DLC" train u.yaml
    [ "$status" -eq 0 ]
    # 24 of 120 flags and 18 of 120 scores unknown
    [ "$(jq '.heads[0].metrics.train.per_class | map(.support) | add' runs/u/report.json)" -eq 96 ]
    sed -i 's/, unknown_label: \["", "?", NA\]//' u.yaml
    run "$DLC" train u.yaml --force
    [ "$status" -eq 2 ]
    [[ "$output" == *"u.csv:2: column 'score': expected a number, got \"NA\""* ]]
}

@test "label smoothing: top level for the softmax outputs, per output, and refused where nothing smooths" {
    two_head_data
    two_head_config
    # the top-level key reaches the softmax output only; the loss it reports grows
    run "$DLC" train two.yaml --out plain --set train.epochs=5
    [ "$status" -eq 0 ]
    run "$DLC" train two.yaml --out smooth --set train.epochs=5 --set label_smoothing=0.2
    [ "$status" -eq 0 ]
    grep -A20 '^  outputs:' smooth/config.yaml | grep -q 'label_smoothing: 0.2'
    grep -A20 '^  outputs:' smooth/config.yaml | grep -q 'label_smoothing: 0$'
    plain=$(tail -1 plain/metrics.csv | cut -d, -f3) smooth=$(tail -1 smooth/metrics.csv | cut -d, -f3)
    awk -v p="$plain" -v s="$smooth" 'BEGIN { exit !(s > p + 0.05) }'
    # the resolved config trains the same again
    run "$DLC" eval smooth
    [ "$status" -eq 0 ]
    # on an output whose loss is not the softmax cross-entropy: file, line and key
    run "$DLC" train two.yaml --set model.outputs='[kind, {layer: value, loss: mse, label_smoothing: 0.1}]'
    [ "$status" -eq 2 ]
    [[ "$output" == *"model.outputs.1.label_smoothing': loss mse takes no label smoothing"* ]]
    run "$DLC" train two.yaml --set model.outputs='[{layer: value, loss: mse}]' --set label_smoothing=0.1
    [ "$status" -eq 2 ]
    [[ "$output" == *"label_smoothing': no output has the loss softmax_cross_entropy"* ]]
    run "$DLC" train two.yaml --set label_smoothing=1
    [ "$status" -eq 2 ]
}

@test "summary of a config with model.input whose output takes its units from the data's classes" {
    two_head_data
    two_head_config
    # model.input given: summary builds without data unless a layer needs its classes
    run "$DLC" summary two.yaml --set model.input='[3]'
    [ "$status" -eq 0 ]
    [[ "$output" == *"kind"*"(2)"* || "$output" == *"kind"*" 2 "* ]] || { echo "$output" | head -30; false; }
    # no data to read: the build's own error stays
    run "$DLC" summary two.yaml --set model.input='[3]' --set data.train.file=missing.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"missing.csv"* ]]
}

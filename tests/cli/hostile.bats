#!/usr/bin/env bats
# hostile.bats - inputs an attacker or an unlucky user gives (issue 11): each
# ends in a clear message and exit 2, never a hang, a crash or a silent wrong
# answer.

load helpers

# iris from a copy in the working folder (data.csv), splits carved from it
iris_copy() {
    cp "$ROOT/data/iris.csv" data.csv
    cat > iris.yaml <<YAML
name: iris
seed: 3
data:
  format: csv
  train: {file: data.csv}
  label: species
  split: {dev: 0.2, test: 0.3}
model:
  layers:
    - {type: dense, units: 8, activation: tanh}
    - {type: dense, units: 3, activation: softmax}
train:
  epochs: ${1:-30}
  batch_size: 16
  optimizer: {type: adam, lr: 0.05}
YAML
}

@test "eval maps labels through the model's classes, not the data read now" {
    iris_copy
    run "$DLC" train iris.yaml --out run --quiet
    [ "$status" -eq 0 ]
    # every setosa row gone: the other two classes keep their ids (re-derived
    # from the data they became 0 and 1, and accuracy fell to a few percent)
    grep -v setosa "$ROOT/data/iris.csv" > data.csv
    run "$DLC" eval run --json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq .examples)" -eq 30 ]
    echo "$output" | jq -e '.accuracy > 0.85'
    run "$DLC" eval run
    [ "$status" -eq 0 ]
    [[ "$output" == *setosa* ]]
    # a label the model never saw: an error naming file and line, or skipped
    echo "5.0,3.0,1.5,0.2,unicorn" >> data.csv
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.csv:102: column 'species': label \"unicorn\" is not one of the 3 classes"* ]]
    run "$DLC" eval run --unknown-labels skip --json
    [ "$status" -eq 0 ]
    [[ "$output" == *"skipped 1 examples whose label the model was not trained on"* ]]
    run "$DLC" eval run --unknown-labels maybe
    [ "$status" -eq 2 ]
}

#!/usr/bin/env bats
# correctness.bats - results that were wrong or misleading when dlc was tried
# as a new user would (issue 10), each with the check that caught it.
load helpers

FABLES="$ROOT/tests/data/text/fables.txt"

lm_config() {
    cat > "${1:-lm.yaml}" <<YAML
name: lm
seed: 2
data:
  format: text
  train: {file: $FABLES}
  split: {dev: 0.1}
  text: {task: lm, tokens: chars, seq_len: 16}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: lstm, units: 16${2:-}}
    - {type: dense, units: auto}
train: {epochs: ${3:-1}, batch_size: 8}
YAML
}

@test "a bidirectional layer in a language model is refused at load: it would see the next token" {
    lm_config lm.yaml ", bidirectional: true"
    run "$DLC" train lm.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"lm.yaml:11: key 'model.layers.1.bidirectional': a language model (data.text.task lm) predicts each next token"* ]]
    run "$DLC" summary lm.yaml
    [ "$status" -eq 2 ]
    # the same layer in a tagger is fine
    printf 'the DT\nfox NN\nran VB\n\na DT\ndog NN\n' > tags.txt
    sed -i 's/task: lm/task: tag/; s/units: auto/units: auto/' lm.yaml
    run "$DLC" summary lm.yaml --set data.train.file=tags.txt --set data.split.dev=0
    [ "$status" -eq 0 ]
}

@test "predict --prompt on a model that is not a language model says so" {
    iris_config
    "$DLC" train iris.yaml --out iris --quiet
    run "$DLC" predict iris --prompt "x"
    [ "$status" -eq 2 ]
    [[ "$output" == *"not a language model (--prompt needs one trained on data.format text, task lm)"* ]]
    [[ "$output" != *"shape"* ]]
    run "$DLC" predict iris --text "x"
    [ "$status" -eq 2 ]
    [[ "$output" == *"not a text model"* ]]
}

@test "after --resume the run's wall time covers every invocation, and the last one is reported too" {
    iris_config iris.yaml 40
    "$DLC" train iris.yaml --out part --quiet --set train.epochs=20
    run "$DLC" train iris.yaml --out part --resume
    [ "$status" -eq 0 ]
    [[ "$output" == *"in this invocation"* ]]
    j=part/report.json
    # the total holds every epoch's time (metrics.csv, both invocations); the last invocation less
    epochs=$(awk -F, 'NR > 1 { s += $7 } END { printf "%.3f", s }' part/metrics.csv)
    jq -e --argjson e "$epochs" '.seconds >= $e and .seconds_last < .seconds and .seconds_last > 0' $j
}

@test "vanishing gradients are reported by the spread of layer norms, not only an absolute floor" {
    {
        echo "name: deep"
        echo "data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species}"
        echo "model:"
        echo "  layers:"
        for i in 1 2 3 4 5 6 7 8 9; do echo "    - {type: dense, units: 16, activation: sigmoid}"; done
        echo "    - {type: dense, units: 3, activation: softmax}"
        echo "train: {epochs: 2, batch_size: 16}"
    } > deep.yaml
    run "$DLC" train deep.yaml --out deep
    [ "$status" -eq 0 ]
    # the first layer's norm is about 1e-6: above the absolute floor (1e-7), 1e-6 of the top's
    [[ "$output" == *"warning: epoch 1: vanishing gradients: layer 'dense_1'"*"times the gradient of layer 'dense_10'"* ]]
    [[ "$output" != *"has a vanishing gradient (mean norm"* ]]
    # every batch is measured in a short epoch: 10 batches, so mean and max differ
    [ "$(sed -n 2p deep/gradnorms.csv | cut -d, -f5)" -eq 10 ]
    awk -F, 'NR == 2 { exit !($3 < $4) }' deep/gradnorms.csv
    # the same depth with relu and He initialisation is healthy
    sed -i 's/activation: sigmoid/activation: relu/' deep.yaml
    run "$DLC" train deep.yaml --out relu
    [[ "$output" != *"vanishing gradients"* ]]
    # and the threshold is the user's
    run "$DLC" train deep.yaml --out strict --set train.grad_warn.ratio=0.99
    [[ "$output" == *"gradients: layer"* ]]
}

#!/usr/bin/env bats
# Every figure of a run folder against an independent computation:
# scripts/check_report.py recomputes them with scikit-learn from what `dlc
# predict --json` gives on the same rows (report.json, confusion.csv, eval
# --json, the diagnosis's arithmetic, errors.csv, metrics.csv's kept epoch),
# on data made so that the right answer is known (tests/data/make_report_cases.py).
load helpers

CHECK="/usr/bin/python3 $ROOT/scripts/check_report.py"

# A CSV config: case NAME TRAIN DEV TEST LOSS UNITS LABEL [EXTRA YAML...]
# (TEST may be "": no test file)
case_config() {
    local name=$1 train=$2 dev=$3 test=$4 loss=$5 units=$6 label=$7
    shift 7
    {
        printf 'name: %s\nseed: 1\ndata:\n  format: csv\n  train: {file: %s}\n' "$name" "$train"
        printf '  dev: {file: %s}\n' "$dev"
        [ -z "$test" ] || printf '  test: {file: %s}\n' "$test"
        printf '  label: %s\n  normalize: standard\n' "$label"
        printf 'model:\n  layers:\n    - {type: dense, units: 16, activation: tanh}\n'
        printf '    - {type: dense, units: %s}\nloss: %s\n' "$units" "$loss"
        printf 'train:\n  epochs: 15\n  batch_size: 32\n  optimizer: {type: adam, lr: 0.01}\n'
        for extra in "$@"; do printf '%s\n' "$extra"; done
    } > "$name.yaml"
}

setup() {
    TMP="$(mktemp -d /tmp/dlc-cli.XXXXXX)"
    cd "$TMP"
    /usr/bin/python3 -c 'import sklearn, yaml' 2>/dev/null || skip "python3-sklearn and python3-yaml needed"
    /usr/bin/python3 "$ROOT/tests/data/make_report_cases.py" .
}

check() {
    run $CHECK "$1" --dlc "$DLC" --quiet
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *" checks passed, 0 failed" ]]
}

@test "report check: multi-class, imbalanced, a class never predicted, label smoothing: every figure as scikit-learn's" {
    case_config mc mc_train.csv mc_dev.csv mc_test.csv softmax_cross_entropy 4 label "label_smoothing: 0.1"
    "$DLC" train mc.yaml --out run --quiet > /dev/null
    # the rare class 'yak' is in dev and the model never predicts it
    [ "$(jq '.metrics.dev.per_class[3].support > 0 and .metrics.dev.per_class[3].predicted == 0' run/report.json)" = true ]
    check run
}

@test "report check: dev lacking two classes, a test split of one example, keep_best off" {
    case_config absent mc_train.csv absent_dev.csv one_test.csv softmax_cross_entropy 4 label \
        "  keep_best: false"
    "$DLC" train absent.yaml --out run --quiet > /dev/null
    [ "$(jq '.splits.test.examples' run/report.json)" = 1 ]
    check run
}

@test "report check: binary scores with ties (ROC AUC), sigmoid and 2-class softmax" {
    case_config bin disc_train.csv disc_dev.csv "" sigmoid_bce 1 label
    "$DLC" train bin.yaml --out bin --quiet > /dev/null
    check bin
    case_config soft disc_train.csv disc_dev.csv "" softmax_cross_entropy 2 label
    "$DLC" train soft.yaml --out soft --quiet > /dev/null
    check soft
}

@test "report check: regression with two targets: mse, mae, r2, mse_se and the largest errors" {
    case_config reg reg_train.csv reg_dev.csv "" mse 2 "[t0, t1]" "report: {error_analysis: {samples: 10}}"
    "$DLC" train reg.yaml --out run --quiet > /dev/null
    [ "$(jq '.error_analysis.sampled' run/report.json)" = 10 ]
    check run
}

@test "report check: a regression gap over a dev file of one row is not named: its noise cannot be measured" {
    case_config one reg_train.csv reg_one.csv reg_dev.csv mse 2 "[t0, t1]"
    run "$DLC" train one.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(jq -r .diagnosis.largest run/report.json)" = null ]
    [ "$(jq -r .diagnosis.noise.dev_overfitting run/report.json)" = null ]
    [[ "$output" == *"noise unknown (one example)"* ]]
    [[ "$output" == *"is over a split of one"*"example, whose squared error says nothing of its spread"* ]]
    grep -q 'noise unknown (one example)' run/report.html
    check run
}

@test "report check: multi-label: per-task figures as scikit-learn's, unknown labels left out; its gaps have a sampling noise" {
    case_config ml ml_train.csv ml_dev.csv "" sigmoid_bce 3 "[a, b, c]"
    run "$DLC" train ml.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(jq -r .task run/report.json)" = multilabel ]
    # noise over examples (the most known labels of one task), not null: a small gap is not named
    [ "$(jq '.diagnosis.noise.variance > 0' run/report.json)" = true ]
    [[ "$output" == *"variance (dev - train)"*"within noise (+-"* ]]
    check run
}

@test "report check: two outputs (classes and two targets): each output's figures, the total loss their weighted sum" {
    cat > h.yaml <<YAML
name: h
seed: 1
data:
  format: csv
  train: {file: heads_train.csv}
  dev: {file: heads_dev.csv}
  label: {kind: kind, box: [t0, t1]}
model:
  layers:
    - {name: trunk, type: dense, units: 32, activation: relu}
    - {name: kind, type: dense, units: auto, inputs: [trunk]}
    - {name: box, type: dense, units: 2, inputs: [trunk]}
  outputs:
    - kind
    - {layer: box, loss: mse, weight: 0.5}
train: {epochs: 10, batch_size: 32, optimizer: {type: adam, lr: 0.01}}
YAML
    "$DLC" train h.yaml --out run --quiet > /dev/null
    [ "$(jq '.heads | length' run/report.json)" = 2 ]
    check run
}

@test "report check: errors.csv ids are rows of the file, past rows data.missing: drop left out" {
    case_config miss mc_train.csv miss_dev.csv "" softmax_cross_entropy 4 label
    sed -i 's/^  normalize: standard/  normalize: standard\n  missing: drop/' miss.yaml
    "$DLC" train miss.yaml --out run --quiet > /dev/null
    [ "$(jq '.splits.dev.examples' run/report.json)" -lt 200 ]
    # every 7th data row (0-based 6, 13, ...) had a missing value: none is listed
    ! tail -n +2 run/errors/errors.csv | cut -d, -f1 | awk '($1 + 1) % 7 == 0 {bad = 1} END {exit !bad}' || false
    check run
}

@test "report check: with data.sources, errors.csv names each example's source and its row there; eval runs from elsewhere" {
    cat > src.yaml <<YAML
name: src
seed: 1
data:
  format: csv
  label: label
  sources:
    - {name: web, domain: out, train: {file: web.csv}}
    - {name: phone, train: {file: phone.csv}, use: {train: 0.2, dev: 0.4, test: 0.4}}
  split: {train_dev: 0.1}
model:
  layers:
    - {type: dense, units: 32, activation: relu}
    - {type: dense, units: 2}
train: {epochs: 10, batch_size: 64, optimizer: {type: adam, lr: 0.01}}
YAML
    "$DLC" train src.yaml --out run --quiet > /dev/null
    [ "$(head -1 run/errors/errors.csv)" = "id,source,true,predicted,confidence,image,mislabeled,tags" ]
    # dev is phone's only: every id is a row of phone.csv (900 rows), not of web + phone
    tail -n +2 run/errors/errors.csv | while IFS=, read -r id src rest; do
        [ "$src" = phone ]
        [ "$id" -lt 900 ]
    done
    # the sources' files are recorded absolute: eval and the check run from another folder
    mkdir elsewhere
    cd elsewhere
    check ../run
    # dlc analyze reads the source column as data, not as a tag
    run "$DLC" analyze ../run
    [ "$status" -eq 0 ]
    [[ "$output" != *"source"* ]]
}

@test "report check: a text classifier's errors.csv ids are rows of its CSV file, with limit drawing some" {
    cat > t.yaml <<YAML
name: t
seed: 3
data:
  format: text
  train: {file: txt.csv, limit: 400}
  label: label
  split: {dev: 0.3}
  text: {task: classify, tokens: words, seq_len: 12, column: text}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: time_avgpool}
    - {type: dense, units: auto}
train: {epochs: 6, batch_size: 32, optimizer: {type: adam, lr: 0.02}}
YAML
    "$DLC" train t.yaml --out run --quiet > /dev/null
    [ "$(tail -n +2 run/errors/errors.csv | wc -l)" -gt 0 ]
    # each row's text, given to dlc predict, is misclassified as the sheet says
    tail -n +2 run/errors/errors.csv | while IFS=, read -r id t p conf rest; do
        line=$(sed -n "$((id + 2))p" txt.csv)
        [ "${line##*,}" = "$t" ]
        run "$DLC" predict run --text "${line%,*}" --top-k 1
        [ "$(echo $output)" = "$p $conf" ]
    done
}

@test "report check: an image folder's errors.csv names each example's file, which dlc predict misclassifies as the sheet says" {
    [ -f "$FMNIST/t10k-images-idx3-ubyte.gz" ] || skip "dataset-fashion-mnist not installed"
    /usr/bin/python3 "$ROOT/scripts/fashion_mnist_to_png.py" fm --limit 300 > /dev/null
    cat > img.yaml <<YAML
name: img
seed: 2
data:
  format: image_folder
  train: {dir: fm/train, limit: 250}
  split: {dev: 0.3}
model:
  input: [1, 28, 28]
  layers:
    - {type: flatten}
    - {type: dense, units: 10}
train: {epochs: 2, batch_size: 32}
report: {error_analysis: {samples: 8}}
YAML
    "$DLC" train img.yaml --out run --quiet > /dev/null
    [ "$(head -1 run/errors/errors.csv)" = "id,file,true,predicted,confidence,image,mislabeled,blurry,tags" ]
    [ "$(tail -n +2 run/errors/errors.csv | wc -l)" -eq 8 ]
    tail -n +2 run/errors/errors.csv | while IFS=, read -r id file t p conf img rest; do
        [ "${file%%/*}" = "$t" ]
        [ "$img" = "$id.png" ]
        [ "$("$DLC" predict run "fm/train/$file" --top-k 1)" = "fm/train/$file: $p $conf" ]
    done
    run "$DLC" analyze run
    [ "$status" -eq 0 ]
    [[ "$output" != *"file"* ]]
}

@test "report check: a tag sheet with sources: one id in two sources is two examples, twice in one is an error" {
    case_config mc mc_train.csv mc_dev.csv "" softmax_cross_entropy 4 label
    "$DLC" train mc.yaml --out run --quiet > /dev/null
    printf 'id,source,true,predicted,confidence,image,mislabeled,tags\n3,web,a,b,0.9,,x,\n3,phone,a,b,0.8,,,dark\n' > t.csv
    run "$DLC" analyze run --tags t.csv
    [ "$status" -eq 0 ]
    printf '3,phone,b,a,0.7,,,\n' >> t.csv
    run "$DLC" analyze run --tags t.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"t.csv: id 3 of source phone appears twice"* ]]
}

@test "report check: 20% label noise without a human-level error is avoidable bias against 0, and the report says so" {
    case_config noise noise_train.csv noise_dev.csv "" softmax_cross_entropy 2 label
    run "$DLC" train noise.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(jq -r .diagnosis.largest run/report.json)" = avoidable_bias ]
    [[ "$output" == *"note: avoidable bias is measured against an error of 0, as report.human_level_error is not set"* ]]
    grep -q 'id="assumed-bayes"' run/report.html
    check run
    # with the Bayes error given, no gap stands out and the note is gone
    run "$DLC" train noise.yaml --out run2 --set report.human_level_error=0.2
    [ "$status" -eq 0 ]
    [ "$(jq -r .diagnosis.largest run2/report.json)" = null ]
    [[ "$output" != *"measured against an error of 0"* ]]
    check run2
}

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

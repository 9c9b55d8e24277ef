#!/usr/bin/env bats
# Reproducibility and resuming: same seed, same results; an interrupted run
# resumed from its checkpoint ends exactly where an uninterrupted one does.
load helpers

@test "same seed and one thread give identical metrics" {
    fmnist_config fm.yaml 1500 2
    "$DLC" train fm.yaml --out a --threads 1 --quiet
    "$DLC" train fm.yaml --out b --threads 1 --quiet
    diff <(metrics_no_time a/metrics.csv) <(metrics_no_time b/metrics.csv)
    cmp a/model.safetensors b/model.safetensors
}

@test "a different seed gives different results" {
    iris_config
    "$DLC" train iris.yaml --out a --quiet
    "$DLC" train iris.yaml --out b --seed 4 --quiet
    ! diff <(metrics_no_time a/metrics.csv) <(metrics_no_time b/metrics.csv) > /dev/null
}

@test "resume after an interruption ends like an uninterrupted run" {
    fmnist_config fm.yaml 1500 4
    "$DLC" train fm.yaml --out full --threads 1 --quiet
    # stop after 2 epochs, then resume to 4
    "$DLC" train fm.yaml --out part --threads 1 --quiet --set train.epochs=2
    [ "$(wc -l < part/metrics.csv)" -eq 3 ]
    run "$DLC" train fm.yaml --out part --threads 1 --resume
    [ "$status" -eq 0 ]
    [[ "$output" == *"resuming after epoch 2"* ]]
    diff <(metrics_no_time full/metrics.csv) <(metrics_no_time part/metrics.csv)
    cmp full/model.safetensors part/model.safetensors
}

@test "a checkpoint written while training goes on holds its epoch: resuming one a kill -9 left ends like an uninterrupted run" {
    fmnist_config fm.yaml 1500 200
    "$DLC" train fm.yaml --out part --threads 1 --quiet &
    pid=$!
    # a few epochs in, so checkpoints have been written while later ones trained
    for i in $(seq 1 600); do
        [ -f part/metrics.csv ] && [ "$(wc -l < part/metrics.csv)" -ge 4 ] && break
        sleep 0.1
    done
    kill -9 $pid
    wait $pid || true
    # the epoch the checkpoint holds, from the refusal to resume it to 1 epoch
    run "$DLC" train fm.yaml --out part --resume --set train.epochs=1
    [ "$status" -eq 2 ]
    k=$(printf '%s\n' "$output" | sed -n 's/.*the checkpoint is after epoch \([0-9]*\),.*/\1/p')
    [ "$k" -ge 1 ]
    run "$DLC" train fm.yaml --out part --threads 1 --resume --set train.epochs=$((k + 1))
    [ "$status" -eq 0 ]
    [[ "$output" == *"resuming after epoch $k"* ]]
    "$DLC" train fm.yaml --out full --threads 1 --quiet --set train.epochs=$((k + 1))
    diff <(metrics_no_time full/metrics.csv) <(metrics_no_time part/metrics.csv)
    cmp full/model.safetensors part/model.safetensors
}

@test "resume with nothing to resume is a clear error" {
    iris_config
    run "$DLC" train iris.yaml --out nothing --resume
    [ "$status" -eq 2 ]
    [[ "$output" == *"no checkpoint to resume from"* ]]
}

@test "early stopping stops and keeps the best dev epoch" {
    iris_config iris.yaml 300
    run "$DLC" train iris.yaml --out run --set train.early_stopping.patience=2 \
        --set train.early_stopping.min_delta=0.5
    [ "$status" -eq 0 ]
    [[ "$output" == *"early stopping"* ]]
    [ "$(wc -l < run/metrics.csv)" -lt 301 ]
    grep -q '"stopped_early": true' run/report.json
}

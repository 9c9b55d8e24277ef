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
    ! diff <(metrics_no_time a/metrics.csv) <(metrics_no_time b/metrics.csv) > /dev/null || false
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

@test "SGD with nesterov momentum, AdamW and AMSGrad resume as uninterrupted runs (their buffers and moments in the checkpoint)" {
    iris_config iris.yaml 6
    local -a opts=("train.optimizer={type: sgd, lr: 0.05, momentum: 0.9, nesterov: true}"
                   "train.optimizer={type: sgd, lr: 0.05, momentum: 0.9, dampening: 0.2}"
                   "train.optimizer={type: adam, lr: 0.02, beta2: 0.9, amsgrad: true}"
                   "train.optimizer={type: adamw, lr: 0.02, weight_decay: 0.1, amsgrad: true}")
    for o in "${opts[@]}"; do
        rm -rf full part
        "$DLC" train iris.yaml --out full --threads 1 --quiet --set "$o" --set train.l2=0.5
        "$DLC" train iris.yaml --out part --threads 1 --quiet --set "$o" --set train.l2=0.5 --set train.epochs=3
        run "$DLC" train iris.yaml --out part --threads 1 --resume --set "$o" --set train.l2=0.5
        [ "$status" -eq 0 ]
        [[ "$output" == *"resuming after epoch 3"* ]]
        diff <(metrics_no_time full/metrics.csv) <(metrics_no_time part/metrics.csv)
        cmp full/model.safetensors part/model.safetensors
    done
    # the state is in the checkpoint: adamw's two moments and amsgrad's largest v
    command -v python3 > /dev/null || return 0
    python3 - part/checkpoint.safetensors <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
h = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])
assert h["__metadata__"]["optimizer"] == "adamw", h["__metadata__"]["optimizer"]
names = [k for k in h if k.startswith("optim.")]
assert sorted(n.split(".")[1] for n in names) == ["m"] * 4 + ["v"] * 4 + ["vmax"] * 4, names
PY
}

@test "a run with train.no_decay resumes as an uninterrupted one: config.yaml keeps the list" {
    iris_config iris.yaml 6
    sed -i 's/optimizer: {type: adam, lr: 0.05}/optimizer: {type: adamw, lr: 0.05, weight_decay: 0.3}\n  l2: 0.5\n  no_decay: []/' iris.yaml
    "$DLC" train iris.yaml --out full --threads 1 --quiet
    "$DLC" train iris.yaml --out part --threads 1 --quiet --set train.epochs=3
    grep -q '^  no_decay: \[\]$' part/config.yaml || false
    run "$DLC" train iris.yaml --out part --threads 1 --resume
    [ "$status" -eq 0 ]
    [[ "$output" == *"resuming after epoch 3"* ]]
    diff <(metrics_no_time full/metrics.csv) <(metrics_no_time part/metrics.csv)
    cmp full/model.safetensors part/model.safetensors
    # the list matters: the default spares the biases, another run
    "$DLC" train iris.yaml --out dflt --threads 1 --quiet --set 'train.no_decay=[biases, norms]'
    ! cmp -s full/model.safetensors dflt/model.safetensors || false
}

@test "a checkpoint written while training goes on holds its epoch: resuming one a kill -9 left ends like an uninterrupted run" {
    fmnist_config fm.yaml 1500 200
    # a checkpoint every epoch (not at most one in 10 s), so the kill lands near one
    "$DLC" train fm.yaml --out part --threads 1 --quiet --set train.checkpoint_seconds=0 &
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

@test "fast epochs do not rewrite the curves or the checkpoint every epoch; the files still hold every epoch" {
    command -v strace > /dev/null || skip "strace is not installed"
    iris_config iris.yaml 400
    # LeakSanitizer cannot run under ptrace (make sanitize): no leak check under strace
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    strace -f -e trace=rename -o trace.txt "$DLC" train iris.yaml --out a --quiet --set train.batch_size=full
    # the old way: 400 rewrites of each; now at most about one a second
    # (the curves) and one in 10 s (the checkpoint: the first epoch's, the last's)
    n=$(grep -c 'metrics\.csv"' trace.txt)
    [ "$n" -ge 1 ]
    [ "$n" -lt 40 ]
    n=$(grep -c 'checkpoint\.safetensors"' trace.txt)
    [ "$n" -ge 2 ]
    [ "$n" -lt 10 ]
    [ "$(wc -l < a/metrics.csv)" -eq 401 ]
    [ "$(awk -F, 'NR > 1' a/gradnorms.csv | cut -d, -f1 | sort -un | wc -l)" -eq 400 ]
    # checkpoint_seconds: 0 checkpoints every epoch, as checkpoint_every says
    strace -f -e trace=rename -o trace0.txt "$DLC" train iris.yaml --out b --quiet --set train.batch_size=full \
        --set train.checkpoint_seconds=0 --set train.epochs=50
    [ "$(grep -c 'checkpoint\.safetensors"' trace0.txt)" -eq 50 ]
}

@test "Ctrl-C: metrics.csv holds every epoch finished; the resume starts from the checkpoint's" {
    iris_config iris.yaml 100000000
    "$DLC" train iris.yaml --out b --set train.batch_size=full > out.txt 2>&1 &
    pid=$!
    for i in $(seq 1 300); do [ -f b/metrics.csv ] && break; sleep 0.1; done
    sleep 0.5
    kill -INT "$pid"
    wait "$pid" || true
    cat out.txt
    stopped=$(sed -n 's/.*interrupted in epoch \([0-9]*\),.*/\1/p' out.txt)
    held=$(sed -n 's/.*holds epoch \([0-9]*\) of.*/\1/p' out.txt)
    [ "$held" -ge 1 ]
    # every epoch before the one interrupted, though the curves are written once a second
    [ "$(tail -n 1 b/metrics.csv | cut -d, -f1)" -eq $((stopped - 1)) ]
    run "$DLC" train iris.yaml --out b --resume --set train.epochs=$((held + 1)) --set train.batch_size=full
    [ "$status" -eq 0 ]
    [[ "$output" == *"resuming after epoch $held "* ]]
    [ "$(wc -l < b/metrics.csv)" -eq $((held + 2)) ]
}

@test "a format-1 checkpoint (flat optimizer moments, a frozen layer between two that learn) still resumes as the old code did" {
    # tests/data/checkpoint1/README.md: written by the code before format 2
    d="$ROOT/tests/data/checkpoint1"
    cp "$d/format1.yaml" "$ROOT/data/iris.csv" .
    mkdir run
    cp "$d/checkpoint.safetensors" run/
    run "$DLC" train format1.yaml --out run --threads 1 --resume
    [ "$status" -eq 0 ]
    [[ "$output" == *"resuming after epoch 3 (step 24)"* ]]
    [[ "$output" != *"optimizer state"* ]]
    diff "$d/expected_metrics.csv" <(metrics_no_time run/metrics.csv)
}

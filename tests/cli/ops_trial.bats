#!/usr/bin/env bats
# A new user's trial of the long-run side of dlc: a rate cut when the dev
# figure stalls (Keras' ReduceLROnPlateau), interrupted and resumed; a disk
# that fills at the end of a run; a run folder removed under a run; a model
# asked for while its run still trains.  Data: the shipped iris file and
# Fashion-MNIST.
load helpers

teardown() {
    cd /
    umount "$TMP/disk" 2> /dev/null || true
    rm -rf "$TMP"
}

# The plateau rule replayed on metrics.csv (epoch,lr,...,dev_loss in column 5):
# the rate each epoch should have had, given the dev losses before it, as
# Keras' ReduceLROnPlateau(factor F, patience P, min_delta D, min_lr M) sets it.
plateau_replay() {
    awk -F, -v lr="$2" -v F="$3" -v P="$4" -v D="$5" -v M="$6" 'NR > 1 {
        printf "%s %.6g\n", $1, lr
        if (NR == 2 || $5 < best - D) { best = $5; wait = 0 }
        else if (++wait >= P) { wait = 0; lr = lr * F < M ? M : lr * F }
    }' "$1"
}

PLATEAU="--set train.schedule.type=plateau --set train.schedule.patience=2 --set train.schedule.factor=0.5 --set train.schedule.min_lr=0.05 --set train.early_stopping.min_delta=0.01 --set train.optimizer.type=sgd --set train.optimizer.lr=0.5 --set train.checkpoint_seconds=0"

@test "plateau schedule: the rate is cut after patience epochs without a better dev loss, as Keras and PyTorch cut it" {
    iris_config iris.yaml 30
    run "$DLC" train iris.yaml --out run $PLATEAU
    [ "$status" -eq 0 ]
    # four cuts, the last to min_lr; none below it
    [ "$(grep -c 'has not improved for 2 epochs: the learning rate goes from' <<< "$output")" -eq 4 ]
    [[ "$output" == *"the learning rate goes from 0.0625 to 0.05 (train.schedule.type plateau)"* ]]
    diff <(plateau_replay run/metrics.csv 0.5 0.5 2 0.01 0.05) <(cut -d, -f1,2 run/metrics.csv | tail -n +2 | tr , ' ' | awk '{printf "%s %.6g\n", $1, $2}')
    [ "$(cut -d, -f2 run/metrics.csv | sort -u | grep -c .)" -eq 6 ] # header, 0.5 .. 0.05
    grep -q '^    type: plateau$' run/config.yaml
    grep -q '^    patience: 2$' run/config.yaml
    # PyTorch's ReduceLROnPlateau(patience=1, threshold=0.01, threshold_mode="abs") on the same
    # dev losses gives the same rates
    if /usr/bin/python3 -c 'import torch' 2> /dev/null; then
        /usr/bin/python3 - run/metrics.csv <<'PY'
import csv, sys, torch
rows = list(csv.DictReader(open(sys.argv[1])))
p = torch.nn.Parameter(torch.zeros(1)); o = torch.optim.SGD([p], lr=0.5)
s = torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=1, threshold=0.01, threshold_mode="abs", min_lr=0.05)
for r in rows:
    assert abs(o.param_groups[0]["lr"] - float(r["lr"])) < 1e-9, (r["epoch"], o.param_groups[0]["lr"], r["lr"])
    s.step(float(r["dev_loss"]))
PY
    fi
}

@test "plateau schedule: a run stopped and resumed keeps its cuts and its count of epochs without improvement" {
    iris_config iris.yaml 30
    "$DLC" train iris.yaml --out whole $PLATEAU --quiet > /dev/null
    # stopped after epoch 16: one cut (after epoch 14), and one epoch without improvement since
    "$DLC" train iris.yaml --out parts $PLATEAU --set train.epochs=16 --quiet > /dev/null
    [ "$(cut -d, -f2 parts/metrics.csv | tail -1)" = 0.25 ]
    run "$DLC" train iris.yaml --out parts --resume $PLATEAU
    [ "$status" -eq 0 ]
    diff <(metrics_no_time whole/metrics.csv) <(metrics_no_time parts/metrics.csv)
    cmp whole/model.safetensors parts/model.safetensors
}

@test "plateau schedule: no dev split is refused before training, naming the keys; Keras' and PyTorch's names are answered" {
    iris_config iris.yaml 5
    run "$DLC" train iris.yaml --out run --set train.schedule.type=plateau --set data.split.dev=0
    [ "$status" -eq 2 ]
    [[ "$output" == *"train.schedule.type plateau cuts the rate when dev_loss stops improving, but the run has no dev split: set data.split.dev"* ]]
    [ ! -e run/metrics.csv ]
    run "$DLC" train iris.yaml --out run --set train.schedule.type=ReduceLROnPlateau
    [ "$status" -eq 2 ]
    [[ "$output" == *"(dlc's name: 'plateau'"* ]]
    run "$DLC" train iris.yaml --out run --set train.schedule.type=plateau --set train.schedule.every=3
    [ "$status" -eq 2 ]
    [[ "$output" == *"not read by schedule type plateau"* ]]
    run "$DLC" train iris.yaml --out run --set train.schedule.type=plateau --set train.schedule.patience=9
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: train.schedule.patience is 9, but the run has 5 epochs: the plateau schedule can never cut the rate"* ]]
}

# The shipped Fashion-MNIST MLP on 3,000 images: its checkpoint (weights, Adam's moments, the
# best weights) is about 3.8 MB, the model 1 MB.
FM_SMALL="--set data.train.limit=3000 --set train.epochs=3 --threads 1"

@test "a disk full at the end: the model and report written, the last checkpoint not - said so, not 'continue with --resume'" {
    mkdir disk
    mount -t tmpfs -o size=6m tmpfs disk 2> /dev/null || skip "mounting a tmpfs needs root"
    # the first checkpoint fits; the last one's temporary beside it, the model and the report do not
    run "$DLC" train "$ROOT/configs/fashion_mnist_mlp.yaml" $FM_SMALL --out disk/run --quiet
    [ "$status" -eq 1 ]
    [[ "$output" == *"dlc: error: disk/run/checkpoint.safetensors: write failed: No space left on device"* ]]
    [[ "$output" == *"training ended: disk/run/model.safetensors and the report are written; only the last checkpoint (to train on with --resume and more epochs) was not: disk/run/checkpoint.safetensors holds epoch 1 of 3"* ]]
    [ -s disk/run/model.safetensors ] && [ -s disk/run/report.json ]
    [ "$(ls disk/run | grep -c tmp)" -eq 0 ]
    "$DLC" eval disk/run --split dev > /dev/null
}

@test "a disk full at the first checkpoint: nothing to resume, and the command that starts again" {
    mkdir disk
    mount -t tmpfs -o size=1m tmpfs disk 2> /dev/null || skip "mounting a tmpfs needs root"
    run "$DLC" train "$ROOT/configs/fashion_mnist_mlp.yaml" $FM_SMALL --out disk/run --quiet
    [ "$status" -eq 1 ]
    [[ "$output" == *"no checkpoint was written, so there is nothing to resume; once the cause is fixed, start again with: dlc train $ROOT/configs/fashion_mnist_mlp.yaml --out disk/run --force (and the same --set options)"* ]]
    [ ! -e disk/run/checkpoint.safetensors ]
}

@test "the run folder removed while training: the error says nothing is left to resume, not to --resume" {
    "$DLC" train "$ROOT/configs/fashion_mnist_mlp.yaml" --set data.train.limit=12000 --set train.epochs=50 \
        --set train.checkpoint_seconds=0 --threads 1 --out run --quiet > out.txt 2>&1 &
    pid=$!
    for i in $(seq 100); do [ -e run/checkpoint.safetensors ] && break; sleep 0.1; done
    rm -rf run
    wait $pid && status=0 || status=$?
    [ "$status" -eq 1 ]
    grep -q "run/checkpoint.safetensors is gone (was the run folder removed?), so there is nothing to resume; start again with: dlc train .* --out run --force" out.txt
    ! grep -q "continue with" out.txt
}

@test "eval and export of a run still training say so, with its pid, not that it was stopped" {
    "$DLC" train "$ROOT/configs/fashion_mnist_mlp.yaml" --set data.train.limit=12000 --set train.epochs=50 \
        --set train.checkpoint_seconds=0 --threads 1 --out run --quiet > /dev/null 2>&1 &
    pid=$!
    # before its first checkpoint, and after
    for i in $(seq 100); do [ -e run/.lock ] && [ -s run/.lock ] && break; sleep 0.05; done
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" == *"run/model.safetensors: no model yet: the run is still training in another dlc process (pid $pid); model.safetensors is written when training ends (run/metrics.csv has the epochs so far)"* ]]
    for i in $(seq 100); do [ -e run/checkpoint.safetensors ] && break; sleep 0.1; done
    run "$DLC" export run
    [ "$status" -eq 2 ]
    [[ "$output" == *"still training in another dlc process (pid $pid)"* ]]
    kill -INT $pid
    wait $pid || true
    # stopped: now it says how to finish it
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" == *"no model yet: the run was stopped before it ended"* ]]
}

@test "a sweep over schedule and optimizer types: a type from --set leaves out the base's keys for its own type" {
    iris_config iris.yaml 4
    # the base's schedule and optimizer carry keys only their own types read
    sed -i 's/  optimizer: {type: adam, lr: 0.05}/  optimizer: {type: adam, lr: 0.05, beta2: 0.99}\n  schedule: {type: exponential, base: 0.5}/' iris.yaml
    cat > types.yaml <<YAML
base: iris.yaml
mode: grid
params:
  train.schedule.type: [step, cosine, exponential]
  train.optimizer.type: [momentum, adam]
YAML
    run "$DLC" sample types.yaml
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 6 ]
    run "$ROOT/scripts/sweep.sh" types.yaml -o sw --top 10
    [ "$status" -eq 0 ]
    [ "$(awk -F, 'NR > 1 && $3 == "done"' sw/leaderboard.csv | wc -l)" -eq 6 ]
    # a type of the file's own keeps them; another type's run records its own keys only
    grep -q 'train.schedule.type=exponential' sw/trial-00[1-6]/overrides.txt
    for t in sw/trial-00?; do
        if grep -q 'schedule.type=exponential' $t/overrides.txt; then grep -q '^    base: 0.5$' $t/config.yaml
        else ! grep -q '^    base:' $t/config.yaml; fi
    done
    t=$(dirname "$(grep -l 'schedule.type=step' sw/trial-00?/overrides.txt | head -1)")
    [ "$(cut -d, -f2 $t/metrics.csv | tail -n +2 | tr '\n' ' ')" = "0.05 0.05 0.05 0.05 " ]
    # both from the file, or both from --set: still refused
    run "$DLC" train iris.yaml --set train.schedule.type=step --set train.schedule.base=0.5
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'train.schedule.base': not read by schedule type step"* ]]
    sed -i 's/type: exponential, base: 0.5/type: step, base: 0.5/' iris.yaml
    run "$DLC" train iris.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"iris.yaml"*"key 'train.schedule.base': not read by schedule type step"* ]]
}

@test "two sweeps into one folder at once (a Slurm array submitted again): a trial one trains is left to it, not marked refused" {
    cat > one.yaml <<YAML
base: $ROOT/configs/fashion_mnist_mlp.yaml
trials: 1
set: {data.train.limit: 6000, train.epochs: 8}
params:
  train.optimizer.lr: {log_uniform: [1e-3, 1e-2]}
YAML
    "$ROOT/scripts/sweep.sh" one.yaml -o sw -j 1 > first.out 2>&1 &
    first=$!
    # the first sweep's dlc train holds the trial's lock
    for i in $(seq 200); do
        [ -s sw/trial-001/.lock ] && ! flock -n -s sw/trial-001/.lock true && break
        sleep 0.05
    done
    run "$ROOT/scripts/sweep.sh" one.yaml -o sw -j 1
    [ "$status" -eq 1 ]
    [[ "$output" == *"trial 1: being trained by another dlc process (pid "*"); left to it"* ]]
    [[ "$output" == *"sweep.sh: trials 1 are being trained by another process"* ]]
    [ ! -e sw/trial-001/refused ]
    [ "$(grep -c '^== ' sw/trial-001/train.log)" -eq 1 ]
    wait $first
    grep -q "1 of 1 trials done" first.out
    [ ! -e sw/trial-001/refused ]
    run "$ROOT/scripts/sweep.sh" one.yaml -o sw -j 1
    [ "$status" -eq 0 ]
    [[ "$output" == *"trial 1: done already"* ]]
}

@test "eval says which epoch's weights it scores: the best dev epoch with keep_best, else the last" {
    iris_config iris.yaml 12
    "$DLC" train iris.yaml --out run --set train.optimizer.lr=0.5 --quiet > /dev/null
    best=$(grep -o '"best_epoch": *[0-9]*' run/report.json | grep -o '[0-9]*$')
    [ "$best" -ge 1 ] && [ "$best" -lt 12 ]
    run "$DLC" eval run --split dev
    [ "$status" -eq 0 ]
    [[ "${lines[1]}" == "weights: epoch $best of 12, the best dev epoch (train.keep_best, by train.early_stopping.metric)" ]]
    "$DLC" train iris.yaml --out last --set train.optimizer.lr=0.5 --set train.keep_best=false --quiet > /dev/null
    run "$DLC" eval last --split dev
    [[ "${lines[1]}" == "weights: epoch 12 of 12, the last" ]]
}

@test "early stopping with keep_best false (Keras' default, restore_best_weights=False) stops as with keep_best, also across a resume" {
    iris_config iris.yaml 60
    ES="--set train.optimizer.lr=0.5 --set train.early_stopping.patience=2 --set train.early_stopping.min_delta=0.01 --set train.checkpoint_seconds=0"
    run "$DLC" train iris.yaml --out best $ES
    [[ "$output" == *"(stopped early)"* ]]
    n=$(($(wc -l < best/metrics.csv) - 1))
    [ "$n" -lt 60 ]
    # it used to train all 60 epochs: every epoch counted as the best so far
    run "$DLC" train iris.yaml --out last $ES --set train.keep_best=false
    [ "$status" -eq 0 ]
    [[ "$output" == *"(stopped early)"* ]]
    [ "$(($(wc -l < last/metrics.csv) - 1))" -eq "$n" ]
    [ "$(grep -o '"best_epoch": *[0-9]*' last/report.json)" = "$(grep -o '"best_epoch": *[0-9]*' best/report.json)" ]
    run "$DLC" eval last --split dev
    [[ "${lines[1]}" == "weights: epoch $n of $n, the last" ]]
    # stopped after 3 epochs and resumed: the same early stop
    "$DLC" train iris.yaml --out parts $ES --set train.keep_best=false --set train.epochs=3 --quiet > /dev/null
    "$DLC" train iris.yaml --out parts $ES --set train.keep_best=false --resume --quiet > /dev/null
    diff <(metrics_no_time last/metrics.csv) <(metrics_no_time parts/metrics.csv)
}

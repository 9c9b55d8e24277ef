#!/usr/bin/env bats
# Hyperparameter sweeps: dlc sample, dlc leaderboard, scripts/sweep.sh (local
# jobs, resume, grid, GNU parallel over "hosts", the Slurm script).
load helpers

SWEEP_SH="$ROOT/scripts/sweep.sh"

# A 3-trial random sweep (plus the baseline) over the iris config.
iris_sweep() {
    iris_config iris.yaml 15
    cat > "${1:-sw.yaml}" <<YAML
base: iris.yaml
trials: 3
seed: 5
baseline: ${2:-false}
set: {train.epochs: 12}
params:
  train.optimizer.lr: {log_uniform: [1e-3, 1e-1]}
  model.layers.0.units: {int_uniform: [4, 16]}
  train.optimizer.beta1: {one_minus_log: [-3, -1]}
YAML
}

# rows of leaderboard.csv with the given status
board_rows() {
    awk -F, -v s="$2" 'NR > 1 && $3 == s' "$1" | wc -l
}

# A sweep of one parameter over iris.yaml (the line "KEY: VALUE" in $1) that dlc
# sample refuses (exit 2), each further argument a part of its message; the file is
# p.yaml, the parameter its line 4.
sweep_refuses() {
    printf 'base: iris.yaml\ntrials: 3\nparams:\n  %s\n' "$1" > p.yaml
    run "$DLC" sample p.yaml
    [ "$status" -eq 2 ]
    shift
    for part in "$@"; do
        [[ "$output" == *"$part"* ]] || return 1
    done
}

@test "sample: deterministic --set overrides per trial, usable by dlc train" {
    iris_sweep
    run "$DLC" sample sw.yaml
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    all="$output"
    run "$DLC" sample sw.yaml
    [ "$output" = "$all" ]
    run "$DLC" sample sw.yaml --trial 2
    [ "$status" -eq 0 ]
    [ "$output" = "$(sed -n 2p <<< "$all" | cut -f2)" ]
    [[ "$output" == "--set train.epochs=12 --set train.optimizer.lr="* ]]
    "$DLC" train iris.yaml $("$DLC" sample sw.yaml --trial 2) --out run --quiet
    lr=$("$DLC" sample sw.yaml --trial 2 --lines | sed -n 's/^train.optimizer.lr=//p')
    units=$("$DLC" sample sw.yaml --trial 2 --lines | sed -n 's/^model.layers.0.units=//p')
    grep -q "lr: $lr" run/config.yaml
    grep -q "units: $units" run/config.yaml
    # another seed, other values
    sed -i 's/^seed: 5/seed: 6/' sw.yaml
    run "$DLC" sample sw.yaml
    [ "$output" != "$all" ]
}

@test "a sweep over optimizer types with adamw and nesterov sgd: each trial trains with its own type's keys" {
    iris_config iris.yaml 4
    cat > types.yaml <<YAML
base: iris.yaml
mode: grid
params:
  train.optimizer.type: [adam, adamw]
  train.optimizer.lr: [0.01, 0.05]
YAML
    run "$DLC" sample types.yaml
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 4 ]
    run "$SWEEP_SH" types.yaml -o sw
    [ "$status" -eq 0 ]
    [ "$(board_rows sw/leaderboard.csv done)" -eq 4 ]
    local t
    for t in sw/trial-00?; do
        if grep -q 'type=adamw' "$t/overrides.txt"; then grep -q '^    weight_decay: 0.01$' "$t/config.yaml"
        else ! grep -q '^    weight_decay:' "$t/config.yaml"; fi
    done
    # the same by hand, with an adamw key and sgd's nesterov through --set
    run "$DLC" train iris.yaml --out w --quiet --set train.optimizer.type=adamw --set train.optimizer.weight_decay=0.05
    [ "$status" -eq 0 ]
    grep -q '^    weight_decay: 0.05$' w/config.yaml
    run "$DLC" train iris.yaml --out n --quiet --set train.optimizer.type=sgd \
        --set train.optimizer.momentum=0.9 --set train.optimizer.nesterov=true
    [ "$status" -eq 0 ]
    grep -q '^    nesterov: true$' n/config.yaml
}

@test "sample --info tells scripts the sweep's settings" {
    iris_sweep sw.yaml true
    run "$DLC" sample sw.yaml --info
    [ "$status" -eq 0 ]
    [[ "$output" == *"name=sw"* ]]
    [[ "$output" == *"base=./iris.yaml"* ]]
    [[ "$output" == *"first=0"* ]]
    [[ "$output" == *"trials=3"* ]]
    [[ "$output" == *"metric=dev_accuracy"* ]]
    [[ "$output" == *"goal=max"* ]]
    [[ "$output" == *"out=runs/sweeps/sw"* ]]
    run "$DLC" sample sw.yaml --trial 0 --lines
    [ "$output" = "train.epochs=12" ]
}

@test "a sweep over blocks: a use's repeat and params, and a layer of the block's definition, by name" {
    iris_config
    # the hidden layer as a block used twice (model.blocks is expanded before the schema reads the config)
    sed -i 's/^    - {type: dense, units: 8, activation: tanh}$/    - {name: body, type: block, block: mlp, repeat: 2, params: {units: 8}}/' iris.yaml
    sed -i 's/^  layers:$/  blocks:\n    mlp:\n      params: {units: null}\n      layers:\n        - {name: fc, type: dense, units: $units, activation: tanh}\n  layers:/' iris.yaml
    printf 'base: iris.yaml\ntrials: 4\nparams:\n  model.layers.body.repeat: {int_uniform: [1, 3]}\n  model.layers.body.params.units: [4, 16]\n  model.blocks.mlp.layers.fc.activation: [relu, sigmoid]\n' > b.yaml
    run "$DLC" sample b.yaml --trial 3 --lines
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" == "model.layers.body.repeat="[123] ]]
    [[ "${lines[1]}" == "model.layers.body.params.units="@(4|16) ]]
    [[ "${lines[2]}" == "model.blocks.mlp.layers.fc.activation="@(relu|sigmoid) ]]
    # the trial trains with what it was given: its layers are the block's copies
    sets=()
    for l in "${lines[@]}"; do sets+=(--set "$l"); done
    "$DLC" train iris.yaml --out run --quiet --set train.epochs=1 "${sets[@]}"
    reps=${lines[0]#*=} units=${lines[1]#*=} act=${lines[2]#*=}
    [ "$(grep -c "^    - name: body_\([0-9]_\)\?fc$" run/config.yaml)" -eq "$reps" ]
    grep -q "units: $units" run/config.yaml
    grep -q "activation: $act" run/config.yaml
    # a value the blocks refuse is named before anything runs, as other keys' are
    sweep_refuses 'model.layers.body.repeat: {int_uniform: [0, 3]}' "p.yaml:4: key 'model.layers.body.repeat': its range starts at 0, which the base config refuses" \
        "expected a positive integer"
    sweep_refuses 'model.blocks.mlp.layers.fc.unit: [4, 8]' "p.yaml:4: key 'model.blocks.mlp.layers.fc.unit': unknown config key (did you mean 'model.blocks.mlp.layers.fc.units'?)"
    # the suggestion keeps the item as the key wrote it, a name or an index
    sweep_refuses 'model.layers.1.unit: [4, 8]' "p.yaml:4: key 'model.layers.1.unit': unknown config key (did you mean 'model.layers.1.units'?)"
    sweep_refuses 'model.layers.body.repeats: [1, 2]' "p.yaml:4: key 'model.layers.body.repeats': unknown config key (did you mean 'model.layers.body.repeat'?)"
}

@test "bad sweeps: unknown keys and bad ranges exit 2 naming file, line and key" {
    iris_config
    sweep_refuses 'train.optimizer.lrr: {log_uniform: [1e-3, 1e-1]}' "p.yaml:4: key 'train.optimizer.lrr': unknown config key (did you mean 'train.optimizer.lr'?)"
    sweep_refuses 'model.layers.4.units: [8, 16]' "p.yaml:4: key 'model.layers.4.units'" "index 4 is out of range"
    # a layer by its name, as --set reaches it: known, sampled, and a name no layer has
    sed -i 's/- {type: dense, units: 8/- {name: hidden, type: dense, units: 8/' iris.yaml
    printf 'base: iris.yaml\ntrials: 3\nparams:\n  model.layers.hidden.units: [5, 6]\n' > n.yaml
    run "$DLC" sample n.yaml --trial 2 --lines
    [ "$status" -eq 0 ]
    [[ "$output" == "model.layers.hidden.units="[56] ]]
    sweep_refuses 'model.layers.hiden.units: [5, 6]' "no item of 'model.layers' is named 'hiden' (did you mean 'hidden'?)"
    sweep_refuses 'train.optimizer.lr: {log_uniform: [0, 1]}' "p.yaml:4: key 'train.optimizer.lr': log_uniform needs 0 < lo < hi"
    sweep_refuses 'train.optimizer.beta1: {uniform: [0.5, 1.5]}' "its range reaches 1.5, which the base config refuses"
    sweep_refuses 'train.optimizer.lrr: [0.1]' "unknown config key"
    run "$DLC" sample p.yaml --trial 1
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown config key"* ]]
    iris_sweep
    run "$DLC" sample sw.yaml --trial 4
    [ "$status" -eq 2 ]
    [[ "$output" == *"--trial needs a trial number from 1 to 3, got '4'"* ]]
    run "$DLC" sample missing.yaml
    [ "$status" -eq 2 ]
    # sweep.sh passes the verdict on, before running anything
    run "$SWEEP_SH" c.yaml
    [ "$status" -eq 2 ]
    [ ! -d runs ]
    run "$SWEEP_SH" sw.yaml --trials 2-9
    [ "$status" -eq 2 ]
    [[ "$output" == *"this sweep has trials 1 to 3"* ]]
}

@test "a sweep: section inside a config; dlc train ignores it" {
    iris_config
    cat iris.yaml - > both.yaml <<YAML
sweep:
  trials: 2
  metric: dev_loss
  params:
    train.batch_size: [8, 16, 32]
YAML
    run "$DLC" sample both.yaml --info
    [ "$status" -eq 0 ]
    [[ "$output" == *"base=both.yaml"* ]]
    [[ "$output" == *"goal=min"* ]]
    run "$DLC" train both.yaml --out run --quiet
    [ "$status" -eq 0 ]
}

@test "sweep.sh: a 3-trial sweep end to end, then resumed" {
    iris_sweep sw.yaml true
    # trials 1 and 2 only: the rest stays to do
    run "$SWEEP_SH" sw.yaml -j 2 --trials 1-2
    [ "$status" -eq 0 ]
    [[ "$output" == *"trial 1: done in"* ]]
    [[ "$output" == *"trial 2: done in"* ]]
    # the dev accuracy of the final table, not a row of the bias/variance table
    grep -Eq '^trial 1: done in [0-9.]+s, dev accuracy [0-9.]+%$' <<< "$output"
    [[ "$output" == *"2 of 4 trials done, 2 not finished"* ]]
    csv=runs/sweeps/sw/leaderboard.csv
    [ "$(board_rows $csv missing)" -eq 2 ]
    sum1=$(md5sum runs/sweeps/sw/trial-001/report.json)

    # the whole sweep: 1 and 2 are skipped, 0 and 3 run
    run "$SWEEP_SH" sw.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"trial 1: done already"* ]]
    [[ "$output" == *"trial 2: done already"* ]]
    [[ "$output" == *"trial 0: done in"* ]]
    [[ "$output" == *"trial 3: done in"* ]]
    [[ "$output" == *"4 of 4 trials done; ranked by dev_accuracy (higher is better)"* ]]
    [[ "$output" == *"best: trial"* ]]
    [ "$sum1" = "$(md5sum runs/sweeps/sw/trial-001/report.json)" ]
    [ "$(board_rows $csv done)" -eq 4 ]
    [ "$(head -1 $csv)" = "rank,trial,status,metric,dev_accuracy,dev_loss,test_accuracy,test_loss,train_accuracy,train_loss,epochs,wall_seconds,overrides" ]
    # ranked: the metric never rises going down, ranks are 1..4
    awk -F, 'NR > 2 && $4 > prev {exit 1} NR > 1 {prev = $4}' $csv
    [ "$(cut -d, -f1 $csv | tail -n +2 | tr '\n' ' ')" = "1 2 3 4 " ]
    grep -q ',0,done,.*"(base config)"' $csv
    # each trial trained what dlc sample gives it, in its own folder
    for k in 1 2 3; do
        d=runs/sweeps/sw/trial-00$k
        diff <("$DLC" sample sw.yaml --trial $k --lines) $d/overrides.txt
        [ -s $d/wall_seconds ]
        [ -s $d/model.safetensors ]
    done
}

@test "sweep.sh: an interrupted trial resumes from its checkpoint and ends like an uninterrupted one" {
    iris_sweep
    # a dlc whose first training of trial 2 is cut off after 2 epochs, as a
    # kill would leave it: a checkpoint, no model, no report
    cat > fake-dlc <<SH
#!/bin/bash
out=
prev=
for a in "\$@"; do [ "\$prev" = --out ] && out="\$a"; prev="\$a"; done
if [ "\$1" = train ] && [[ "\$out" == */trial-002 ]] && [ ! -e "$TMP/cut" ]; then
    touch "$TMP/cut"
    "$DLC" "\$@" --set train.epochs=2 || exit
    rm -f "\$out/model.safetensors" "\$out/report.json"
    kill -TERM \$\$
fi
exec "$DLC" "\$@"
SH
    chmod +x fake-dlc
    DLC_REAL="$DLC"
    DLC="$TMP/fake-dlc" run "$SWEEP_SH" sw.yaml -j 1
    [ "$status" -eq 1 ]
    [[ "$output" == *"trials without a result: 2"* ]]
    # the leaderboard says how far the unfinished trial got
    [[ "$output" == *"not finished: trial 2, 2 epochs in runs/sweeps/sw/trial-002/metrics.csv (run the sweep again to resume it)"* ]]
    grep -q '^,2,unfinished,,,,,,,,2,,' runs/sweeps/sw/leaderboard.csv
    [ -f runs/sweeps/sw/trial-002/checkpoint.safetensors ]
    [ ! -f runs/sweeps/sw/trial-002/report.json ]

    DLC="$DLC_REAL" run "$SWEEP_SH" sw.yaml -j 1
    [ "$status" -eq 0 ]
    [[ "$output" == *"trial 1: done already"* ]]
    [[ "$output" == *"trial 2: done in"* ]]
    [[ "$output" == *"3 of 3 trials done"* ]]
    grep -q "resuming after epoch 2" runs/sweeps/sw/trial-002/train.log
    "$DLC_REAL" train iris.yaml $("$DLC_REAL" sample sw.yaml --trial 2) --out ref --quiet --threads 1
    diff <(metrics_no_time ref/metrics.csv) <(metrics_no_time runs/sweeps/sw/trial-002/metrics.csv)
}

# A grid sweep g.yaml over the iris config's learning rate: lr_grid "[0.05, 1e30]"
lr_grid() {
    iris_config
    cat > g.yaml <<YAML
base: iris.yaml
mode: grid
set: {train.optimizer.type: sgd, model.layers.0.activation: relu, train.epochs: 3}
params:
  train.optimizer.lr: $1
YAML
}

@test "sweep.sh: a trial that diverges is recorded as failed and not retried" {
    lr_grid "[0.05, 1e30]"
    run "$SWEEP_SH" g.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"trial 2: training failed: dlc: error: epoch 1"*"the loss became"* ]]
    [[ "$output" == *"1 of 2 trials done, 1 failed"* ]]
    # the table ranks the finished trial; the failed one is listed below it with why
    [[ "$output" == *"failed: trial 2: dlc: error: epoch 1"*"the loss became"* ]]
    grep -q '^,2,failed,' runs/sweeps/g/leaderboard.csv
    run "$SWEEP_SH" g.yaml
    [[ "$output" == *"trial 2: failed before, not retried"* ]]
}

@test "sweep.sh: a sweep file edited under its folder: the old trials are stale, not done, failed or resumed" {
    lr_grid "[0.05, 1e30, 0.2]"
    run "$SWEEP_SH" g.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"2 of 3 trials done, 1 failed"* ]]
    # trial 3 as an interrupted run leaves it: a checkpoint, no model or report
    rm runs/sweeps/g/trial-003/report.json runs/sweeps/g/trial-003/model.safetensors
    sum1=$(md5sum < runs/sweeps/g/trial-001/report.json)
    # the user changes the values: trials 2 and 3 now mean other learning rates
    sed -i 's/\[0.05, 1e30, 0.2\]/[0.05, 0.1, 0.3]/' g.yaml
    run "$SWEEP_SH" g.yaml
    # they used to be skipped as failed, or resumed, and ranked under the new values
    [ "$status" -eq 2 ]
    [[ "$output" == *"trial 1: done already"* ]]
    [[ "$output" == *"sweep-trial.sh: $TMP/runs/sweeps/g/trial-002 ran with other overrides than the sweep now gives trial 2 (did the sweep file change?)"* ]]
    [[ "$output" == *"trial-003 ran with other overrides than the sweep now gives trial 3"* ]]
    [[ "$output" != *"trial 2: failed before"* ]]
    [[ "$output" != *"trial 3: done"* ]]
    [ ! -e runs/sweeps/g/trial-003/report.json ]
    [[ "$output" == *"1 of 3 trials done, 2 stale"* ]]
    [[ "$output" == *"stale: trial 2 ran with train.optimizer.lr=1e30"* ]]
    [[ "$output" == *"stale: trial 3 ran with train.optimizer.lr=0.2"* ]]
    [[ "$output" == *"dlc: error: runs/sweeps/g: trials 2, 3 ran with other settings than g.yaml gives them now"*"run the sweep into another folder (-o DIR)"* ]]
    csv=runs/sweeps/g/leaderboard.csv
    [ "$(board_rows $csv stale)" -eq 2 ]
    grep -q '^1,1,done,' $csv
    [ "$sum1" = "$(md5sum < runs/sweeps/g/trial-001/report.json)" ]
    # dlc leaderboard alone says the same (exit 2); into another folder the sweep runs whole
    run "$DLC" leaderboard g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"stale: trial 2"* ]]
    run "$SWEEP_SH" g.yaml -o fresh
    [ "$status" -eq 0 ]
    [[ "$output" == *"3 of 3 trials done"* ]]
}

@test "sweep.sh: a base config edited under a finished sweep: its trials are stale, with what changed" {
    lr_grid "[0.05, 0.2]"
    # a relative data path (dlc train records it absolute)
    cp "$ROOT/data/iris.csv" .
    sed -i "s|file: $ROOT/data/iris.csv|file: iris.csv|" iris.yaml
    grep -q 'file: iris.csv}' iris.yaml
    run "$SWEEP_SH" g.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"2 of 2 trials done"* ]]
    # the same overrides, on a base config with a wider hidden layer: the
    # trials used to count as done and rank as if they had trained so
    sed -i 's/units: 8,/units: 12,/' iris.yaml
    run "$SWEEP_SH" g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"0 of 2 trials done, 2 stale"* ]]
    [[ "$output" == *"stale: trial 1 ran with another config than the base config gives it now (its config.yaml -> now): model.layers.0.units: 8 -> 12"* ]]
    [[ "$output" == *"was the sweep file or its base config edited?"* ]]
    # the data path, recorded absolute by dlc train, is no change
    [[ "$output" != *"data.train.file"* ]]
    grep -q "file: $TMP/iris.csv" runs/sweeps/g/trial-001/config.yaml
    [ "$(board_rows runs/sweeps/g/leaderboard.csv stale)" -eq 2 ]
    # put back, the trials are the sweep's again
    sed -i 's/units: 12,/units: 8,/' iris.yaml
    run "$DLC" leaderboard g.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"2 of 2 trials done"* ]]
    # a key one config.yaml lacks (written by a dlc of another version) is no change
    sed -i '/^label_smoothing:/d' runs/sweeps/g/trial-001/config.yaml
    run "$DLC" leaderboard g.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"2 of 2 trials done"* ]]
}

@test "sweep.sh: a trial dlc train refuses (exit 2) is listed with why, exit 2, and tried again with new overrides" {
    iris_config
    cat > m.yaml <<YAML
base: iris.yaml
mode: grid
set: {train.memory_limit: 0.0000095, train.epochs: 2}
params:
  train.batch_size: [4, 64]
YAML
    # batch 64's plan is over the 10 KiB limit: dlc train exits 2 before it trains
    run "$SWEEP_SH" m.yaml
    # it used to be "not finished" (exit 1), "run the sweep again to resume it", forever
    [ "$status" -eq 2 ]
    [[ "$output" == *"trial 2: dlc train refused it: dlc: error: train.batch_size 64: the memory plan needs"* ]]
    [[ "$output" == *"1 of 2 trials done, 1 refused by dlc train"* ]]
    [[ "$output" == *"refused: trial 2: dlc: error: train.batch_size 64: the memory plan needs"*"the largest batch that fits is "*"then run the sweep again to retry it)"* ]]
    [[ "$output" == *"sweep.sh: dlc train refused trials 2 (exit 2"* ]]
    [[ "$output" != *"not finished"* ]]
    grep -q '^,2,refused,' runs/sweeps/m/leaderboard.csv
    [ -f runs/sweeps/m/trial-002/refused ]
    # a batch that fits: the refused trial holds nothing, so it trains with the new value
    sed -i 's/\[4, 64\]/[4, 32]/' m.yaml
    run "$SWEEP_SH" m.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"trial 1: done already"* ]]
    [[ "$output" == *"trial 2: done in"* ]]
    [[ "$output" == *"2 of 2 trials done;"* ]]
    [ ! -e runs/sweeps/m/trial-002/refused ]
    [ "$(cat runs/sweeps/m/trial-002/overrides.txt | tail -1)" = "train.batch_size=32" ]
}

@test "leaderboard of a sweep that has not run there: exit 2 naming the folder, not a failed write" {
    iris_sweep
    # it used to be "runs/sweeps/sw/leaderboard.csv: cannot create temporary file" (exit 1)
    expect_error "runs/sweeps/sw: no such folder: the sweep has not run with its default output folder (scripts/sweep.sh sw.yaml), or its trials are elsewhere: give --dir OUT" \
        "$DLC" leaderboard sw.yaml
    expect_error "elsewhere: no such folder: the sweep has not run into it (scripts/sweep.sh sw.yaml -o DIR)" \
        "$DLC" leaderboard sw.yaml --dir elsewhere
    expect_error "iris.yaml: not a folder" "$DLC" leaderboard sw.yaml --dir iris.yaml
    [ ! -e runs ]
}

@test "a regression sweep: trials say their dev mse, and a metric no trial has is said, not claimed" {
    cat > reg.yaml <<YAML
name: reg
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: petal_width,
       features: [sepal_length, petal_length], split: {dev: 0.2}}
model: {layers: [{type: dense, units: 1}]}
loss: mse
train: {epochs: 5, batch_size: 16}
YAML
    cat > r.yaml <<YAML
base: reg.yaml
mode: grid
params:
  train.optimizer.lr: [0.01, 0.05, 0.06]
YAML
    run "$SWEEP_SH" r.yaml
    [ "$status" -eq 0 ]
    # the fourth column of a regression's table is its mse: it was called "dev accuracy"
    grep -Eq '^trial 1: done in [0-9.]+s, dev mse [0-9.]+$' <<< "$output"
    [[ "$output" != *"dev accuracy"* ]]
    # the default metric, dev_accuracy, which no regression has: ranked by dev loss, saying so
    [[ "$output" == *"3 of 3 trials done; ranked by dev loss: no trial has a dev_accuracy (a regression has no accuracy; set metric: dev_loss or score in r.yaml)"* ]]
    [[ "$output" != *"ranked by dev_accuracy (higher is better)"* ]]
    # ranked by dev loss, its MSE: a trial is marked ~ exactly when its dev MSE and
    # the best's are within two standard errors of their difference (report.json's
    # mse_se); lr 0.05 and 0.06 are, 0.01 (five epochs from far off) is not
    sed -i 's/^mode: grid$/mode: grid\nmetric: dev_loss/' r.yaml
    run "$DLC" leaderboard r.yaml
    [ "$status" -eq 0 ]
    csv=runs/sweeps/r/leaderboard.csv
    best=$(awk -F, '$1 == 1 {print $2}' $csv)
    marked=0
    for rank in 2 3; do
        other=$(awk -F, -v r=$rank '$1 == r {print $2}' $csv)
        tie=$(jq -n --slurpfile a runs/sweeps/r/trial-00$best/report.json \
                    --slurpfile b runs/sweeps/r/trial-00$other/report.json \
              '$a[0].metrics.dev as $x | $b[0].metrics.dev as $y
               | (($x.mse - $y.mse) | fabs) <= 2 * (($x.mse_se * $x.mse_se + $y.mse_se * $y.mse_se) | sqrt)')
        if [ "$tie" = true ]; then
            grep -Eq "^  $rank~ +$other " <<< "$output"
            marked=$((marked + 1))
        else
            grep -Eq "^  $rank  +$other " <<< "$output"
        fi
    done
    [ "$marked" -eq 1 ]
    [[ "$output" == *"~: dev MSE within two standard errors of the difference from the best trial's (30 dev examples): not told apart from it on this dev set (1 trial)"* ]]
}

@test "sweep.sh --mode grid runs every combination, in its own folder" {
    iris_config
    cat > r.yaml <<YAML
base: iris.yaml
trials: 2
set: {train.epochs: 4}
params:
  train.batch_size: [8, 32]
  model.layers.0.activation: [tanh, relu, sigmoid]
YAML
    run "$DLC" sample r.yaml --mode grid
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 6 ]
    [ "$(cut -f2 <<< "$output" | sort -u | wc -l)" -eq 6 ]
    run "$SWEEP_SH" r.yaml --mode grid --top 10
    [ "$status" -eq 0 ]
    [[ "$output" == *"6 trials (grid"* ]]
    [ "$(board_rows runs/sweeps/r-grid/leaderboard.csv done)" -eq 6 ]
    [ ! -d runs/sweeps/r ]
}

@test "sweep.sh --hosts: the same trials through GNU parallel over ssh logins" {
    parallel --version 2> /dev/null | grep -q '^GNU parallel' ||
        skip "GNU parallel not installed (Debian package parallel)"
    iris_sweep
    # ':' is this machine without ssh; 'localhost' goes through the ssh
    # command, here a stand-in that runs the command locally as sshd would:
    # in the user's home, through the login shell, with SHELL set from
    # passwd (GNU parallel's remote worker runs jobs with $SHELL; CI may
    # run the tests with no SHELL in the environment)
    cat > fake-ssh <<'SH'
#!/bin/bash
while [ $# -gt 0 ]; do case "$1" in -l|-p|-o|-S|-i) shift 2 ;; -*) shift ;; *) break ;; esac; done
echo "$1" >> "$(dirname "$0")/ssh-hosts.log"
shift
[ "${1:-}" = "--" ] && shift
SHELL="$(getent passwd "$(id -un)" | cut -d: -f7)"
export SHELL="${SHELL:-/bin/sh}"
cd "${HOME:-/}" || exit 255
exec "$SHELL" -c "$*"
SH
    chmod +x fake-ssh
    printf '1/:\n1/localhost\n' > hosts
    PARALLEL_SSH="$TMP/fake-ssh" run "$SWEEP_SH" sw.yaml --hosts hosts
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"3 of 3 trials done"* ]]
    [ "$(board_rows runs/sweeps/sw/leaderboard.csv done)" -eq 3 ]
    grep -q localhost ssh-hosts.log
    # the same results as a local run
    run "$SWEEP_SH" sw.yaml -o local
    [ "$status" -eq 0 ]
    for k in 1 2 3; do
        diff <(metrics_no_time local/trial-00$k/metrics.csv) \
             <(metrics_no_time runs/sweeps/sw/trial-00$k/metrics.csv)
    done
}

@test "sweep.sh --hosts with a parallel that is not GNU parallel is a clear error" {
    iris_sweep
    mkdir bin
    printf '#!/bin/sh\necho "parallel: invalid option"; exit 1\n' > bin/parallel
    chmod +x bin/parallel
    printf '1/:\n' > hosts
    PATH="$TMP/bin:$PATH" run "$SWEEP_SH" sw.yaml --hosts hosts
    [ "$status" -eq 2 ]
    [[ "$output" == *"needs GNU parallel"*"moreutils"* ]]
    [ ! -e runs/sweeps/sw/leaderboard.csv ]
}

@test "sweep.sh --slurm writes a job-array script; an index runs one trial" {
    iris_sweep
    run "$SWEEP_SH" sw.yaml --slurm job.sbatch -j 2
    [ "$status" -eq 0 ]
    [[ "$output" == *"sbatch job.sbatch"* ]]
    [ "$(head -1 job.sbatch)" = "#!/bin/bash" ]
    grep -qx '#SBATCH --array=1-3%2' job.sbatch
    grep -qx '#SBATCH --cpus-per-task=1' job.sbatch
    grep -q '^#SBATCH --output=.*/runs/sweeps/sw/slurm-%A_%a.out$' job.sbatch
    grep -q 'dlc sample SWEEP --trial \$SLURM_ARRAY_TASK_ID' job.sbatch
    grep -q '^exec .*sweep-trial.sh .*"\$SLURM_ARRAY_TASK_ID" .*/runs/sweeps/sw$' job.sbatch
    bash -n job.sbatch
    [ ! -d runs/sweeps/sw/trial-001 ]
    # what one array index does
    SLURM_ARRAY_TASK_ID=2 DLC="$DLC" run bash job.sbatch
    [ "$status" -eq 0 ]
    [ -f runs/sweeps/sw/trial-002/report.json ]
    [ ! -d runs/sweeps/sw/trial-001 ]
    run "$DLC" leaderboard sw.yaml
    [[ "$output" == *"1 of 3 trials done, 2 not finished"* ]]
}

@test "the shipped sweeps are valid" {
    cd "$ROOT"
    run "$DLC" sample configs/sweeps/fashion_mnist_mlp_sweep.yaml --info
    [ "$status" -eq 0 ]
    [[ "$output" == *"trials=20"* ]]
    [[ "$output" == *"first=0"* ]]
    run "$DLC" sample configs/sweeps/fashion_mnist_mlp_sweep.yaml --trial 20 --lines
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 5 ]
    run "$DLC" sample configs/sweeps/softmax_iris_grid.yaml --info
    [ "$status" -eq 0 ]
    [[ "$output" == *"mode=grid"* ]]
    [[ "$output" == *"trials=18"* ]]
}

@test "metric: score ranks by the report's single-number metric, constraints met first" {
    iris_sweep
    # minimize the loss, but only models under 60 parameters count; units
    # range over 4..16, i.e. 35..131 parameters, so some trials break the bound
    cat >> iris.yaml <<YAML
report:
  metric: {optimize: loss, satisfice: {params: {max: 60}}}
YAML
    sed -i 's/^seed: 5/seed: 5\nmetric: score/' sw.yaml
    sed -i 's/trials: 3/trials: 4/' sw.yaml
    run "$SWEEP_SH" sw.yaml -j 2
    [ "$status" -eq 0 ]
    [[ "$output" == *"ranked by the single-number metric (constraints met first)"* ]]
    # read back each trial's own figures and check the order of the board
    prev_met=1 prev=
    while IFS=, read -r rank trial status metric rest; do
        f=runs/sweeps/sw/trial-$(printf %03d "$trial")/report.json
        met=$(jq -r '.metric.constraints_met' "$f")
        value=$(jq -r '.metric.value' "$f")
        [ "$metric" = "$(printf %s "$metric")" ]
        awk -v a="$metric" -v b="$value" 'BEGIN {exit !((a - b) < 1e-4 && (b - a) < 1e-4)}'
        if [ "$met" = true ]; then
            [ "$prev_met" = 1 ] # no met trial after an unmet one
            [ -z "$prev" ] || awk -v a="$prev" -v b="$value" 'BEGIN {exit !(a <= b)}'
            prev=$value
        else
            prev_met=0
        fi
    done < <(tail -n +2 runs/sweeps/sw/leaderboard.csv)
}

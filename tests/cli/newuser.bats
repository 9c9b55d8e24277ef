#!/usr/bin/env bats
# A new user's guesses, from Keras or PyTorch, on configs written from
# scratch: a guess dlc would silently ignore is refused with a message that
# names the file, line and key and says what dlc reads instead (exit 2);
# reports do not claim what their data cannot show.
load helpers

# iris.yaml with `optimizer: {$1}` is refused (exit 2) with $2 and makes no run folder
optimizer_refused() {
    iris_config
    sed -i "s/optimizer: {type: adam, lr: 0.05}/optimizer: {$1}/" iris.yaml
    expect_error "$2" "$DLC" train iris.yaml --out run "${@:3}"
    [ ! -e run ]
}

@test "an optimizer key its type would ignore is refused, not ignored (Adam with nesterov or weight_decay, RMSprop with momentum); nesterov as PyTorch refuses it" {
    optimizer_refused "type: adam, lr: 0.05, nesterov: true" \
        "iris.yaml:15: key 'train.optimizer.nesterov': not read by optimizer type adam"
    [[ "$output" == *"type sgd reads it"* ]]
    optimizer_refused "type: rmsprop, lr: 0.05, momentum: 0.9" \
        "iris.yaml:15: key 'train.optimizer.momentum': not read by optimizer type rmsprop"
    [[ "$output" == *"type sgd, momentum reads it"* ]]
    # PyTorch's SGD refuses nesterov without a momentum, and with dampening: so does dlc
    optimizer_refused "type: sgd, lr: 0.05, nesterov: true" \
        "iris.yaml:15: key 'train.optimizer.nesterov': nesterov needs a momentum above 0"
    optimizer_refused "type: sgd, lr: 0.05, nesterov: true" \
        "key 'train.optimizer.dampening': nesterov needs dampening 0 (it is 0.5)" \
        --set train.optimizer.momentum=0.9 --set train.optimizer.dampening=0.5
    # PyTorch's Adam(weight_decay=) is an L2 term: dlc's train.l2, or adamw for decoupled decay
    optimizer_refused "type: adam, lr: 0.05" "key 'train.optimizer.weight_decay': not read by optimizer type adam" \
        --set train.optimizer.weight_decay=1e-4
    [[ "$output" == *"type adamw reads it (PyTorch's weight_decay on other optimizers is an L2 term in the gradient: dlc's is train.l2"* ]]
    # the same through --set, and a schedule key without its schedule type
    iris_config
    expect_error "--set train.optimizer.rho=0.9: key 'train.optimizer.rho': not read by optimizer type adam" \
        "$DLC" train iris.yaml --out run --set train.optimizer.rho=0.9
    expect_error "key 'train.schedule.decay_rate': not read by schedule type constant (the default)" \
        "$DLC" train iris.yaml --out run --set train.schedule.decay_rate=0.5
    # what it suggests trains, and config.yaml keeps only the keys its type reads
    run "$DLC" train iris.yaml --out run --quiet --set train.optimizer.type=momentum \
        --set train.optimizer.momentum=0.8 --set train.schedule.type=inverse_time \
        --set train.schedule.decay_rate=0.5
    [ "$status" -eq 0 ]
    grep -q "^    momentum: 0.8$" run/config.yaml
    grep -q "^    decay_rate: 0.5$" run/config.yaml
    ! grep -q "^    beta1:" run/config.yaml || false
    ! grep -q "^    base:" run/config.yaml || false
    # and that config.yaml trains again as it is
    run "$DLC" train run/config.yaml --out again --quiet
    [ "$status" -eq 0 ]
    cmp <(cut -d, -f1-6 run/metrics.csv) <(cut -d, -f1-6 again/metrics.csv)
}

@test "a config in Keras' words is answered with dlc's names, one key at a time" {
    cat > keras.yaml <<YAML
data:
  format: csv
  train: {file: $ROOT/data/iris.csv}
  label: species
  validation_split: 0.2
model:
  layers:
    - {type: Dense, units: 8, activation: relu, kernel_initializer: he_normal}
    - {type: Linear, units: 3}
loss: sparse_categorical_crossentropy
train:
  optimizer: {type: adam, learning_rate: 0.01}
  early_stopping: {metric: val_loss}
YAML
    expect_error "keras.yaml:5: key 'data.validation_split': unknown key (dlc's name: 'data.split.dev')" \
        "$DLC" train keras.yaml --out run
    sed -i 's/  validation_split: 0.2/  split: {dev: 0.2}/' keras.yaml
    expect_error "key 'model.layers.0.type': unknown layer type \"Dense\" (did you mean 'dense'?)" \
        "$DLC" train keras.yaml --out run
    sed -i 's/type: Dense/type: dense/' keras.yaml
    expect_error "keras.yaml:8: key 'model.layers.0.kernel_initializer': unknown key (dlc's name: 'init')" \
        "$DLC" train keras.yaml --out run
    sed -i 's/kernel_initializer: he_normal/init: he_normal/' keras.yaml
    expect_error "got \"he_normal\" (dlc's name: 'he')" "$DLC" train keras.yaml --out run
    sed -i 's/init: he_normal/init: he/' keras.yaml
    expect_error "unknown layer type \"Linear\" (dlc's name: 'dense'; PyTorch's nn.Linear; dlc's linear is the identity activation)" \
        "$DLC" train keras.yaml --out run
    sed -i 's/type: Linear/type: dense/' keras.yaml
    expect_error "keras.yaml:10: key 'loss': expected one of softmax_cross_entropy" \
        "$DLC" train keras.yaml --out run
    [[ "$output" == *"(dlc's name: 'softmax_cross_entropy'; it reads class labels, no one-hot needed)"* ]]
    sed -i 's/sparse_categorical_crossentropy/softmax_cross_entropy/' keras.yaml
    expect_error "keras.yaml:12: key 'train.optimizer.learning_rate': unknown key (dlc's name: 'lr')" \
        "$DLC" train keras.yaml --out run
    sed -i 's/learning_rate:/lr:/' keras.yaml
    expect_error "got \"val_loss\" (dlc's name: 'dev_loss')" "$DLC" train keras.yaml --out run
    sed -i 's/val_loss/dev_loss/' keras.yaml
    run "$DLC" train keras.yaml --out run --quiet
    [ "$status" -eq 0 ]
    [ -s run/report.json ]
    # a Sequential model's layers at the top of the file
    printf 'data: {format: csv, train: {file: %s}, label: species}\nlayers:\n  - {type: dense, units: 3}\n' \
        "$ROOT/data/iris.csv" > top.yaml
    expect_error "top.yaml:2: key 'layers': unknown key (dlc's name: 'model.layers'; the model's layers go under model:)" \
        "$DLC" train top.yaml --out r
    # augmentation in the words of Keras' preprocessing layers and torchvision's transforms
    folder_config "$ROOT/tests/data/images/train" f.yaml
    expect_error "key 'data.augment.rotation': unknown key (dlc's name: 'rotate')" \
        "$DLC" train f.yaml --out r --set data.augment.rotation=10
    expect_error "key 'data.augment.random_horizontal_flip': unknown key (dlc's name: 'hflip')" \
        "$DLC" train f.yaml --out r --set data.augment.random_horizontal_flip=true
}

# regression_csv FILE SLOPE: 200 rows of a, b and y = SLOPE * (3a - 2b) + 5 + a
# small deterministic wiggle; SLOPE 0 makes a constant target
regression_csv() {
    awk -v s="$2" 'BEGIN { print "a,b,y"
        for (i = 0; i < 200; i++) { a = sin(i * 1.7); b = cos(i * 0.9)
            printf "%.6f,%.6f,%.6f\n", a, b, s * (3 * a - 2 * b + 0.1 * sin(i * 7.3)) + 5 } }' > "$1"
}

regression_config() { # regression_config FILE CSV EPOCHS
    cat > "$1" <<YAML
seed: 1
data: {format: csv, train: {file: $2}, label: y, split: {dev: 0.25, test: 0.25}, normalize: standard}
model: {layers: [{type: dense, units: 1}]}
loss: mse
train: {epochs: $3, batch_size: 16, optimizer: {type: adam, lr: 0.05}}
YAML
}

@test "regression: r2 per split, as scikit-learn computes it; a constant target has none" {
    regression_csv lin.csv 1
    regression_config lin.yaml lin.csv 60
    run "$DLC" train lin.yaml --out lin --threads 1
    [ "$status" -eq 0 ]
    [[ "$output" == *"mse        mae         r2"* ]]
    # dev r2 from the error sample (every dev example: 50 < 100 samples)
    [ "$(($(wc -l < lin/errors/errors.csv) - 1))" -eq 50 ]
    r2=$(awk -F, 'NR > 1 { t[NR] = $2; p[NR] = $3; s += $2; n++ }
        END { m = s / n; for (i in t) { se += (t[i] - p[i]) ^ 2; st += (t[i] - m) ^ 2 }
              printf "%.6f", 1 - se / st }' lin/errors/errors.csv)
    jq -e --argjson r "$r2" '(.metrics.dev.r2 - $r) | fabs < 1e-4' lin/report.json
    jq -e '.metrics.dev.r2 > 0.9 and .metrics.train.r2 > 0.9' lin/report.json
    jq -e '(1 - .metrics.dev.mse / .metrics.dev.mean_mse - .metrics.dev.r2) | fabs < 1e-9' lin/report.json
    run "$DLC" eval lin --split dev --json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq .r2)" = "$(jq .metrics.dev.r2 lin/report.json)" ]
    # no human-level figure: the largest gap is the largest measured, no more
    jq -e '.diagnosis.no_better_than_mean == false' lin/report.json
    # a constant target: nothing to explain, and a model still off it has not learned
    regression_csv const.csv 0
    regression_config const.yaml const.csv 2
    run "$DLC" train const.yaml --out const --threads 1
    [ "$status" -eq 0 ]
    [[ "$output" == *"(r2 -: the split's target is constant, so there is no variance to explain)"* ]]
    [[ "$output" == *"diagnosis: on train the model does no better than predicting the mean target"* ]]
    [[ "$output" != *"variance is the largest gap"* ]]
    jq -e '.metrics.train.r2 == null and .metrics.dev.r2 == null' const/report.json
    jq -e '.diagnosis.no_better_than_mean and .diagnosis.largest == "avoidable_bias"' const/report.json
    jq -e '.diagnosis.gaps.avoidable_bias == null and .diagnosis.train_mean_mse < 1e-6' const/report.json
    grep -q "does no better than predicting the mean target" const/report.html
}

@test "threads: the default follows the cores the process may use; more than those is said" {
    command -v taskset > /dev/null || skip "taskset not installed"
    iris_config iris.yaml 3
    # the first core this process may use (a container's cpuset may leave out core 0)
    local core
    core=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*\([0-9]*\).*/\1/p' /proc/self/status)
    # one allowed core: one thread by default (two would wait for each other)
    run taskset -c "$core" "$DLC" train iris.yaml --out one
    [ "$status" -eq 0 ]
    [ "$(jq .threads one/report.json)" = 1 ]
    [[ "$output" != *"usable core"* ]]
    # asked for more: kept, with a note that says what it costs
    run taskset -c "$core" "$DLC" train iris.yaml --out two --threads 2
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: 2 threads on 1 usable core: the threads take turns on the cores"* ]]
    [[ "$output" == *"(--threads 1 is faster)"* ]]
    [ "$(jq .threads two/report.json)" = 2 ]
}

@test "threads: the default follows a cgroup's CPU quota (docker run --cpus, a Kubernetes limit), v2 and v1" {
    iris_config iris.yaml 3
    local cores
    cores=$(taskset -pc $$ 2> /dev/null | sed 's/.*: //' | tr ',' '\n' |
        awk -F- '{n += NF == 2 ? $2 - $1 + 1 : 1} END {print n}')
    [ "${cores:-0}" -ge 2 ] || skip "needs 2 usable cores to see a quota of 1"
    local all=$((cores < 4 ? cores : 4)) # the default without a quota: the cores, at most 4
    # v2: a quota of one core's time
    mkdir -p v2 v1/cpu,cpuacct none
    echo "100000 100000" > v2/cpu.max
    DLC_CGROUP_ROOT=$PWD/v2 run "$DLC" train iris.yaml --out q2
    [ "$status" -eq 0 ]
    [ "$(jq .threads q2/report.json)" = 1 ]
    # asked for more than the quota: kept, and the note says why
    DLC_CGROUP_ROOT=$PWD/v2 run "$DLC" train iris.yaml --out q2b --threads 2
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: 2 threads on 1 usable core (the CPU quota of this process's cgroup)"* ]]
    # v1: 1.5 cores' time rounds up to 2; 0.5 to 1
    echo 150000 > v1/cpu,cpuacct/cpu.cfs_quota_us
    echo 100000 > v1/cpu,cpuacct/cpu.cfs_period_us
    DLC_CGROUP_ROOT=$PWD/v1 run "$DLC" train iris.yaml --out q1
    [ "$status" -eq 0 ]
    [ "$(jq .threads q1/report.json)" = 2 ]
    echo 50000 > v1/cpu,cpuacct/cpu.cfs_quota_us
    DLC_CGROUP_ROOT=$PWD/v1 run "$DLC" train iris.yaml --out q1b
    [ "$(jq .threads q1b/report.json)" = 1 ]
    # no quota ("max", -1, or no files): the cores
    echo "max 100000" > v2/cpu.max
    DLC_CGROUP_ROOT=$PWD/v2 run "$DLC" train iris.yaml --out q2c
    [ "$(jq .threads q2c/report.json)" = "$all" ]
    echo -1 > v1/cpu,cpuacct/cpu.cfs_quota_us
    DLC_CGROUP_ROOT=$PWD/v1 run "$DLC" train iris.yaml --out q1c
    [ "$(jq .threads q1c/report.json)" = "$all" ]
    DLC_CGROUP_ROOT=$PWD/none run "$DLC" train iris.yaml --out q0
    [ "$(jq .threads q0/report.json)" = "$all" ]
}

@test "dlc analyze on a regression run speaks of its largest errors, not misclassified examples" {
    regression_csv lin.csv 1
    regression_config lin.yaml lin.csv 5
    run "$DLC" train lin.yaml --out lin --threads 1 --quiet
    [ "$status" -eq 0 ]
    awk -F, 'BEGIN { OFS = "," } NR == 2 || NR == 3 { $6 = "x" } NR == 4 { $7 = "outlier" } { print }' \
        lin/errors/errors.csv > t.csv
    run "$DLC" analyze lin --tags t.csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"error analysis: 50 sampled of 50 dev examples, those with the largest errors"* ]]
    [[ "$output" != *"misclassified"* ]]
    [[ "$output" == *"(no ceilings: a regression run has no dev error rate"* ]]
    [[ "$output" != *"ceiling: how far dev error would fall"* ]]
    run "$DLC" analyze lin --tags t.csv --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.warnings[0] | startswith("a regression run has no dev error rate")'
    echo "$output" | jq -e '.mislabeled == 2 and .tags[0].ceiling == null'
}

@test "no misclassified dev examples: the run says there is nothing to tag" {
    awk 'BEGIN { print "a,b,y"; for (i = 0; i < 120; i++) { a = sin(i * 1.3) * 3; b = cos(i * 2.1)
        printf "%.4f,%.4f,%s\n", a, b, (a > 0 ? "pos" : "neg") } }' > sep.csv
    cat > sep.yaml <<YAML
data: {format: csv, train: {file: sep.csv}, label: y, split: {dev: 0.25}}
model: {layers: [{type: dense, units: 2}]}
train: {epochs: 40, batch_size: 16, optimizer: {type: adam, lr: 0.1}}
YAML
    run "$DLC" train sep.yaml --out sep --threads 1
    [ "$status" -eq 0 ]
    [ "$(jq .splits.dev.error sep/report.json)" = 0 ]
    [[ "$output" == *"error analysis: no misclassified dev examples, nothing to tag"* ]]
    [[ "$output" != *"tag them"* ]]
}

@test "a dev split of one class is said to be one: its accuracy is that class's recall" {
    iris_config iris.yaml 3
    head -1 "$ROOT/data/iris.csv" > dev.csv
    grep -m 10 setosa "$ROOT/data/iris.csv" >> dev.csv
    sed -i "s|  split: {dev: 0.2, test: 0.2}|  dev: {file: $PWD/dev.csv}|" iris.yaml
    run "$DLC" train iris.yaml --out run --threads 1
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: split dev has examples of 1 of the 3 classes train has (none of versicolor, virginica): its figures say nothing about those, and its accuracy is one class's recall"* ]]
    jq -e '.warnings | length == 1 and (.[0] | startswith("split dev has examples of 1 of the 3"))' run/report.json
    grep -q '<ul class="bad" id="warnings"><li>Warning: split dev has examples of 1 of the 3 classes' run/report.html
    run "$DLC" eval run --split dev --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.warnings[0] | startswith("split dev has examples of 1 of the 3")'
    # a split with every class: no warning
    iris_config iris.yaml 3
    run "$DLC" train iris.yaml --out all --threads 1
    [ "$status" -eq 0 ]
    [[ "$output" != *"warning: split"* ]]
    jq -e '.warnings == []' all/report.json
    ! grep -q 'id="warnings"' all/report.html || false
}

@test "summary plans the batch dlc train will use, and --set on a run is refused, not ignored" {
    iris_config iris.yaml 2
    run "$DLC" summary iris.yaml --set train.batch_size=1000
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: batch_size 1000 is larger than the train split (90); dlc train uses 90"* ]]
    [[ "$output" == *"memory plan for training at batch 90 "* ]]
    run "$DLC" train iris.yaml --out run --quiet --set train.batch_size=1000
    [ "$status" -eq 0 ]
    run "$DLC" summary run --set train.batch_size=8
    [ "$status" -eq 2 ]
    [[ "$output" == *"--set applies to a CONFIG"* ]]
    [[ "$output" == *"dlc summary RUN/config.yaml --set train.batch_size=N"* ]]
    # a run folder given where a config is expected says where its config is
    expect_error "run: a run folder, not a config; its config is run/config.yaml" \
        "$DLC" train run --resume
    [[ "$output" == *"dlc train run/config.yaml --resume --out run"* ]]
    expect_error "its config is run/config.yaml" "$DLC" gradcheck run
    # and what it suggests works
    run "$DLC" train run/config.yaml --resume --out run --quiet --set train.epochs=3
    [ "$status" -eq 0 ]
    [ "$(jq .epochs_run run/report.json)" = 3 ]
}

@test "a deep stack of sigmoids: one gradient warning line, not one per layer and epoch" {
    layers=""
    for i in $(seq 40); do layers="$layers{type: dense, units: 8, activation: sigmoid}, "; done
    cat > deep.yaml <<YAML
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species, split: {dev: 0.2}}
model: {layers: [$layers{type: dense, units: 3}]}
train: {epochs: 2, batch_size: 16}
YAML
    run "$DLC" train deep.yaml --out run --threads 1
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: epoch 1: "*" of 41 layers have a vanishing gradient (mean norm < 1e-07), from 'dense_1' ("* ]]
    [[ "$output" == *"each layer in gradnorms.csv"* ]]
    [ "$(echo "$output" | grep -c "has a vanishing gradient")" -eq 0 ]
    # once, not again every epoch while it stays as bad
    [ "$(echo "$output" | grep -c "layers have a vanishing gradient")" -eq 1 ]
    [ "$(echo "$output" | grep -c "vanishing gradients: layer 'dense_1'")" -eq 1 ]
    [[ "$output" == *"note: epoch 2: gradient warnings above recur"* ]]
    [ "$(grep -c '^1,dense_' run/gradnorms.csv)" -eq 41 ]
    [ "$(grep -c '^2,dense_' run/gradnorms.csv)" -eq 41 ]
}

@test "dlc eval of an imported run says its data is a placeholder and what to do instead" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet
    run "$DLC" export run --format onnx --out iris.onnx
    [ "$status" -eq 0 ]
    run "$DLC" import iris.onnx --out imp
    [ "$status" -eq 0 ]
    run "$DLC" eval imp
    [ "$status" -eq 2 ]
    [[ "$output" == *"train.csv"* ]]
    [[ "$output" == *"dlc: note: imp's data section is a placeholder (dlc import writes one"* ]]
    [[ "$output" == *"--set data.train.file=FILE --set data.label=COLUMN --split train"* ]]
    # and what it says scores the imported model as the source run scored it
    run "$DLC" eval imp --set data.train.file="$ROOT/data/iris.csv" --set data.label=species --split train --json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq .examples)" = 150 ]
    # a run dlc train wrote has absolute paths: no such note when its data is gone
    sed -i "s|$ROOT/data/iris.csv|$PWD/iris_copy.csv|" iris.yaml
    cp "$ROOT/data/iris.csv" iris_copy.csv
    "$DLC" train iris.yaml --out run2 --quiet
    rm iris_copy.csv
    run "$DLC" eval run2
    [ "$status" -eq 2 ]
    [[ "$output" == *"iris_copy.csv"* ]]
    [[ "$output" != *"placeholder"* ]]
}

@test "--resume says what changed, and refuses a change that would redraw the dev split" {
    iris_config iris.yaml 3
    run "$DLC" train iris.yaml --out run --quiet
    [ "$status" -eq 0 ]
    cp run/metrics.csv before.csv
    # another seed draws another split: examples trained on would land in dev
    expect_error "run/checkpoint.safetensors: --resume would change seed: 3 -> 5; the train, dev and test split" \
        "$DLC" train iris.yaml --out run --resume --seed 5 --set train.epochs=4
    expect_error "--resume would change data.split.dev: 0.2 -> 0.3" \
        "$DLC" train iris.yaml --out run --resume --set data.split.dev=0.3 --set train.epochs=4
    cmp before.csv run/metrics.csv
    # a new learning rate is fine, and said
    run "$DLC" train iris.yaml --out run --resume --set train.epochs=4 --set train.optimizer.lr=0.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: the config differs from the one the checkpoint was written with; continuing with the new one:"* ]]
    [[ "$output" == *"  train.epochs: 3 -> 4"* ]]
    [[ "$output" == *"  train.optimizer.lr: 0.05 -> 0.1"* ]]
    [ "$(wc -l < run/metrics.csv)" -eq 5 ]
}

@test "gradcheck says when a tensor's gradients were too small for the loss to resolve, and wants whole counts" {
    regression_csv big.csv 1000
    cat > big.yaml <<YAML
data: {format: csv, train: {file: big.csv}, label: y, normalize: standard}
model: {layers: [{type: dense, units: 8, activation: tanh}, {type: dense, units: 1}]}
loss: mse
YAML
    run "$DLC" gradcheck big.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"dense_1.weight"*"(every value tiny: absolute error only)"* ]]
    [[ "$output" == *"ok: 4 of 4 parameter tensors pass: "*" within relative error 0.01, "*" by absolute error only"* ]]
    [[ "$output" == *"note: those "*" had no gradient the float32 loss resolves, so no relative error was measured"* ]]
    # targets near 1: every tensor is checked by relative error
    regression_csv small.csv 0.01
    sed "s/big.csv/small.csv/" big.yaml > small.yaml
    run "$DLC" gradcheck small.yaml
    [ "$status" -eq 0 ]
    [[ "$output" != *"every value tiny"* ]]
    [[ "$output" != *"note: "* ]]
    expect_error "--batch needs a whole number from 1 to 1000000, got '1.5'" "$DLC" gradcheck small.yaml --batch 1.5
    expect_error "--samples needs a whole number" "$DLC" gradcheck small.yaml --samples 1e12
}

@test "batchnorm over features with batches of one example is refused, and a last batch of one is said" {
    iris_config iris.yaml 2
    sed -i 's/    - {type: dense, units: 8, activation: tanh}/    - {type: dense, units: 8}\n    - {type: batchnorm, activation: tanh}/' iris.yaml
    expect_error "iris.yaml:11: layer 'batchnorm_1': batchnorm over features needs batches of at least 2 examples" \
        "$DLC" train iris.yaml --out run --set train.batch_size=1
    [[ "$output" == *"(PyTorch refuses it too)"* ]]
    [ ! -e run/model.safetensors ]
    # 90 train examples in batches of 89: the last holds one
    run "$DLC" train iris.yaml --out run --set train.batch_size=89 --threads 1
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: the last batch of each epoch holds 1 example (90 = 1 x 89 + 1): layer 'batchnorm_1'"* ]]
    run "$DLC" train iris.yaml --out run2 --set train.batch_size=16 --threads 1
    [ "$status" -eq 0 ]
    [[ "$output" != *"last batch of each epoch"* ]]
    # over channels of an image a batch of one still has many values: no refusal
    cat > conv.yaml <<YAML
data: {format: idx, train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: 20}}
model: {layers: [{type: conv2d, filters: 2, kernel: 3}, {type: batchnorm}, {type: flatten}, {type: dense, units: 10}]}
train: {epochs: 1, batch_size: 1}
YAML
    [ -f "$FMNIST/train-images-idx3-ubyte.gz" ] || skip "dataset-fashion-mnist not installed"
    run "$DLC" train conv.yaml --out conv --threads 1
    [ "$status" -eq 0 ]
}

# three_trials "LOSS ACC" x3: a sweep sw.yaml of three finished trials in out/
# with those dev figures on 30 examples each
three_trials() {
    iris_config base.yaml 2
    printf 'base: base.yaml\ntrials: 3\nparams: {train.optimizer.lr: {log_uniform: [1e-3, 1e-1]}}\n' > sw.yaml
    for k in 1 2 3; do
        mkdir -p out/trial-00$k
        read -r loss acc <<< "${!k}"
        printf '{"splits": {"dev": {"examples": 30, "loss": %s, "accuracy": %s, "error": 0}}, "epochs_run": 2}\n' \
            "$loss" "$acc" > out/trial-00$k/report.json
    done
}

@test "leaderboard marks the trials a small dev set cannot tell from the best" {
    # three finished trials: dev accuracy 1.0 and 0.9667 on 30 examples, 0.5 on 30
    three_trials "0.1 1" "0.2 0.9666666667" "0.3 0.5"
    run "$DLC" leaderboard sw.yaml --dir out
    [ "$status" -eq 0 ]
    echo "$output" | grep -q "^  1      1 "
    echo "$output" | grep -q "^  2~     2 "
    echo "$output" | grep -q "^  3      3 "
    [[ "$output" == *"~: dev accuracy within two standard errors of the best trial's (30 dev examples): not told apart from it on this dev set (1 trial)"* ]]
}

@test "two different seeds on one command line are refused, not one silently dropped" {
    iris_config iris.yaml 2
    expect_error "two seeds given (seed=3 and seed=4; --seed N is --set seed=N): give one" \
        "$DLC" train iris.yaml --out run --seed 3 --set seed=4
    [ ! -e run ]
    run "$DLC" train iris.yaml --out run --seed 4 --set seed=4 --quiet
    [ "$status" -eq 0 ]
    grep -q "^seed: 4$" run/config.yaml
}

@test "an exploding-gradient warning on a regression says that large targets make large gradients" {
    regression_csv big.csv 1000
    cat > big.yaml <<YAML
data: {format: csv, train: {file: big.csv}, label: y, split: {dev: 0.2}, normalize: standard}
model: {layers: [{type: dense, units: 8, activation: tanh}, {type: dense, units: 1}]}
loss: mse
train: {epochs: 2, batch_size: 16}
YAML
    run "$DLC" train big.yaml --out run --threads 1
    [ "$status" -eq 0 ]
    [[ "$output" == *"has an exploding gradient"*"(with mse the gradient grows with the errors: on targets far from 1 in scale large norms are expected"* ]]
    # a classifier's warning has no such hint
    iris_config iris.yaml 2
    run "$DLC" train iris.yaml --out cls --threads 1 --set train.grad_warn.explode=1e-9
    [ "$status" -eq 0 ]
    [[ "$output" == *"has an exploding gradient"* ]]
    [[ "$output" != *"with mse"* ]]
}

@test "a sweep file given to dlc train says it is one, and how to run it" {
    iris_config base.yaml 2
    printf 'base: base.yaml\ntrials: 2\nparams: {train.optimizer.lr: {log_uniform: [1e-3, 1e-1]}}\n' > sw.yaml
    expect_error "sw.yaml: a sweep file (base:, params:), not a config: run its trials with scripts/sweep.sh sw.yaml" \
        "$DLC" train sw.yaml --out run
    [[ "$output" != *"did you mean"* ]]
    expect_error "a sweep file" "$DLC" summary sw.yaml
    run "$DLC" sample sw.yaml --trial 1
    [ "$status" -eq 0 ]
}

@test "a model.input that does not fit the data names the file and key, and what to do" {
    iris_config iris.yaml 2
    expect_error "iris.yaml: key 'model.input': (10) has 10 values but the data's examples are (4) (4 values); without model.input (or with --set model.input=null) the data's shape is taken" \
        "$DLC" train iris.yaml --out run --set 'model.input=[10]'
}

@test "export then import of a CSV model keeps its feature columns: predict reads CSV rows by name" {
    iris_config iris.yaml 3
    "$DLC" train iris.yaml --out run --quiet
    "$DLC" export run --format onnx --out iris.onnx > /dev/null
    run "$DLC" import iris.onnx --out imp
    [ "$status" -eq 0 ]
    head -4 "$ROOT/data/iris.csv" > rows.csv
    run "$DLC" predict run rows.csv
    [ "$status" -eq 0 ]
    want="$output"
    run "$DLC" predict imp rows.csv
    [ "$status" -eq 0 ]
    [ "$output" = "$want" ]
    # columns in another order are read by name too
    awk -F, -v OFS=, '{ print $5, $4, $3, $2, $1 }' rows.csv > shuffled.csv
    run "$DLC" predict imp shuffled.csv
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | sed 's/^shuffled/rows/')" = "$want" ]
}

@test "a layer that feeds no output is said once as never learning, not warned about as a vanishing gradient" {
    iris_config iris.yaml 3
    sed -i 's/    - {type: dense, units: 3, activation: softmax}/    - {name: spare, type: dense, units: 5, inputs: [dense]}\n    - {type: dense, units: 3, activation: softmax, inputs: [dense]}/; s/{type: dense, units: 8, activation: tanh}/{name: dense, type: dense, units: 8, activation: tanh}/' iris.yaml
    run "$DLC" train iris.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(grep -c "warning: layer 'spare' feeds no output of the model: its parameters never learn" <<< "$output")" -eq 1 ]
    [[ "$output" != *"vanishing"* ]]
    # a parameter-free tap (an embedding read by dlc eval --embedding) says nothing
    sed -i 's/{name: spare, type: dense, units: 5, inputs: \[dense\]}/{name: spare, type: l2normalize, inputs: [dense]}/' iris.yaml
    run "$DLC" train iris.yaml --out tap
    [ "$status" -eq 0 ]
    [[ "$output" != *"feeds no output"* ]]
}

@test "DLC_GEMM with a value dlc does not know is refused, not ignored; empty is unset" {
    iris_config iris.yaml 1
    DLC_GEMM=openbals run "$DLC" train iris.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"environment variable DLC_GEMM='openbals': use openblas or onednn"* ]]
    [ ! -e run ]
    DLC_GEMM=openblas run "$DLC" train iris.yaml --out a --quiet
    [ "$status" -eq 0 ]
    DLC_GEMM= run "$DLC" train iris.yaml --out b --quiet
    [ "$status" -eq 0 ]
}

@test "a data path written relative to the config, run from elsewhere, says where it is and the two ways out" {
    mkdir -p proj
    cp "$ROOT/data/iris.csv" proj/
    cat > proj/r.yaml <<YAML
name: r
data: {format: csv, train: {file: iris.csv}, label: species, split: {dev: 0.2}}
model: {layers: [{type: dense, units: 3, activation: softmax}]}
train: {epochs: 1}
YAML
    expect_error "proj/r.yaml: data.train.file: 'iris.csv' is not in $TMP, where dlc runs (relative paths are read from there), but it is next to the config: write proj/iris.csv, or run dlc from proj" \
        "$DLC" train proj/r.yaml --out run
    [ ! -e run ]
    # from the config's folder it trains; a file in neither place is the loader's plain message
    (cd proj && "$DLC" train r.yaml --out ../run --quiet)
    sed -i 's/file: iris.csv/file: nothere.csv/' proj/r.yaml
    run "$DLC" train proj/r.yaml --out run2
    [ "$status" -eq 2 ]
    [[ "$output" != *"next to the config"* ]]
}

@test "model.input in Keras' order (height, width, channels) is refused with the order dlc reads, not trained on rows as channels" {
    # IDX images are (1, 28, 28); [28, 28, 1] has as many values and would be
    # taken as a reshape: 28 channels of 28 x 1, which a same-padded
    # convolution and a global pool train on without a word
    fmnist_config fm.yaml 300 1
    sed -i 's/input: \[1, 28, 28\]/input: [28, 28, 1]/' fm.yaml
    expect_error "key 'model.input': (28, 28, 1) lists the channels last (Keras' order); dlc's inputs are (channels, height, width), as PyTorch's: model.input [1, 28, 28]" \
        "$DLC" train fm.yaml --out r
    # an image folder's images take model.input's shape: the same guess is answered there
    folder_config "$ROOT/tests/data/images/train" f.yaml
    expect_error "not (28, 28, 1) (channels last is Keras' order; dlc's is PyTorch's: model.input [1, 28, 28])" \
        "$DLC" train f.yaml --out r2 --set 'model.input=[28,28,1]'
    # a reshape that is not a transposition still is one
    fmnist_config fm2.yaml 300 1
    sed -i 's/input: \[1, 28, 28\]/input: [4, 14, 14]/' fm2.yaml
    run "$DLC" summary fm2.yaml
    [ "$status" -eq 0 ]
}

@test "a list item named as Python indexes it (model.layers[0].units) is answered with dlc's dotted key, in --set and in a sweep" {
    iris_config
    expect_error "key 'model.layers[0].units': unknown key (a list item is named by its index after a dot: 'model.layers.0.units')" \
        "$DLC" train iris.yaml --out r --set 'model.layers[0].units=4'
    cat > s.yaml <<'YAML'
base: iris.yaml
trials: 2
params:
  model.layers[0].units: {int_uniform: [4, 8]}
YAML
    expect_error "s.yaml:4: key 'model.layers[0].units': unknown config key (a list item is named by its index after a dot: 'model.layers.0.units')" \
        "$DLC" sample s.yaml
    sed -i 's/layers\[0\]/layers.0/' s.yaml
    run "$DLC" sample s.yaml
    [ "$status" -eq 0 ]
}

@test "a regression target read as classes: a test value training never saw says the labels are numbers and names loss: mse" {
    # sklearn's diabetes targets are whole numbers (25 to 346): a softmax
    # config reads each as a class, and the test file holds values train lacks
    awk 'BEGIN { print "x,y"; for (i = 0; i < 60; i++) print i / 10 "," 2 * i }' > train.csv
    printf 'x,y\n0.5,10\n3.3,67\n' > test.csv
    cat > r.yaml <<'YAML'
name: r
seed: 1
data: {format: csv, train: {file: train.csv}, test: {file: test.csv}, label: y, split: {dev: 0.2}}
model: {layers: [{type: dense, units: auto}]}
train: {epochs: 1, batch_size: 8}
YAML
    expect_error "test.csv:3: column 'y': label \"67\" is not one of the 60 classes ('0', '2', '4'" "$DLC" train r.yaml --out run
    [[ "$output" == *"; the labels are numbers, each read as a class: a value to predict? then use loss: mse" ]]
    # a few classes that are numbers are classes: no such guess
    awk 'BEGIN { print "x,y"; for (i = 0; i < 60; i++) print i / 10 "," i % 3 }' > train.csv
    printf 'x,y\n0.5,1\n3.3,7\n' > test.csv
    expect_error "label \"7\" is not one of the 3 classes" "$DLC" train r.yaml --out run
    [[ "$output" != *"loss: mse"* ]]
}

@test "a text classifier's error sample shows each text as written, then as the model read it; analyze counts neither as a tag" {
    # labels drawn at random: the dev split has misclassified texts; every
    # text has a word of its own (read as <unk>: vocab.min_count 2) and
    # capitals, which the words model reads lowercased
    awk 'BEGIN { srand(3); split("sun rain wind fox wood hill day", w, " "); print "text,label";
                 for (i = 0; i < 120; i++) { t = ""; for (k = 0; k < 4; k++) t = t (k ? " " : "") w[1 + int(rand() * 7)];
                                             print "\"The " t ", w" i " " i % 7 "\"," (rand() < 0.5 ? "a" : "b") } }' > texts.csv
    for tokens in words chars; do
        classifier_config c.yaml "    - {type: embedding, units: 4}
    - {type: time_avgpool}" 1
        sed -i "s/tokens: words/tokens: $tokens, lowercase: true/; s/seq_len: 12/seq_len: 60/; s/split: {test: 0.2}/split: {dev: 0.3}/" c.yaml
        "$DLC" train c.yaml --out run_$tokens --quiet
        head -1 run_$tokens/errors/errors.csv | grep -qx 'id,true,predicted,confidence,text,read_as,image,mislabeled,tags'
        [ "$(wc -l < run_$tokens/errors/errors.csv)" -gt 5 ]
        # each sampled text is its row of the file (id: the data row from 0)
        # as written, then its tokens joined as read
        tail -n +2 run_$tokens/errors/errors.csv | while IFS= read -r line; do
            id=${line%%,*}
            want=$(sed -n "$((id + 2))p" texts.csv | sed 's/^"\(.*\)",[ab]$/\1/')
            if [ $tokens = words ]; then
                read=$(echo "$want" | sed 's/^The /the /; s/ w[0-9]* / <unk> /')
            else
                read=$(echo "$want" | tr 'T' 't')
            fi
            [[ "$line" == *",\"$want\",\"$read\",,," ]] || { echo "row $id: $line, wanted $want read as $read" >&2; false; }
        done
    done
    sed -i '2s/,,$/,,short/' run_words/errors/errors.csv
    run "$DLC" analyze run_words --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '[.tags[].tag] | index("short") != null and index("text") == null and index("read_as") == null'
}

# A text classifier of the weather texts in the folder run, for dlc predict on files of texts
weather_classifier_run() {
    weather_texts
    classifier_config c.yaml "    - {type: embedding, units: 8}
    - {type: time_avgpool}" 4
    "$DLC" train c.yaml --out run --quiet
}

@test "predict on files of texts with a text classifier: a CSV's text column, or one text a line, gzip-compressed or not; each as --text gives it" {
    weather_classifier_run
    # a plain file: a byte-order mark, CRLF and a blank line, as Notepad saves one
    printf '\xef\xbb\xbfthe fox ran into the wood\r\n\r\na fine day with the sun\r\n' > new.txt
    printf 'id,text\n7,"rain fell on the hill, and the wind blew"\n' > new.csv
    run "$DLC" predict run new.txt new.csv --top-k 1 --quiet
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    for t in "new.txt:1:|the fox ran into the wood" "new.txt:3:|a fine day with the sun" \
             "new.csv:2:|rain fell on the hill, and the wind blew"; do
        want=$("$DLC" predict run --text "${t#*|}" --top-k 1 | awk '{ printf "%s %s", $1, $2 }')
        printf '%s\n' "${lines[@]}" | grep -qxF "${t%%|*} $want" || { echo "no line '${t%%|*} $want' in: $output" >&2; false; }
    done
    "$DLC" predict run new.txt --json | jq -e '[.predictions[] | [.row, .line]] == [[1, 1], [2, 3]]'
    # gzip-compressed, as training reads texts: the same lines (a .csv.gz by its header)
    gzip -c new.txt > new.txt.gz
    gzip -c new.csv > new.gz
    run "$DLC" predict run new.txt.gz new.gz --top-k 1 --quiet
    [ "$status" -eq 0 ]
    diff <(printf '%s\n' "${lines[@]}") <("$DLC" predict run new.txt new.csv --top-k 1 --quiet | sed 's/^new.txt:/new.txt.gz:/; s/^new.csv:/new.gz:/')
    head -c 40 new.txt.gz > cut.gz
    expect_error "cut.gz: truncated gzip data" "$DLC" predict run cut.gz
    # a CSV without the text column names it
    printf 'id,words\n1,the fox\n' > other.csv
    expect_error "other.csv: the header has no column 'text', the text column the model was trained on (data.text.column)" \
        "$DLC" predict run other.csv
    # words it never saw are counted, and a text of none it knows is named
    printf 'the fox ran\nzebra quokka\n' > unk.txt
    run "$DLC" predict run unk.txt
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: unk.txt: 2 of the 5 words read are not in the model's vocabulary (read as <unk>); 1 text has none it knows (the first on line 2)"* ]]
    printf 'ok\nbad \xff\n' > bad.txt
    expect_error "bad.txt:2: invalid UTF-8 (byte 0xff, the text's byte 5); text files must be UTF-8" "$DLC" predict run bad.txt
    expect_error "shoe.png: an image file; the model reads texts" "$DLC" predict run shoe.png
}

@test "predict - reads gzip-compressed texts from the standard input too (by the magic), member after member; a cut or corrupt stream is an error naming -" {
    weather_classifier_run
    printf 'the fox ran into the wood\na fine day with the sun\n' > new.txt
    printf 'id,text\n7,"rain fell on the hill, and the wind blew"\n' > new.csv
    gzip -c new.txt > new.txt.gz
    gzip -c new.csv > new.csv.gz
    run "$DLC" predict run - --top-k 1 --quiet < new.txt.gz
    [ "$status" -eq 0 ]
    diff <(printf '%s\n' "${lines[@]}") <("$DLC" predict run - --top-k 1 --quiet < new.txt)
    [ "${#lines[@]}" -eq 2 ] && [[ "${lines[0]}" == "-:1: "* ]]
    # a CSV by its header, as from a file
    run "$DLC" predict run - --top-k 1 --quiet < new.csv.gz
    [ "$status" -eq 0 ]
    [ "$output" = "$("$DLC" predict run new.csv --top-k 1 --quiet | sed 's/^new.csv:/-:/')" ]
    # two members one after the other (cat a.gz b.gz), as gzip -d reads them
    cat new.txt.gz new.txt.gz > twice.gz
    run "$DLC" predict run - --top-k 1 --quiet < twice.gz
    [ "$status" -eq 0 ] && [ "${#lines[@]}" -eq 4 ]
    head -c 30 new.txt.gz > cut.gz
    expect_error "-: truncated gzip data (the standard input ends inside a gzip stream)" "$DLC" predict run - < cut.gz
    [ "${#lines[@]}" -eq 1 ] # nothing printed but the error
    # the header's length intact, the deflate data after it overwritten
    { head -c 12 new.txt.gz; printf '\xff\xff\xff\xff\xff\xff\xff\xff'; tail -c +21 new.txt.gz; } > bad.gz
    expect_error "-: corrupt gzip data on the standard input: " "$DLC" predict run - < bad.gz
}

@test "two sigmoid units for one label of two classes (Keras' Dense(2) with a binary cross-entropy) says the two ways to write it" {
    cat > b.yaml <<YAML
name: b
data: {format: csv, train: {file: $ROOT/data/breast_cancer.csv}, label: diagnosis, split: {dev: 0.2}}
model: {layers: [{type: dense, units: 2, activation: sigmoid}]}
loss: sigmoid_bce
train: {epochs: 1}
YAML
    expect_error "output 'dense_1' needs 2 targets per example for sigmoid_bce, the data gives 1 (check its layer's units and data.label; one label of two classes is 1 unit with sigmoid_bce, or 2 units with softmax_cross_entropy)" \
        "$DLC" train b.yaml --out r
    sed -i 's/units: 2/units: 1/' b.yaml
    run "$DLC" train b.yaml --out r --quiet
    [ "$status" -eq 0 ]
}

@test "leaderboard: a dev loss in the hundreds of thousands (a regression's MSE, a diverged trial) keeps the table's columns" {
    three_trials "0.25 0.9" "384315.444 0.9" "1.0115e17 0.9"
    run "$DLC" leaderboard sw.yaml --dir out
    [ "$status" -eq 0 ]
    header=$(printf '%s\n' "${lines[@]}" | grep '^rank trial')
    col=${header%%overrides*}
    for want in "   0.2500 " "3.843e+05 " "1.012e+17 "; do
        row=$(printf '%s\n' "${lines[@]}" | grep -F -- "$want")
        # the overrides start under their name
        [ "${row:${#col}:5}" = "train" ] || { echo "misaligned: '$row' under '$header'" >&2; false; }
    done
}

@test "data.classes naming label ids 0, 1, 2 of a CSV file (as for IDX files) says CSV labels are matched by their text" {
    awk 'BEGIN { print "x,y"; for (i = 0; i < 60; i++) print i / 10 "," i % 3 }' > ids.csv
    cat > c.yaml <<'YAML'
name: c
data: {format: csv, train: {file: ids.csv}, label: y, classes: [low, mid, high], split: {dev: 0.2}}
model: {layers: [{type: dense, units: auto}]}
train: {epochs: 1}
YAML
    expect_error "ids.csv:2: column 'y': label \"0\" is not one of the 3 classes ('low', 'mid', 'high'); a CSV label is matched by its text: data.classes lists the labels as the file writes them (and orders them), it does not name ids 0, 1, ... as for IDX files" \
        "$DLC" train c.yaml --out r
    # a label that is no id of them gets no such guess
    sed -i 's/classes: \[low, mid, high\]/classes: [a, b]/' c.yaml
    awk 'BEGIN { print "x,y"; for (i = 0; i < 60; i++) print i / 10 "," 2 + i % 3 }' > ids.csv
    expect_error "label \"2\" is not one of the 2 classes ('a', 'b')" "$DLC" train c.yaml --out r
    [[ "$output" != *"matched by its text"* ]]
}

@test "CSV rows of pixels that model.input makes images (sklearn's 8 x 8 digits): the error sample draws each as an image" {
    cat > d.yaml <<YAML
name: d
seed: 1
data: {format: csv, train: {file: $ROOT/data/digits.csv}, label: digit, split: {dev: 0.3}}
model:
  input: [1, 8, 8]
  layers: [{type: conv2d, filters: 2, kernel: 3}, {type: flatten}, {type: dense, units: 10}]
train: {epochs: 1, batch_size: 64}
YAML
    "$DLC" train d.yaml --out run --quiet
    head -1 run/errors/errors.csv | grep -qx 'id,true,predicted,confidence,image,mislabeled,blurry,tags'
    first=$(sed -n 2p run/errors/errors.csv)
    img=$(echo "$first" | cut -d, -f5)
    [ "$img" = "$(echo "$first" | cut -d, -f1).png" ]
    # an 8 x 8 gray PNG (IHDR: width, height, bit depth 8, colour type 0)
    [ "$(od -An -tu1 -j16 -N10 "run/errors/$img" | tr -s ' ')" = " 0 0 0 8 0 0 0 8 8 0" ]
    # rows that are no image (iris' four measurements) have none
    iris_config
    "$DLC" train iris.yaml --out iris --quiet --set train.epochs=1
    [ -z "$(ls iris/errors | grep png)" ]
}

@test "other tools' command words (sweep, fit, evaluate) are answered with dlc's way to do it" {
    run "$DLC" sweep s.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"dlc: unknown command 'sweep': a sweep runs as scripts/sweep.sh SWEEP.yaml"*"dlc leaderboard"* ]]
    run "$DLC" fit c.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown command 'fit': dlc train CONFIG trains"* ]]
    run "$DLC" evaluate run
    [[ "$output" == *"dlc eval RUN scores a trained run"* ]]
    run "$DLC" trian c.yaml
    [[ "$output" == *"(did you mean 'train'?)"* ]]
}

@test "pandas' and scikit-learn's words for data keys (sep, drop, class_weight) are answered with dlc's" {
    iris_config c.yaml 1
    run "$DLC" train c.yaml --out run --set 'data.sep=;'
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.sep': unknown key (dlc's name: 'data.separator')"* ]]
    run "$DLC" train c.yaml --out run --set 'data.drop=[id]'
    [[ "$output" == *"key 'data.drop': unknown key (dlc's name: 'data.exclude'; the columns left out of every column)"* ]]
    run "$DLC" train c.yaml --out run --set 'train.class_weight=balanced'
    [[ "$output" == *"key 'train.class_weight': unknown key (dlc's name: 'data.balance'; balance: classes draws every class equally often, the sampling form of class_weight='balanced')"* ]]
    run "$DLC" train c.yaml --out run --set 'data.target=species'
    [[ "$output" == *"(dlc's name: 'data.label')"* ]]
}

@test "a data key of another format (label beside IDX files, text keys beside a CSV file) is refused, not ignored" {
    # label: species beside format idx trained on the IDX labels; missing: drop
    # on an image folder dropped nothing: each names its key, line and format
    fmnist_config fm.yaml 300 1
    sed -i 's/^  split: /  label: species\n  split: /' fm.yaml
    expect_error "fm.yaml:7: key 'data.label': is not read by format idx, which would ignore it: it is for format csv and text" \
        "$DLC" train fm.yaml --out run
    [ ! -e run ]
    fmnist_config fm.yaml 300 1
    for kv in data.features=[a] data.exclude=[id] data.categorical=auto data.missing=drop \
              data.separator=tab data.decimal=comma; do
        expect_error "key '${kv%%=*}': is not read by format idx" "$DLC" train fm.yaml --out run --set "$kv"
    done
    folder_config "$ROOT/tests/data/images/train"
    expect_error "key 'data.missing': is not read by format image_folder" \
        "$DLC" train f.yaml --out run --set data.missing=drop
    [ ! -e run ]
    # and the other way: image and text keys beside a CSV file
    iris_config
    expect_error "key 'data.bad_files': is not read by format csv, which would ignore it: it is for format image_folder and detection" \
        "$DLC" train iris.yaml --out run --set data.bad_files=skip
    expect_error "key 'data.max_image_pixels': is not read by format csv" \
        "$DLC" train iris.yaml --out run --set data.max_image_pixels=1000
    expect_error "key 'data.text.seq_len': is not read by format csv, which would ignore it: it is for format text" \
        "$DLC" train iris.yaml --out run --set data.text.seq_len=16
    [ ! -e run ]
    # the defaults, as a run's config.yaml lists them, and a text classifier's
    # separator still load; and a CSV run takes them all
    run "$DLC" train fm.yaml --out run --quiet --set data.missing=error --set data.separator=auto \
        --set data.decimal=point --set data.features=[]
    [ "$status" -eq 0 ]
    run "$DLC" train run/config.yaml --out again --quiet
    [ "$status" -eq 0 ]
    # dlc eval --set reads the run's stored config: the same keys are refused there
    expect_error "--set data.separator=tab: key 'data.separator': is not read by format idx" \
        "$DLC" eval run --set data.separator=tab
    iris_config
    run "$DLC" train iris.yaml --out iris --quiet --set data.missing=drop --set data.separator=comma \
        --set data.exclude=[sepal_width] --set data.text.task=lm --set data.max_image_pixels=67108864
    [ "$status" -eq 0 ]
}

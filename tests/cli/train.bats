#!/usr/bin/env bats
# dlc train / eval / summary / gradcheck on real data, end to end.
load helpers

@test "train writes a complete run folder and learns iris" {
    iris_config iris.yaml 40
    run "$DLC" train iris.yaml --out run
    [ "$status" -eq 0 ]
    for f in config.yaml metrics.csv gradnorms.csv model.safetensors checkpoint.safetensors report.json; do
        [ -s "run/$f" ]
    done
    [ "$(head -1 run/metrics.csv)" = "epoch,lr,train_loss,train_accuracy,dev_loss,dev_accuracy,seconds,samples_per_s" ]
    [ "$(wc -l < run/metrics.csv)" -eq 41 ]
    acc=$(json_figure run/report.json test accuracy)
    gt "$acc" 0.85
    # the resolved config records every default of the keys Adam reads, and
    # no key of another optimizer (momentum is type momentum's)
    grep -q "beta2: 0.999" run/config.yaml
    grep -q "^    eps: 1e-08" run/config.yaml
    ! grep -q "^    momentum:" run/config.yaml || false
    ! grep -q "^    rho:" run/config.yaml || false
}

@test "sgd's heavy-ball momentum at lr a (1 - beta) trains as the notes' momentum at a; nesterov changes it" {
    iris_config iris.yaml 20
    "$DLC" train iris.yaml --out m --quiet --threads 1 --set "train.optimizer={type: momentum, lr: 0.1, momentum: 0.9}"
    "$DLC" train iris.yaml --out s --quiet --threads 1 --set "train.optimizer={type: sgd, lr: 0.01, momentum: 0.9}"
    local cmp="${ST_COMPARE:-$ROOT/build/tests/st_compare}"
    "$cmp" m/model.safetensors s/model.safetensors 1e-5
    "$DLC" train iris.yaml --out n --quiet --threads 1 --set "train.optimizer={type: sgd, lr: 0.01, momentum: 0.9, nesterov: true}"
    ! "$cmp" m/model.safetensors n/model.safetensors 1e-3 > /dev/null || false
}

@test "train output names the split sizes and the final figures" {
    iris_config
    run "$DLC" train iris.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"train 90, train-dev 0, dev 30, test 30"* ]]
    [[ "$output" == *"test"*"30"* ]]
}

@test "eval scores each split of a run and agrees with report.json" {
    iris_config
    "$DLC" train iris.yaml --out run --quiet
    run "$DLC" eval run --json
    [ "$status" -eq 0 ]
    [[ "$output" == *'"split": "test"'* ]]
    want=$(json_figure run/report.json test loss)
    got=$(echo "$output" | sed 's/.*"loss": \([0-9.e+-]*\).*/\1/')
    awk -v a="$got" -v b="$want" 'BEGIN {exit !((a - b) < 1e-6 && (b - a) < 1e-6)}'
    run "$DLC" eval run --split dev
    [ "$status" -eq 0 ]
    [[ "$output" == dev:*"accuracy"* ]]
    run "$DLC" eval run/model.safetensors --split train
    [ "$status" -eq 0 ]
}

@test "eval from another directory (paths are recorded absolute)" {
    iris_config
    mkdir sub && cp iris.yaml sub/ && cd sub
    "$DLC" train iris.yaml --out ../run --quiet
    cd /
    run "$DLC" eval "$TMP/run"
    [ "$status" -eq 0 ]
}

@test "Fashion-MNIST subset: an MLP with batchnorm and dropout learns" {
    [ -f "$FMNIST/t10k-images-idx3-ubyte.gz" ] || skip "dataset-fashion-mnist not installed"
    fmnist_config fm.yaml 3000 3
    run "$DLC" train fm.yaml --out run
    [ "$status" -eq 0 ]
    acc=$(json_figure run/report.json test accuracy)
    gt "$acc" 0.70
    [ -n "$(json_figure run/report.json train_dev accuracy)" ]
}

@test "report.json names the library of the products; OpenBLAS's and oneDNN's train the same model" {
    [ -f "$FMNIST/t10k-images-idx3-ubyte.gz" ] || skip "dataset-fashion-mnist not installed"
    fmnist_config fm.yaml 1000 2
    local sgd=(--set train.optimizer.type=sgd --set train.optimizer.lr=0.05 --threads 2)
    run "$DLC" train fm.yaml --out one "${sgd[@]}"
    [ "$status" -eq 0 ]
    local built=openblas
    ldd "$DLC" | grep -q libdnnl && built=onednn
    [ "$(jq -r .products one/report.json)" = "$built" ]
    DLC_GEMM=openblas run "$DLC" train fm.yaml --out two "${sgd[@]}"
    [ "$status" -eq 0 ]
    [ "$(jq -r .products two/report.json)" = openblas ]
    # 2 epochs of SGD: the rounding of the products apart, the same weights
    # (largest difference 2e-4 of the largest value, on the first layer's
    # small biases; a wrong product would differ by the whole value)
    "$ST_COMPARE" one/model.safetensors two/model.safetensors 1e-3
}

@test "summary lists layers, shapes and parameter counts" {
    fmnist_config
    run "$DLC" summary fm.yaml
    [ "$status" -eq 0 ]
    # 784*64+64 = 50240; batchnorm 2*64 = 128; 64*10+10 = 650
    [[ "$output" == *"dense_1"*"(64)"*"50,240"* ]]
    [[ "$output" == *"batchnorm_1"*"128"* ]]
    [[ "$output" == *"total params: 51,018 (trainable 51,018, frozen 0)"* ]]
    [[ "$output" == *"folded into the loss"* ]]
}

@test "summary of a run folder" {
    iris_config
    "$DLC" train iris.yaml --out run --quiet
    run "$DLC" summary run
    [ "$status" -eq 0 ]
    [[ "$output" == *"total params: 67"* ]]
}

@test "frozen layers are reported and not trained" {
    iris_config
    run "$DLC" summary iris.yaml --set model.layers.0.trainable=false
    [ "$status" -eq 0 ]
    [[ "$output" == *"(frozen)"* ]]
    [[ "$output" == *"trainable 27, frozen 40"* ]]
}

@test "a model with nothing to train is refused naming the layer, not trained for epochs that change nothing" {
    iris_config
    # every layer frozen: it used to train its epochs and report them as a run
    expect_error "iris.yaml:11: key 'trainable' of layer 'dense_2': nothing to train: every parameter is frozen" \
        "$DLC" train iris.yaml --out run --set model.layers.0.trainable=false --set model.layers.1.trainable=false
    [[ "$output" == *"to score a model as it is, use dlc eval on its run folder"* ]]
    [ ! -e run/metrics.csv ]
    # one layer that learns is enough
    run "$DLC" train iris.yaml --out run --quiet --set model.layers.0.trainable=false
    [ "$status" -eq 0 ]
}

@test "gradcheck passes on an MLP with batchnorm and dropout" {
    fmnist_config fm.yaml 200
    run "$DLC" gradcheck fm.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"ok: 6 of 6 parameter tensors"* ]]
}

@test "gradcheck on logistic regression" {
    cd "$ROOT" # the shipped config names its data relative to the repository
    run "$DLC" gradcheck "$ROOT/configs/logistic_regression_breast_cancer.yaml" --samples 0
    [ "$status" -eq 0 ]
    [[ "$output" == *"ok: 2 of 2"* ]]
}

@test "an existing run is not overwritten without --force" {
    iris_config
    "$DLC" train iris.yaml --out run --quiet
    run "$DLC" train iris.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"--resume"*"--force"* ]]
    run "$DLC" train iris.yaml --out run --force --quiet
    [ "$status" -eq 0 ]
}

@test "batch modes: full batch, stochastic and mini-batch all train" {
    iris_config
    for b in full 1 7; do
        run "$DLC" train iris.yaml --out "run_$b" --set train.batch_size=$b --set train.epochs=2 --quiet
        [ "$status" -eq 0 ]
        [ "$(wc -l < "run_$b/metrics.csv")" -eq 3 ]
    done
}

@test "every optimizer and schedule runs from the command line" {
    iris_config
    for o in sgd momentum rmsprop adam adamw; do
        for s in constant inverse_time exponential inv_sqrt_epoch inv_sqrt_step step cosine plateau; do
            run "$DLC" train iris.yaml --out "r_${o}_$s" --set train.optimizer.type=$o \
                --set train.schedule.type=$s --set train.epochs=2 --quiet
            [ "$status" -eq 0 ]
        done
    done
    # inverse_time decay with lr0 0.2, rate 1: 0.1 then 0.0667 (the notes' example)
    run "$DLC" train iris.yaml --out inv --set train.optimizer.lr=0.2 \
        --set train.schedule.type=inverse_time --set train.epochs=2 --quiet
    [ "$(cut -d, -f2 inv/metrics.csv | sed -n 2,3p | tr '\n' ' ')" = "0.1 0.0666667 " ]
    # cosine over 2 epochs: lr0 at the first step, half of it when the second epoch starts
    run "$DLC" train iris.yaml --out cos --set train.optimizer.lr=0.2 \
        --set train.schedule.type=cosine --set train.epochs=2 --quiet
    [ "$(cut -d, -f2 cos/metrics.csv | sed -n 2,3p | tr '\n' ' ')" = "0.2 0.1 " ]
    run "$DLC" train iris.yaml --out bad --set train.schedule.warmup=0.1 --quiet
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'train.schedule.warmup': not read by schedule type constant (the default), which would ignore it (it reads: type); type cosine reads it"* ]]
}

@test "train.no_decay: biases and norms by role, globs over parameter names; dlc train and summary say what decays; a glob of nothing and a list where nothing decays are refused" {
    cat > nd.yaml <<YAML
name: nd
seed: 1
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species, split: {dev: 0.2}}
model:
  layers:
    - {name: h, type: dense, units: 8}
    - {name: bn, type: batchnorm}
    - {name: a, type: activation, activation: relu}
    - {name: ln, type: layernorm}
    - {name: out, type: dense, units: 3}
train: {epochs: 2, optimizer: {type: adamw, weight_decay: 0.1}}
YAML
    # the default spares the biases and both norms' scale and shift (not the batchnorm's running statistics)
    run "$DLC" summary nd.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *$'\nweight decay (adamw\'s weight_decay 0.1): 2 of 8 trainable parameters, 56 of 99 values; spared: h.bias, bn.gamma, bn.beta, ... (train.no_decay: [biases, norms])\n'* ]]
    run "$DLC" summary nd.yaml --set 'train.no_decay=[biases]'
    [[ "$output" == *"weight decay (adamw's weight_decay 0.1): 6 of 8 trainable parameters, 88 of 99 values; spared: h.bias, out.bias (train.no_decay: [biases])"* ]]
    run "$DLC" summary nd.yaml --set 'train.no_decay=[norms, "out.*"]'
    [[ "$output" == *"weight decay (adamw's weight_decay 0.1): 2 of 8 trainable parameters, 40 of 99 values; spared: bn.gamma, bn.beta, ln.gamma, ... (train.no_decay: [norms, out.*])"* ]]
    # dlc train says it at the start (not under --quiet)
    run "$DLC" train nd.yaml --out r --set 'train.no_decay=[]'
    [ "$status" -eq 0 ]
    [[ "$output" == *"weight decay (adamw's weight_decay 0.1): 8 of 8 trainable parameters, 99 of 99 values; none spared (train.no_decay: [])"* ]]
    run "$DLC" train nd.yaml --out q --quiet
    [[ "$output" != *"weight decay"* ]]
    # a PyTorch recipe's substrings match no whole name
    run "$DLC" train nd.yaml --out b --set 'train.no_decay=[bias, LayerNorm.weight]'
    [ "$status" -eq 2 ]
    [[ "$output" == *"train.no_decay: 'bias' matches no parameter of the model (named layer.parameter"*"h.weight, h.bias, bn.gamma, ...); an entry is biases, norms, or a glob"* ]]
    # nothing decays: the list would change nothing
    sed -i 's/^train: .*/train:\n  epochs: 2\n  optimizer: {type: adam}\n  no_decay: [biases]/' nd.yaml
    run "$DLC" train nd.yaml --out n
    [ "$status" -eq 2 ]
    [[ "$output" == *"nd.yaml:14: key 'train.no_decay': nothing is decayed, so it would change nothing: train.l2 is 0 and optimizer type adam has no decoupled decay"* ]]
    # what decays given by --set (a sweep's trial) leaves the file's list be
    run "$DLC" train nd.yaml --out n --quiet --set train.l2=0.01
    [ "$status" -eq 0 ]
    # Keras' name is answered with dlc's
    run "$DLC" train nd.yaml --out k --set 'train.optimizer.exclude_from_weight_decay=[bias]'
    [ "$status" -eq 2 ]
    [[ "$output" == *"(dlc's name: 'train.no_decay'"* ]]
}
@test "help for every command, and README's table of commands agrees with it" {
    run "$DLC" --help
    [ "$status" -eq 0 ]
    local commands
    commands=$("$DLC" --help | sed -n 's/^  \([a-z]*\)  .*/\1/p')
    [ "$(echo "$commands" | wc -l)" -eq 13 ]
    for c in $commands; do
        run "$DLC" $c --help
        [ "$status" -eq 0 ]
        [[ "$output" == usage:*"$c"* ]]
        local help=$output rows flag
        run "$DLC" $c --no-such-flag
        [ "$status" -eq 2 ]
        # the flags README's rows for the command show are its own, and its
        # own (but the common ones) are in those rows
        rows=$(grep "^| \`dlc $c " "$ROOT/README.md")
        [ -n "$rows" ]
        for flag in $(echo "$rows" | grep -o '^| `[^`]*`' | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
            grep -qE -- "^  (-[a-z], )?$flag( |$)" <<< "$help" || { echo "README: dlc $c $flag, not in its --help" >&2; false; }
        done
        for flag in $(grep -oE -- '^  (-[a-z], )?--[a-z][a-z-]*' <<< "$help" | grep -oE -- '--[a-z-]*' | sort -u); do
            case $flag in --help | --threads | --quiet) continue ;; esac
            grep -q -- "$flag" <<< "$rows" || { echo "dlc $c --help: $flag, not in README's table" >&2; false; }
        done
        # the short forms: -h and -q on every command, -o where there is --out
        grep -q '^  -h, --help ' <<< "$help"
        grep -q '^  -q, --quiet ' <<< "$help"
        if grep -q -- '--out ' <<< "$help"; then grep -q '^  -o, --out ' <<< "$help"; fi
        run "$DLC" $c -h
        [ "$status" -eq 0 ]
        [ "$output" = "$help" ]
    done
}

@test "short options: -q is --quiet, -o is --out; -o where there is no --out names what it stands for" {
    iris_config
    run "$DLC" train iris.yaml -o run -q --set train.epochs=2
    [ "$status" -eq 0 ]
    [ -s run/model.safetensors ]
    [[ "$output" != *"epoch   1 "* ]]
    local quiet=${#lines[@]}
    run "$DLC" eval run -q
    [ "$status" -eq 0 ]
    run "$DLC" eval run -o x
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown option '-o' (--out, which dlc eval does not take)"* ]]
    run "$DLC" train iris.yaml --out run --quiet --set train.epochs=2 --force
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq "$quiet" ]
}

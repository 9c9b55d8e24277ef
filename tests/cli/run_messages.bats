#!/usr/bin/env bats
# run_messages.bats - what dlc train tells the user about a run it cannot do
# as asked (gradient warnings, a batch larger than the data, early stopping
# without a dev split) and the files it refuses (a checkpoint of another
# optimizer, a checkpoint or model file that is not dlc's).
load helpers

@test "gradient warnings name the vanishing and the exploding layers" {
    iris_config iris.yaml 2
    run "$DLC" train iris.yaml --out run --set train.grad_warn.vanish=1e9
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: epoch 1: layer 'dense_1' has a vanishing gradient"* ]]
    [[ "$output" == *"warning: epoch 1: layer 'dense_2' has a vanishing gradient"* ]]
    # said once, not every epoch, unless it gets 10 times worse
    [[ "$output" != *"warning: epoch 2: layer"* ]]
    [[ "$output" == *"note: epoch 2: gradient warnings above recur; they are said again only when a norm is 10 times further past its bound"* ]]
    run "$DLC" train iris.yaml --out run2 --set train.grad_warn.explode=1e-9
    [ "$status" -eq 0 ]
    [[ "$output" == *"layer 'dense_1' has an exploding gradient"* ]]
    [[ "$output" != *"vanishing"* ]]
    # one row per layer and epoch: epoch,layer,mean,max
    [ "$(grep -c '^[12],dense_[12],' run2/gradnorms.csv)" -eq 4 ]
}

@test "a batch larger than the train split, and early stopping without a dev split, are notes" {
    iris_config iris.yaml 2
    run "$DLC" train iris.yaml --out run --set train.batch_size=1000 --set data.split.dev=0 \
        --set train.early_stopping.patience=1
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: batch_size 1000 is larger than the train split (120); using 120"* ]]
    [[ "$output" == *"warning: early stopping needs a dev split"* ]]
    [ "$(wc -l < run/metrics.csv)" -eq 3 ]
}

@test "resume refuses a checkpoint written with another optimizer (exit 2)" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet
    run "$DLC" train iris.yaml --out run --resume --set train.optimizer.type=sgd --set train.epochs=3
    [ "$status" -eq 2 ]
    [[ "$output" == *"checkpoint.safetensors: was trained with optimizer adam, the config now says sgd"* ]]
}

@test "a checkpoint or model file that is not dlc's is a clear error (exit 2)" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet
    # a valid safetensors file (one tensor, no metadata), written by another program
    printf '\x38\x00\x00\x00\x00\x00\x00\x00{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}  \x00\x00\x80\x3f' \
        > other.safetensors
    [ "$(wc -c < other.safetensors)" -eq 68 ]
    cp other.safetensors run/checkpoint.safetensors
    run "$DLC" train iris.yaml --out run --resume --set train.epochs=3
    [ "$status" -eq 2 ]
    [[ "$output" == *"checkpoint.safetensors: not a dlc checkpoint, or its counters are damaged"* ]]
    cp other.safetensors run/model.safetensors
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" == *"model.safetensors: not a dlc model file"* ]]
}

@test "keep_best: the run ends with the best dev epoch's weights (or the last epoch's when off)" {
    # a learning rate high enough that the dev loss rises again after its best
    iris_config iris.yaml 25
    run "$DLC" train iris.yaml --out best --set train.optimizer.lr=0.3 --threads 1
    [ "$status" -eq 0 ]
    # metrics.csv: epoch,lr,train_loss,train_accuracy,dev_loss,...
    best=$(tail -n +2 best/metrics.csv | sort -t, -k5,5g | head -1 | cut -d, -f1)
    best_loss=$(tail -n +2 best/metrics.csv | sort -t, -k5,5g | head -1 | cut -d, -f5)
    last_loss=$(tail -1 best/metrics.csv | cut -d, -f5)
    [ "$best" -lt 25 ]
    awk -v a="$best_loss" -v b="$last_loss" 'BEGIN {exit !(b > a * 1.01)}'   # the control: the last is worse
    jq -e ".best_epoch == $best" best/report.json
    got=$(jq '.splits.dev.loss' best/report.json)
    awk -v a="$got" -v b="$best_loss" 'BEGIN {d = (a - b) / b; exit !(d < 1e-5 && d > -1e-5)}'
    run "$DLC" train iris.yaml --out last --set train.optimizer.lr=0.3 --set train.keep_best=false --threads 1
    [ "$status" -eq 0 ]
    got=$(jq '.splits.dev.loss' last/report.json)
    awk -v a="$got" -v b="$last_loss" 'BEGIN {d = (a - b) / b; exit !(d < 1e-5 && d > -1e-5)}'
}

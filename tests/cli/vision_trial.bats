#!/usr/bin/env bats
# vision_trial.bats - a new user's trial of the image side (transfer learning
# through ONNX, the shipped architectures at small sizes, detection, metric
# learning): what it found, kept small.
load helpers

bn_config() {
    cat > bn.yaml <<YAML
name: bn
seed: 3
data:
  format: csv
  train: {file: $ROOT/data/iris.csv}
  label: species
  split: {dev: 0.2}
model:
  layers:
    - {name: hidden, type: dense, units: 8}
    - {name: norm, type: batchnorm, momentum: $1, activation: tanh}
    - {name: head, type: dense, units: 3, activation: softmax}
train: {epochs: 2, batch_size: 16, optimizer: {type: adam, lr: 0.05}}
YAML
}

@test "batchnorm whose running statistics the run's steps cannot fill (momentum 0.99, 16 steps) is warned of: evaluation normalizes by them" {
    bn_config 0.99
    run "$DLC" train bn.yaml --out a
    [ "$status" -eq 0 ]
    # 120 train rows in batches of 16: 8 steps an epoch; 0.99^16 = 85%
    [[ "$output" == *"warning: batchnorm layer 'norm' updated its running mean and variance over 16 steps at momentum 0.99: 85% of them is still their start"* ]]
    # --quiet keeps warnings
    run "$DLC" train bn.yaml --out q --quiet
    [[ "$output" == *"warning: batchnorm layer 'norm'"* ]]
    # momentum 0.5 has followed the data (0.5^16): nothing to say
    bn_config 0.5
    run "$DLC" train bn.yaml --out b
    [ "$status" -eq 0 ]
    [[ "$output" != *"running mean"* ]]
    # statistics copied by init_from started from the source's, not 0 and 1
    bn_config 0.99
    run "$DLC" train bn.yaml --out c --set init_from.run=a
    [ "$status" -eq 0 ]
    [[ "$output" != *"running mean"* ]]
    # nor does a frozen batchnorm, which keeps them (excluded: its random start is said instead)
    run "$DLC" train bn.yaml --out d --set init_from.run=a --set 'init_from.exclude=[norm]' \
        --set model.layers.1.trainable=false
    [ "$status" -eq 0 ]
    [[ "$output" != *"running mean"* ]]
    # and resumed training counts every step: 4 epochs of 8
    run "$DLC" train bn.yaml --out a --resume --set train.epochs=4
    [[ "$output" == *"over 32 steps at momentum 0.99: 72%"* ]]
}

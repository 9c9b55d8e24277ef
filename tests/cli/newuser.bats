#!/usr/bin/env bats
# A new user's guesses, from Keras or PyTorch, on configs written from
# scratch: a guess dlc would silently ignore is refused with a message that
# names the file, line and key and says what dlc reads instead (exit 2);
# reports do not claim what their data cannot show.
load helpers

@test "SGD with a momentum key (Keras' and PyTorch's SGD take one) is refused, not ignored" {
    iris_config
    sed -i 's/optimizer: {type: adam, lr: 0.05}/optimizer: {type: sgd, lr: 0.05, momentum: 0.9}/' iris.yaml
    expect_error "iris.yaml:15: key 'train.optimizer.momentum': not read by optimizer type sgd" \
        "$DLC" train iris.yaml --out run
    [[ "$output" == *"type momentum reads it"* ]]
    [ ! -e run ]
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
    ! grep -q "^    beta1:" run/config.yaml
    ! grep -q "^    base:" run/config.yaml
    # and that config.yaml trains again as it is
    run "$DLC" train run/config.yaml --out again --quiet
    [ "$status" -eq 0 ]
    cmp <(cut -d, -f1-6 run/metrics.csv) <(cut -d, -f1-6 again/metrics.csv)
}

#!/usr/bin/env bats
# Bad input: every case gets one clear message naming the file, line or key,
# and exit status 2 - never a crash.
load helpers

@test "malformed YAML names the file and line" {
    iris_config
    printf 'report:\n  human_level_error: [0.1, 0.2\n' >> iris.yaml
    expect_error "iris.yaml:" "$DLC" train iris.yaml --out run
    [[ "$output" == *"YAML"* ]]
}

@test "unknown key suggests the nearest valid one" {
    iris_config
    sed -i 's/optimizer: {type: adam, lr: 0.05}/optimizer: {type: adam, lrr: 0.05}/' iris.yaml
    expect_error "did you mean 'lr'" "$DLC" train iris.yaml --out run
    [[ "$output" == *"iris.yaml:"* ]]
    [[ "$output" == *"lrr"* ]]
}

@test "wrong type and out-of-range values name the key" {
    iris_config
    expect_error "train.epochs" "$DLC" train iris.yaml --out run --set train.epochs=two
    expect_error "train.optimizer.lr" "$DLC" train iris.yaml --out run --set train.optimizer.lr=-1
    expect_error "data.split" "$DLC" train iris.yaml --out run --set data.split.dev=1.5
}

@test "a bad --set path is an error" {
    iris_config
    expect_error "model.layers.7" "$DLC" train iris.yaml --out run --set model.layers.7.units=3
    expect_error "--set" "$DLC" train iris.yaml --out run --set nonsense
}

@test "an option that is a config key (--epochs 5, --lr 0.1, as Keras and PyTorch scripts take them) says the --set that sets it" {
    iris_config
    expect_error "unknown option '--epochs' (config keys are set with --set: --set train.epochs=5)" \
        "$DLC" train iris.yaml --out run --epochs 5
    expect_error "--set train.optimizer.lr=0.1)" "$DLC" train iris.yaml --out run --lr 0.1
    expect_error "--set train.batch_size=32)" "$DLC" train iris.yaml --out run --batch-size=32
    expect_error "--set train.early_stopping.patience=VALUE)" "$DLC" train iris.yaml --out run --patience
    # a command's own section first: dlc embed's epochs and lr are embed's
    expect_error "--set embed.epochs=2)" "$DLC" embed iris.yaml --epochs 2
    expect_error "--set embed.lr=0.1)" "$DLC" embed iris.yaml --lr 0.1
    # no key of that name: no hint; a command without --set: none either
    expect_error "unknown option '--bogus'" "$DLC" train iris.yaml --bogus 1
    [[ "$output" != *"--set"* ]]
    "$DLC" train iris.yaml --out run --quiet
    expect_error "unknown option '--epochs'" "$DLC" predict run x.png --epochs 2
    [[ "$output" != *"--set"* ]]
}

@test "missing data file names the file" {
    iris_config
    sed -i "s|$ROOT/data/iris.csv|/nonexistent/iris.csv|" iris.yaml
    expect_error "/nonexistent/iris.csv" "$DLC" train iris.yaml --out run
}

@test "truncated IDX file says what was expected" {
    [ -f "$FMNIST/t10k-images-idx3-ubyte.gz" ] || skip "dataset-fashion-mnist not installed"
    zcat "$FMNIST/t10k-images-idx3-ubyte.gz" | head -c 100000 > images
    zcat "$FMNIST/t10k-labels-idx1-ubyte.gz" > labels
    cat > t.yaml <<YAML
data: {format: idx, train: {images: images, labels: labels}}
model: {input: [1, 28, 28], layers: [{type: flatten}, {type: dense, units: 10}]}
YAML
    expect_error "images" "$DLC" train t.yaml --out run
    [[ "$output" == *"expected"* ]]
}

@test "label count not matching image count" {
    [ -f "$FMNIST/t10k-images-idx3-ubyte.gz" ] || skip "dataset-fashion-mnist not installed"
    cat > t.yaml <<YAML
data: {format: idx, train: {images: $FMNIST/t10k-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz}}
model: {input: [1, 28, 28], layers: [{type: flatten}, {type: dense, units: 10}]}
YAML
    expect_error "10000" "$DLC" train t.yaml --out run
    [[ "$output" == *"60000"* ]]
}

@test "CSV rows with missing or non-numeric fields name the line" {
    head -5 "$ROOT/data/iris.csv" > short.csv
    echo "5.1,3.5,1.4,setosa" >> short.csv
    iris_config
    sed -i "s|$ROOT/data/iris.csv|short.csv|" iris.yaml
    expect_error "short.csv:6" "$DLC" train iris.yaml --out run
    head -5 "$ROOT/data/iris.csv" > nan.csv
    echo "5.1,abc,1.4,0.2,setosa" >> nan.csv
    sed -i "s|short.csv|nan.csv|" iris.yaml
    expect_error "nan.csv:6" "$DLC" train iris.yaml --out run
    [[ "$output" == *"sepal_width"* ]]
}

@test "shape mismatch between layers names both layers and shapes" {
    cat > t.yaml <<YAML
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species}
model:
  layers:
    - {name: a, type: dense, units: 4}
    - {name: b, type: dense, units: 5, inputs: input}
    - {name: sum, type: add, inputs: [a, b]}
    - {type: dense, units: 3}
YAML
    expect_error "'a' is (4), 'b' is (5)" "$DLC" train t.yaml --out run
    [[ "$output" == *"t.yaml:"* ]]
}

@test "output units not matching the number of classes" {
    iris_config
    expect_error "3 classes" "$DLC" train iris.yaml --out run --set model.layers.1.units=4
}

@test "unknown command and option suggest the right one" {
    run "$DLC" trian
    [ "$status" -eq 2 ]
    [[ "$output" == *"did you mean 'train'"* ]]
    iris_config
    expect_error "did you mean '--resume'" "$DLC" train iris.yaml --resum
}

@test "a model file that is not one" {
    echo "not a model" > fake.safetensors
    run "$DLC" eval fake.safetensors
    [ "$status" -eq 2 ]
    [[ "$output" == *"fake.safetensors"* ]]
}

@test "a divergent run fails with advice, not a silent NaN" {
    iris_config
    run "$DLC" train iris.yaml --out run --set model.layers.0.activation=relu \
        --set train.optimizer.type=sgd --set train.optimizer.lr=1e30
    [ "$status" -eq 1 ]
    [[ "$output" == *"learning rate"* ]]
}

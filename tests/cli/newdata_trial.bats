#!/usr/bin/env bats
# Files as a new user brings them: a Kaggle competition's train.csv with an
# id and the label and its test.csv without the label; a run started over
# with --force and a mistake in the config; texts in class subfolders.
load helpers

# train.csv: an id counting from 1, the label first, text and numbers; and
# test.csv: the same columns but the label, ids going on from train's.
kaggle_files() {
    awk -F, 'NR > 1 { printf "%d,%s,%s,%s,%s,%s\n", NR - 1, $5, $1, $2, $3, $4 }' "$ROOT/data/iris.csv" |
        { echo "Id,Species,SL,SW,PL,PW"; cat; } > train.csv
    awk -F, 'NR > 1 && NR <= 21 { printf "%d,%s,%s,%s,%s\n", 150 + NR - 1, $1, $2, $3, $4 }' "$ROOT/data/iris.csv" |
        { echo "Id,SL,SW,PL,PW"; cat; } > test.csv
    cat > k.yaml <<'YAML'
name: k
seed: 1
data: {format: csv, train: {file: train.csv}, label: Species, exclude: [Id], split: {dev: 0.2}}
model: {layers: [{type: dense, units: 8, activation: relu}, {type: dense, units: auto}]}
train: {epochs: 3, batch_size: 16}
YAML
}

@test "a test file without labels (Kaggle's test.csv) is named as such, with dlc predict for its rows" {
    kaggle_files
    run "$DLC" train k.yaml --out run --set data.test.file=test.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.test.file: $PWD/test.csv has none of the label columns (data.label: 'Species'; its columns: 'Id', 'SL', 'SW', 'PL', 'PW'): a file without labels, such as a Kaggle competition's test.csv, cannot be scored; leave it out of data.test and predict its rows with dlc predict RUN $PWD/test.csv"* ]]
    # a dev file likewise, and dlc eval's
    run "$DLC" train k.yaml --out run --set data.dev.file=test.csv --set data.split.dev=0
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.dev.file: $PWD/test.csv has none of the label columns"* ]]
    "$DLC" train k.yaml --out run --quiet
    run "$DLC" eval run --set data.test.file=test.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.test.file: "*"test.csv has none of the label columns"*"dlc predict RUN "*"test.csv"* ]]
    # what it says to do works
    run "$DLC" predict run test.csv
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 20 ]
    [[ "${lines[0]}" == "test.csv:2: setosa "* ]]
    # a file with the label column is read as before
    head -31 train.csv > labelled.csv
    run "$DLC" eval run --set data.test.file=labelled.csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"test: 30 examples"* ]]
}

@test "--force keeps the old run until the new one has loaded: a misspelt label column loses nothing" {
    kaggle_files
    "$DLC" train k.yaml --out run --quiet
    "$DLC" export run > /dev/null
    cp run/model.safetensors before.safetensors
    run "$DLC" train k.yaml --out run --force --set data.label=species
    [ "$status" -eq 2 ]
    [[ "$output" == *"label column 'species' is not in the header (did you mean 'Species'?)"* ]]
    # the trained run is still there, and still evaluates
    cmp run/model.safetensors before.safetensors
    [ -f run/checkpoint.safetensors ] && [ -f run/report.json ] && [ -f run/model.onnx ]
    grep -q 'label: \[Species\]' run/config.yaml
    run "$DLC" eval run --split dev
    [ "$status" -eq 0 ]
    # a run that loads starts over: the old files go, the old export too
    # (model.onnx of the old weights beside the new model would be taken for it)
    run "$DLC" train k.yaml --out run --force --set train.epochs=1
    [ "$status" -eq 0 ]
    [ ! -f run/model.onnx ]
    [ "$(wc -l < run/metrics.csv)" -eq 2 ]
    ! cmp -s run/model.safetensors before.safetensors
}

@test "texts in class subfolders (Keras' text_dataset_from_directory) are named as such, with what dlc reads instead" {
    mkdir -p texts/cookie
    printf 'You will be lucky.\n%%\nA stranger brings news.\n' > texts/cookie/cookie
    cat > t.yaml <<'YAML'
name: t
seed: 1
data:
  format: text
  train: {file: texts}
  text: {task: classify, tokens: words, seq_len: 16}
model: {layers: [{type: embedding, units: 4}, {type: time_avgpool}, {type: dense, units: auto}]}
train: {epochs: 1}
YAML
    run "$DLC" train t.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"texts: the folder holds no files, only 1 subfolder ('cookie'), which are not read: a folder of text is its files, one text after the other; for a text classifier by subfolder (as Keras' text_dataset_from_directory reads one), write a CSV file of a text column and a label column (data.text.column, data.label)"* ]]
    # an empty folder says only that
    mkdir empty
    run "$DLC" train t.yaml --out run --set data.train.file=empty
    [ "$status" -eq 2 ]
    [[ "$output" == *"empty: the folder holds no files" ]]
}

@test "sklearn's digits.csv.gz as it ships (no header, compressed): the first row is said to be data, with a header that works; dense layers on an image ask for a flatten" {
    tail -n +2 "$ROOT/data/digits.csv" | head -200 | gzip > digits.csv.gz
    cat > g.yaml <<'YAML'
name: g
seed: 1
data: {format: csv, train: {file: digits.csv.gz}, label: target, split: {dev: 0.2}}
model:
  input: [1, 8, 8]
  layers: [{type: dense, units: 16, activation: relu}, {type: dense, units: auto}]
train: {epochs: 2, batch_size: 32}
YAML
    run "$DLC" train g.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"digits.csv.gz:1: column '0' appears twice in the header (line 1 looks like data, not a header: numbers where the columns' names go; put a header line first, e.g. (seq -s, -f x%g 64 | sed 's/\$/,target/'; zcat -f FILE) > new.csv, the last column then named target)"* ]]
    (seq -s, -f x%g 64 | sed 's/$/,target/'; zcat -f digits.csv.gz) > new.csv
    run "$DLC" train g.yaml --out run --set data.train.file=new.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"output 'dense_2' needs 8 targets per example for softmax_cross_entropy, the data gives 1 (check its layer's units and data.label; its output is (1, 8, 10): a dense layer acts on the last axis only, so on an image it predicts per row: a {type: flatten} before the dense layers gives one prediction per example)"* ]]
    run "$DLC" train g.yaml --out run --set data.train.file=new.csv --set 'model.layers=[{type: flatten}, {type: dense, units: 16, activation: relu}, {type: dense, units: auto}]'
    [ "$status" -eq 0 ]
    [[ "$output" == *"data: train 160, train-dev 0, dev 40, test 0 examples; input (64), 10 classes"* ]]
}

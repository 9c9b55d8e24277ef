#!/usr/bin/env bats
# A new user's trial of metric learning, verification and several outputs:
# what broke or misled, each with the behaviour a user expects.
load helpers

# Iris without virginica: two classes a small embedding separates at once.
two_iris() {
    grep -v virginica "$ROOT/data/iris.csv" > two.csv
    cat > tri.yaml <<'YAML'
seed: 1
data:
  format: csv
  train: {file: two.csv}
  label: species
  split: {dev: 0.3}
  sampler: {type: triplets, classes_per_batch: 2, per_class: 4}
model:
  layers:
    - {type: dense, units: 8, activation: relu}
    - {type: dense, units: 4}
    - {name: emb, type: l2normalize}
loss: triplet
train: {epochs: 3, optimizer: {type: adam, lr: 0.01}}
YAML
}

# Iris with two outputs: the species and the petal width.
two_heads() {
    head -121 "$ROOT/data/iris.csv" > tr.csv
    { head -1 "$ROOT/data/iris.csv"; sed -n '122,151p' "$ROOT/data/iris.csv"; } > te.csv
    cat > heads.yaml <<'YAML'
seed: 1
data:
  format: csv
  train: {file: tr.csv}
  test: {file: te.csv}
  label: {kind: species, width: [petal_width]}
  split: {dev: 0.2}
model:
  layers:
    - {name: trunk, type: dense, units: 16, activation: relu}
    - {name: kind, type: dense, units: auto, activation: softmax, inputs: [trunk]}
    - {name: width, type: dense, units: 1, inputs: [trunk]}
  outputs: [kind, {layer: width, loss: mse, weight: 0.5}]
train: {epochs: 10, batch_size: 16, optimizer: {type: adam, lr: 0.01}}
YAML
}

# A small triplet run on the PNG folders (helpers.bash's image_triplets) in run/.
image_run() {
    image_triplets img > img.yaml
    cat >> img.yaml <<YAML
    - {type: dense, units: 8}
    - {name: emb, type: l2normalize}
loss: triplet
train: {epochs: 1}
YAML
    "$DLC" train img.yaml --out run --quiet
}

@test "a triplet split whose every triplet meets the margin has loss 0, as training says, not NaN" {
    two_iris
    run "$DLC" train tri.yaml --out run
    [ "$status" -eq 0 ]
    # every dev triplet meets the margin: the mean over none with a positive loss is 0
    jq -e '.metrics.dev.active_triplets == 0 and .splits.dev.loss == 0' run/report.json
    [ "$(tail -1 run/metrics.csv | cut -d, -f5)" = 0 ]
    [[ "$output" =~ dev\ +30\ +0\ +0\ +0\.00% ]]
    [[ "$output" != *"not finite"* ]]
    run "$DLC" eval run --split dev --json
    echo "$output" | jq -e '.loss == 0 and (.warnings | length) == 0'
}

@test "an output with no known label on a split says so, not that the model's outputs are not finite" {
    two_heads
    # a test file without the width column: refused, saying how to score the species without it
    cut -d, -f1-3,5 te.csv > te_cut.csv
    run "$DLC" train heads.yaml --out run --set data.test.file=te_cut.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"te_cut.csv: label column 'petal_width' is not in the header"*"; output 'width' reads it (a dev or test file without its labels keeps the column, its cells empty: unknown, and the other outputs are scored)"* ]]
    # the test file's petal widths are all unknown (empty cells)
    awk -F, 'BEGIN { OFS = "," } NR > 1 { $4 = "" } { print }' te.csv > te_x.csv && mv te_x.csv te.csv
    run "$DLC" train heads.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: output width, split test has no known label (every value unknown"* ]]
    [[ "$output" != *"not finite"* ]]
    # the terminal's table says - for the loss it cannot compute, as for the other figures
    [[ "$output" =~ test\ +30\ +-\ +-\ +-\ +- ]]
    [[ "$output" != *" nan "* ]]
    jq -e '.heads[1].metrics.test.loss == null' run/report.json
    # the species head is scored on the test split as usual
    jq -e '.heads[0].metrics.test.loss > 0' run/report.json
}

@test "a train class with fewer than per_class examples is never in a triplet batch: a warning says so" {
    # virginica keeps 3 rows; batches of 2 classes x 4
    { head -101 "$ROOT/data/iris.csv"; sed -n '102,104p' "$ROOT/data/iris.csv"; } > short.csv
    cat > tri.yaml <<'YAML'
data:
  format: csv
  train: {file: short.csv}
  label: species
  sampler: {type: triplets, classes_per_batch: 2, per_class: 4}
model:
  layers:
    - {type: dense, units: 4}
    - {name: emb, type: l2normalize}
loss: triplet
train: {epochs: 1}
YAML
    run "$DLC" train tri.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: 1 train class has fewer than data.sampler.per_class 4 examples ('virginica'; the fewest 3): no batch of 2 classes x 4 holds it"*"(lower per_class to 3 to take it in)"* ]]
    # per_class 3 takes it in: no warning
    run "$DLC" train tri.yaml --out run2 --set data.sampler.per_class=3
    [ "$status" -eq 0 ]
    [[ "$output" != *"fewer than data.sampler.per_class"* ]]
}

@test "held-out classes: one dev class is refused as one test class is; an unknown class lists them all" {
    cat > tri.yaml <<YAML
data:
  format: csv
  train: {file: $ROOT/data/iris.csv}
  label: species
  class_split: {train: [setosa, versicolor], dev: [virginica]}
  sampler: {type: triplets, classes_per_batch: 2, per_class: 4}
model:
  layers:
    - {type: dense, units: 4}
    - {name: emb, type: l2normalize}
loss: triplet
train: {epochs: 1}
YAML
    run "$DLC" train tri.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"tri.yaml:5: key 'data.class_split.dev': 1 class with examples in "*"comparing examples needs at least 2"* ]]
    [ ! -e run/report.json ]
    # by name or by class id
    run "$DLC" train tri.yaml --out run --set 'data.class_split={test: [3]}'
    [ "$status" -eq 2 ]
    [[ "$output" == *"no class '3' in the data (it has 3: 'setosa', 'versicolor', 'virginica'; or a class id 0-2)"* ]]
    # a class named in one list and numbered in another
    run "$DLC" train tri.yaml --out run --set 'data.class_split={train: [0, 1], test: [versicolor, virginica]}'
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.class_split.train': class '1' is also in data.class_split.test"* ]]
}

@test "triplet batches are P x K: another train.batch_size is refused, not ignored; config.yaml records P x K" {
    two_iris
    run "$DLC" train tri.yaml --out run --set train.batch_size=32
    [ "$status" -eq 2 ]
    [[ "$output" == *"--set train.batch_size=32: key 'train.batch_size': with data.sampler.type triplets a batch is classes_per_batch 2 x per_class 4 = 8 examples, got 32"* ]]
    [ ! -e run/report.json ]
    sed -i 's/^train: {/train: {batch_size: 16, /' tri.yaml
    run "$DLC" train tri.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"tri.yaml:14: key 'train.batch_size'"* ]]
    # P x K itself, or no batch_size: trains, and the resolved config says 8
    run "$DLC" train tri.yaml --out run --set train.batch_size=8 --quiet
    [ "$status" -eq 0 ]
    sed -i 's/batch_size: 16, //' tri.yaml
    "$DLC" train tri.yaml --out run2 --quiet
    grep -q '^  batch_size: 8$' run2/config.yaml
    # the run's own config.yaml trains again, and the run evaluates
    "$DLC" train run2/config.yaml --out run3 --quiet
    "$DLC" eval run2 --json | jq -e '.verification.auc > 0.5'
}

@test "an embedding's bias / variance reads the pairs' verification error, not the in-batch ordered share" {
    triplet_config
    run "$DLC" train tri.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"bias / variance (verification error: pairs at the dev threshold):"* ]]
    jq -e '.diagnosis.error_measure == "verification_error"' run/report.json
    jq -e '(.diagnosis.errors.train - (1 - .verification.splits.train.accuracy) | fabs) < 1e-9
           and (.diagnosis.errors.dev - (1 - .verification.splits.dev.accuracy) | fabs) < 1e-9' run/report.json
    # the held-out test classes stay out of the diagnosis
    jq -e '.diagnosis.errors.test == null' run/report.json
    grep -q '<th>verification error</th>' run/report.html
    # dlc eval's first line gives the verification figures, not the ordered share as accuracy
    run "$DLC" eval run
    [[ "${lines[0]}" =~ ^test:\ 896\ examples\ \ loss\ [0-9.]+\ \ verification\ AUC\ [0-9.]+\ \ accuracy\ [0-9.]+%\ at\ the\ dev\ threshold$ ]]
}

@test "a dev file of one class: the warnings say why its loss and AUC are null, and the threshold is train's" {
    { head -1 "$ROOT/data/iris.csv"; sed -n '2,20p' "$ROOT/data/iris.csv"; } > dev.csv
    { head -1 "$ROOT/data/iris.csv"; sed -n '21,151p' "$ROOT/data/iris.csv"; } > train.csv
    cat > tri.yaml <<'YAML'
data:
  format: csv
  train: {file: train.csv}
  dev: {file: dev.csv}
  label: species
  sampler: {type: triplets, classes_per_batch: 3, per_class: 4}
model:
  layers:
    - {type: dense, units: 4}
    - {name: emb, type: l2normalize}
loss: triplet
train: {epochs: 1}
YAML
    run "$DLC" train tri.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: split dev has no triplet (an anchor, a positive of its class and a negative of another class in one batch): its loss and figures are null"* ]]
    [[ "$output" == *"warning: metric auc on dev: null: comparing examples needs 2 classes there, and it has 1"* ]]
    [[ "$output" != *"not finite"* ]]
    [[ "$output" == *"bias / variance (verification error: pairs at the threshold chosen on train):"* ]]
    jq -e '.verification.threshold_from == "train" and .verification.splits.dev == null' run/report.json
}

@test "a triplet model is evaluated in shuffled P x K batches: a file sorted by class gives the same figures" {
    triplet_config
    "$DLC" train tri.yaml --out run --quiet
    { head -1 "$ROOT/data/digits.csv"; tail -n +2 "$ROOT/data/digits.csv" | sort -t, -k65,65n; } > sorted.csv
    "$DLC" eval run --json > a.json
    "$DLC" eval run --json --set data.train.file="$PWD/sorted.csv" > b.json
    # the held-out digits 5-9 in file order came in batches of up to 256 of one or two digits
    jq -e --slurpfile b b.json '(.accuracy - $b[0].accuracy | fabs) < 0.05 and (.loss - $b[0].loss | fabs) < 0.05' a.json
}

@test "the best dev epoch of a triplet model is chosen by its loss over all triplets, not over the active ones" {
    # hard mining: the mean over active triplets rises as fewer stay active (0.168 at
    # epoch 1, 0.29 at 3) while dev's ordered share goes 73% -> 89%
    triplet_config tri.yaml hard
    run "$DLC" train tri.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"best dev epoch 3;"* ]]
    [ "$(awk -F, 'NR == 2 { print ($5 < 0.2) }' run/metrics.csv)" = 1 ]
    jq -e '.metrics.dev.accuracy > 0.85' run/report.json
}

@test "dlc verify --embedding naming the run's own embedding keeps its threshold; --embed refuses --json and --threshold" {
    triplet_config
    "$DLC" train tri.yaml --out run --quiet
    head -1 "$ROOT/data/digits.csv" > a.csv
    grep -m1 ',5$' "$ROOT/data/digits.csv" >> a.csv
    thr="$(jq .verification.threshold run/report.json)"
    # emb is the triplet output's layer (no model.embedding): the threshold was chosen on it
    run "$DLC" verify run a.csv a.csv --embedding emb --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e --argjson t "$thr" '.threshold == $t and .distance == 0 and .same == true'
    # another layer has no threshold of its own
    run "$DLC" verify run a.csv a.csv --embedding dense_1 --json
    echo "$output" | jq -e '.threshold == null and .same == null'
    # a layer it lacks: the nearest name
    run "$DLC" verify run a.csv a.csv --embedding dense1
    [ "$status" -eq 2 ]
    [[ "$output" == *"--embedding: the model has no layer 'dense1' (did you mean 'dense_1'?)"* ]]
    run "$DLC" eval run --embedding zzzzzzzzzz
    [ "$status" -eq 2 ]
    [[ "$output" == *"--embedding: the model has no layer 'zzzzzzzzzz' (its "*" layers: 'input', "* ]]
    run "$DLC" verify run --embed a.csv --json
    [ "$status" -eq 2 ]
    [[ "$output" == *"--embed writes CSV embeddings: --json goes with comparing two inputs"* ]]
    run "$DLC" verify run --embed a.csv --threshold 0.5
    [ "$status" -eq 2 ]
    [[ "$output" == *"--threshold goes with comparing two inputs"* ]]
}

@test "a sampler key its type does not read is refused, not ignored; a run's config.yaml trains again" {
    triplet_config
    run "$DLC" train tri.yaml --out run --set data.sampler.positive_fraction=0.3
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.sampler.positive_fraction': not read by data.sampler type triplets, which would ignore it (it reads: type, mining, classes_per_batch, per_class); type pairs reads it"* ]]
    pairs_config
    run "$DLC" train pairs.yaml --out run --set data.sampler.per_class=4
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.sampler.per_class': not read by data.sampler type pairs"*"type triplets reads it"* ]]
    # K = 1 and P = 1 say why they cannot be
    run "$DLC" train tri.yaml --out run --set data.sampler.per_class=1
    [ "$status" -eq 2 ]
    [[ "$output" == *"expected an integer >= 2, got 1 (a triplet's anchor and positive are 2 examples of one class in the batch)"* ]]
    run "$DLC" train tri.yaml --out run --set data.sampler.classes_per_batch=1
    [[ "$output" == *"got 1 (a triplet's negative is of another class in the batch)"* ]]
    run "$DLC" train pairs.yaml --out run --set 'data.sampler={classes_per_batch: 4}'
    [ "$status" -eq 2 ]
    [[ "$output" == *"not read by data.sampler type none (the default)"* ]]
    # every key listed, the unread one at its default (as an older config.yaml wrote them): trains
    run "$DLC" train tri.yaml --out run --quiet --set 'data.sampler={type: triplets, classes_per_batch: 5, per_class: 6, positive_fraction: 0.5, mining: hard}'
    [ "$status" -eq 0 ]
    # the resolved config leaves the pair key out, and trains again as it is
    ! grep -q positive_fraction run/config.yaml || false
    "$DLC" train run/config.yaml --out run2 --quiet
    # an older run's config.yaml (every key, batch_size 64 beside triplets) still trains
    sed -i 's/^  batch_size: 30$/  batch_size: 64/; s/^    mining: hard$/    positive_fraction: 0.5\n    mining: hard/' run/config.yaml
    grep -q '^  batch_size: 64$' run/config.yaml
    grep -q '^    positive_fraction: 0.5$' run/config.yaml
    "$DLC" train run/config.yaml --out run3 --quiet
}

@test "a pair model on an image folder chooses its image size: model.input is two images stacked, (2C, H, W)" {
    IMAGES="$ROOT/tests/data/images"
    image_data pairs > pairs.yaml
    cat >> pairs.yaml <<YAML
  sampler: {type: pairs}
model:
  input: [2, 14, 14]
  embedding: emb
  layers:
    - {name: a, type: slice, start: 0, end: 1, inputs: [input]}
    - {type: flatten}
    - {name: emb, type: dense, units: 8}
    - {name: b, type: slice, start: 1, end: 2, inputs: [input]}
    - {name: fb, type: flatten}
    - {name: emb_b, type: dense, units: 8, share: emb}
    - {name: diff, type: subtract, inputs: [emb, emb_b]}
    - {type: abs}
    - {name: same, type: dense, units: 1, activation: sigmoid}
loss: sigmoid_bce
train: {epochs: 2, batch_size: 8}
YAML
    run "$DLC" train pairs.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"input (2, 14, 14)"* ]]
    [[ "$output" == *"images resized to 14 x 14"* ]]
    a="$(ls "$IMAGES"/test/8-bag/*.png | head -1)"
    run "$DLC" verify run "$a" "$a" --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.measure == "1 - p(same)" and (.threshold | type) == "number"'
    # the image's own shape, the natural guess, says what to write
    run "$DLC" train pairs.yaml --out run2 --set 'model.input=[1, 14, 14]'
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'model.input': (1, 14, 14) has 196 values but the data's examples are (2, 14, 14)"*"(data.sampler pairs stacks two examples on the first axis: model.input (2, 14, 14))"* ]]
}

@test "a joint loss on CSV: triplets and a softmax head share the one class column" {
    triplet_config
    # the config's one output becomes two; data.label stays the plain column
    sed -i 's/^  outputs: .*$/    - {name: classify, type: dense, units: auto, inputs: [dense_1]}\n  outputs: [{layer: emb, loss: triplet}, {layer: classify, loss: softmax_cross_entropy}]/' tri.yaml
    run "$DLC" train tri.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"output emb (triplet, weight 1):"*"output classify (softmax_cross_entropy, weight 1):"* ]]
    jq -e '.heads[1].metrics.dev.accuracy > 0.5 and .verification.splits.test.auc > 0.5' run/report.json
    # dlc predict gives the classifier's prediction (the embedding is dlc verify's)
    { head -1 "$ROOT/data/digits.csv"; grep -m1 ',3$' "$ROOT/data/digits.csv"; } > three.csv
    run "$DLC" predict run three.csv
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^three\.csv:2:\ classify:\ [0-9] ]]
    [[ "$output" != *"emb:"* ]]
    run "$DLC" predict run three.csv --json
    echo "$output" | jq -e '.predictions[0].top[0].class and (.predictions[0].outputs | keys) == ["classify"]'
    # a mapping naming the column twice is still refused, as before
    run "$DLC" train tri.yaml --out run2 --set 'data.label={emb: [digit], classify: [digit]}'
    [ "$status" -eq 2 ]
    [[ "$output" == *"label column 'digit' given twice (outputs that all learn this class column share it: give data.label as the one column, label: COLUMN)"* ]]
}

@test "dlc eval of an embedding on a file of new identities: their labels are new classes, the test split" {
    triplet_config
    "$DLC" train tri.yaml --out run --quiet
    # digits 7-9 renamed: identities the model's class list has never heard of
    { head -1 "$ROOT/data/digits.csv"; awk -F, 'BEGIN { OFS = "," } NR > 1 && $NF >= 7 { $NF = "id" $NF; print }' "$ROOT/data/digits.csv"; } > new.csv
    n="$(($(wc -l < new.csv) - 1))"
    run "$DLC" eval run --json --set data.test.file="$PWD/new.csv"
    [ "$status" -eq 0 ]
    echo "$output" | jq -e --argjson n "$n" '.examples == $n and .verification.pairs == 6000 and .verification.auc > 0.5 and .verification.one_shot_5way == null'
    # train and dev are as trained: the same threshold, chosen on dev
    echo "$output" | jq -e --slurpfile r run/report.json '.verification.threshold == $r[0].verification.threshold'
    run "$DLC" eval run --set data.test.file="$PWD/new.csv"
    [[ "$output" =~ test\ +3\ +6000 ]]
    [[ "$output" =~ train\ +5\ +6000 ]]
    # the run's own file in another place: the held-out digits 5-9, as trained
    cp "$ROOT/data/digits.csv" moved.csv
    run "$DLC" eval run --json --set data.test.file="$PWD/moved.csv"
    echo "$output" | jq -e --slurpfile r run/report.json '.examples == 896 and .verification.auc == $r[0].verification.splits.test.auc'
    # a classifier still refuses a label it was not trained on
    iris_config
    "$DLC" train iris.yaml --out cls --quiet
    sed 's/setosa/alpha/' "$ROOT/data/iris.csv" > iris_new.csv
    run "$DLC" eval cls --set data.test.file="$PWD/iris_new.csv"
    [ "$status" -eq 2 ]
    [[ "$output" == *"label \"alpha\" is not one of the 3 classes"* ]]
}

@test "dlc eval of an image embedding on a folder of new identities (class folders the model never saw)" {
    IMAGES="$ROOT/tests/data/images"
    image_run
    mkdir -p new/alice new/bob
    cp "$IMAGES"/test/7-sneaker/*.png new/alice/
    cp "$IMAGES"/test/8-bag/*.png new/bob/
    run "$DLC" eval run --json --set data.test.dir="$PWD/new"
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.examples == 6 and .verification.pairs == 6000'
}

@test "dlc summary of a triplet config says its evaluation batches are P x K, as they are" {
    triplet_config
    run "$DLC" summary tri.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"memory plan for training at batch 30 "* ]]
    [[ "$output" == *"evaluation in batches of 30:"* ]]
}

@test "dlc verify compares one input against each of a folder's (a probe and a gallery), as one by one" {
    IMAGES="$ROOT/tests/data/images"
    image_run
    probe="$(ls "$IMAGES"/test/8-bag/*.png | head -1)"
    run "$DLC" verify run "$probe" "$IMAGES/test/7-sneaker" --json
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    # each line as the pair alone gives it: the same names, threshold and
    # answer; the distance to float32's rounding, as the folder's images are
    # embedded in one batch and the pair's one at a time: oneDNN's AVX2
    # products round a batch of 3 rows apart from one of 1 (1.53341762
    # against 1.53341796; AVX-512's agree).  Each of the two unit-length
    # embeddings of 8 values may be off by a few units of float32's last
    # place (4 x 6e-8 each), which moves the squared distance d by at most
    # 2 sqrt(d) x 2 x 4 x 6e-8 = 1.2e-6 at d = 1.5: within 2e-6
    i=0
    for f in "$IMAGES"/test/7-sneaker/*.png; do
        one="$("$DLC" verify run "$probe" "$f" --json)"
        jq -n -e --argjson a "${lines[$i]}" --argjson b "$one" \
            '($a | del(.distance)) == ($b | del(.distance)) and ($a.distance - $b.distance | fabs) <= 2e-6'
        i=$((i + 1))
    done
    # the folder first: each of its images against the one
    run "$DLC" verify run "$IMAGES/test/7-sneaker" "$probe"
    [ "$status" -eq 0 ]
    [[ "${lines[2]}" == *"/7-sneaker/"*" $probe: distance "* ]]
    # two of several: still row by row, refused when the counts differ
    run "$DLC" verify run "$IMAGES/test/7-sneaker" "$IMAGES/train/5-sandal"
    [ "$status" -eq 2 ]
    [[ "$output" == *"gives 3 examples and "*" 8: they are compared row by row (or one against each of the other's)"* ]]
}

@test "held-out classes with labels that are numbers (10, 20, 30): a list entry is a label, never an id read as another label" {
    # four classes: virginica split in two by petal length
    awk -F, -v OFS=, 'NR == 1 { print; next }
        { $5 = ($5 == "setosa" ? 10 : $5 == "versicolor" ? 20 : $3 < 5.5 ? 30 : 40); print }' \
        "$ROOT/data/iris.csv" > num.csv
    cat > num.yaml <<YAML
data:
  format: csv
  train: {file: num.csv}
  label: species
  class_split: {train: [10, 20], test: [1]}
  sampler: {type: triplets, classes_per_batch: 2, per_class: 4}
model:
  layers:
    - {type: dense, units: 4}
    - {name: emb, type: l2normalize}
loss: triplet
train: {epochs: 1}
YAML
    # "1" was read as class id 1, the label 20, also listed in train
    expect_error "num.yaml:5: key 'data.class_split.test': no class labelled '1' in the data: its class labels are numbers ('10', ...), so an entry names a label, not a class id" \
        "$DLC" train num.yaml --out run
    # by label they are taken
    run "$DLC" train num.yaml --out run --set 'data.class_split={train: [10, 20], test: [30, 40]}'
    [ "$status" -eq 0 ]
    [ "$(jq '.verification.test.pairs > 0' run/report.json)" = true ] || [ "$(jq '.metrics.test.examples' run/report.json)" -gt 0 ]
}

#!/usr/bin/env bats
# transfer.bats - starting from another run's weights (init_from), freezing
# layers, data.subset, and the errors a user meets on the way.
load helpers

# The bytes of tensor $2 in safetensors file $1 (header: 8-byte length, JSON).
tensor_bytes() {
    local len off
    len=$(od -An -t u8 -N8 "$1" | tr -d ' ')
    off=$(dd if="$1" bs=1 skip=8 count="$len" 2>/dev/null | jq -r --arg t "$2" '.[$t].data_offsets | "\(.[0]) \(.[1])"')
    set -- "$1" $off "$len"
    tail -c +$((8 + $4 + $2 + 1)) "$1" | head -c $(($3 - $2))
}

source_run() {
    iris_config src.yaml 20
    sed -i 's/name: iris/name: src/; s/units: 8, activation: tanh/units: 8, activation: tanh, name: hidden/; s/units: 3, activation: softmax/units: 3, activation: softmax, name: head/' src.yaml
    "$DLC" train src.yaml --out src --quiet
}

# classes virginica and setosa only, 10 of each to learn from, a new head
target_config() {
    cat > tgt.yaml <<YAML
name: tgt
seed: 5
data:
  format: csv
  train: {file: $ROOT/data/iris.csv}
  label: species
  subset: {classes: [virginica, setosa], per_class: 10}
model:
  layers:
    - {name: hidden, type: dense, units: 8, activation: tanh}
    - {name: new_head, type: dense, units: 2, activation: softmax}
init_from: {run: src, exclude: [new_head]}
freeze: {all_but_last: ${1:-1}}
train: {epochs: 5, batch_size: 4, optimizer: {type: adam, lr: 0.05}}
YAML
}

@test "init_from copies the named layers, freezes the rest, and the run records the source's path and sha256" {
    source_run
    target_config 1
    run "$DLC" train tgt.yaml --out tgt
    [ "$status" -eq 0 ]
    [[ "$output" == *"init_from: weights from $TMP/src"* ]]
    [[ "$output" == *"train 20,"* ]]
    # the frozen layer is byte for byte the source's; the new head learned
    cmp <(tensor_bytes src/model.safetensors hidden.weight) <(tensor_bytes tgt/model.safetensors hidden.weight)
    cmp <(tensor_bytes src/model.safetensors hidden.bias) <(tensor_bytes tgt/model.safetensors hidden.bias)
    run "$DLC" summary tgt
    [[ "$output" == *"hidden "*"(frozen)"* ]]
    [[ "$output" == *"trainable 18, frozen 40"* ]]
    # the resolved config names the source and its digest
    grep -q "run: \"\?$TMP/src\"\?" tgt/config.yaml
    sum=$(sha256sum src/model.safetensors | cut -d' ' -f1)
    grep -q "sha256: \"\?$sum\"\?" tgt/config.yaml
    # the classes are the subset's, in its order
    [ "$(jq -r '.classes | join(",")' tgt/report.json)" = "virginica,setosa" ]
}

@test "fine-tuning every layer changes the copied ones; excluded layers start afresh" {
    source_run
    target_config 1
    sed -i 's/^freeze:.*//' tgt.yaml
    run "$DLC" train tgt.yaml --out tgt
    [ "$status" -eq 0 ]
    ! cmp -s <(tensor_bytes src/model.safetensors hidden.weight) <(tensor_bytes tgt/model.safetensors hidden.weight) || false
}

@test "fine-tuning on from a run's own config.yaml with --set init_from.run=RUN: the digest recorded for the run's source is not the new source's" {
    source_run
    target_config 1
    "$DLC" train tgt.yaml --out tgt --quiet
    # unfreeze and continue from tgt: its config.yaml recorded src's sha256
    run "$DLC" train tgt/config.yaml --out tgt2 --set init_from.run=tgt \
        --set 'init_from.exclude=[]' --set freeze.all_but_last=null
    [ "$status" -eq 0 ]
    [[ "$output" == *"init_from: weights from $TMP/tgt"* ]]
    sum=$(sha256sum tgt/model.safetensors | cut -d' ' -f1)
    grep -q "sha256: \"\?$sum\"\?" tgt2/config.yaml
    # the recorded source named again (written another way) keeps its check
    printf x >> src/model.safetensors
    run "$DLC" train tgt/config.yaml --out tgt3 --set init_from.run=./src
    [ "$status" -eq 2 ]
    [[ "$output" == *"has changed since this run recorded it"*"delete init_from.sha256"* ]]
}

@test "a config without model: fine-tunes the network of init_from's run folder, or of a model file (its embedded config), the same" {
    source_run
    cat > ft.yaml <<YAML
name: ft
seed: 5
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species, split: {dev: 0.2}}
init_from: {run: src}
train: {epochs: 3}
YAML
    "$DLC" train ft.yaml --out dir --quiet > /dev/null
    "$DLC" train ft.yaml --out file --quiet --set init_from.run=src/model.safetensors > /dev/null
    # the source's layers, named as there, learned the same
    grep -q "name: hidden" file/config.yaml || false
    diff <(sed -n '/^model:/,/^[a-z]/p' dir/config.yaml) <(sed -n '/^model:/,/^[a-z]/p' file/config.yaml)
    diff <(metrics_no_time dir/metrics.csv) <(metrics_no_time file/metrics.csv)
    cmp <(tensor_bytes dir/model.safetensors hidden.weight) <(tensor_bytes file/model.safetensors hidden.weight)
    # a file of weights alone has no network to give
    run "$DLC" train ft.yaml --out w --set init_from.run="$ROOT/tests/data/e2e/mlp_init.safetensors"
    [ "$status" -eq 2 ]
    [[ "$output" == *"ft.yaml:1: key 'model': missing (required); init_from.run '$ROOT/tests/data/e2e/mlp_init.safetensors' is a model file without its network's config (weights alone, as a script writes them): give model:"* ]]
}

@test "init_from errors: a tensor of another shape, a missing one, a glob that matches nothing, a changed source" {
    source_run
    target_config 1
    sed 's/exclude: \[new_head\]/exclude: []/' tgt.yaml > a.yaml
    run "$DLC" train a.yaml --out a
    [ "$status" -eq 2 ]
    [[ "$output" == *"no tensor 'new_head.weight' (shape (2, 8) here); list layer 'new_head' under init_from.exclude"* ]]
    sed 's/name: new_head/name: head/; s/exclude: \[new_head\]/exclude: []/' tgt.yaml > b.yaml
    run "$DLC" train b.yaml --out b
    [ "$status" -eq 2 ]
    [[ "$output" == *"tensor 'head.weight' has shape (3, 8) in "*"src/model.safetensors and (2, 8) here"*"to start it afresh (a new head)"* ]]
    # a hidden layer of another size is not called a new head
    sed 's/units: 8, activation: tanh/units: 6, activation: tanh/' tgt.yaml > h.yaml
    run "$DLC" train h.yaml --out h
    [ "$status" -eq 2 ]
    [[ "$output" == *"tensor 'hidden.weight' has shape (8, 4) in "*"and (6, 4) here; list layer 'hidden' under init_from.exclude to start it afresh" ]]
    sed 's/exclude: \[new_head\]/exclude: [new_haed]/' tgt.yaml > c.yaml
    run "$DLC" train c.yaml --out c
    [ "$status" -eq 2 ]
    [[ "$output" == *"init_from.exclude: 'new_haed' matches no layer of the model"* ]]
    sed 's/exclude: \[new_head\]/exclude: [new_head], sha256: 0123/' tgt.yaml > d.yaml
    run "$DLC" train d.yaml --out d
    [ "$status" -eq 2 ]
    [[ "$output" == *"has changed since this run recorded it"* ]]
    sed 's/run: src/run: nothere/' tgt.yaml > e.yaml
    run "$DLC" train e.yaml --out e
    [ "$status" -eq 2 ]
    [[ "$output" == *"init_from.run"*"nothere"* ]]
}

@test "init_from.normalize: the source's statistics by default, refit on request" {
    source_run
    target_config 1
    "$DLC" train tgt.yaml --out tgt --quiet
    cmp <(tensor_bytes src/model.safetensors norm.shift) <(tensor_bytes tgt/model.safetensors norm.shift)
    sed 's/exclude: \[new_head\]/exclude: [new_head], normalize: refit/' tgt.yaml > r.yaml
    "$DLC" train r.yaml --out r --quiet
    ! cmp -s <(tensor_bytes src/model.safetensors norm.shift) <(tensor_bytes r/model.safetensors norm.shift) || false
}

@test "data.subset: unknown classes and a subset for a non-classification output are errors" {
    target_config 1
    sed -i 's/^init_from.*//; s/^freeze.*//' tgt.yaml
    sed 's/virginica, setosa/virginica, setosaa/' tgt.yaml > a.yaml
    run "$DLC" train a.yaml --out a
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.subset.classes: no class 'setosaa' in the data"* ]]
}

@test "an output layer copied from a source head that scored other classes is warned about; the same classes are not" {
    source_run
    # three classes here too, in another order: the head's shape fits, its rows do not
    target_config 0
    sed -i 's/name: new_head, type: dense, units: 2/name: head, type: dense, units: 3/; s/exclude: \[new_head\]/exclude: []/; s/subset: .*/subset: {classes: [virginica, setosa, versicolor]}/; s/^freeze.*//' tgt.yaml
    run "$DLC" train tgt.yaml --out tgt
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: init_from: output layer 'head' is copied from a source whose 'head' scored other classes (3: "*"; here 3: virginica, setosa, versicolor): its row i now scores class i of this task; list 'head' under init_from.exclude"* ]]
    # the source's own classes in its order: fine-tuning the same task, no warning
    order=$(jq -r '.classes | join(", ")' src/report.json)
    sed "s/subset: .*/subset: {classes: [$order]}/" tgt.yaml > same.yaml
    run "$DLC" train same.yaml --out same
    [ "$status" -eq 0 ]
    [[ "$output" != *"scored other classes"* ]]
    # excluded: nothing is copied into it, nothing to say
    sed 's/exclude: \[\]/exclude: [head]/' tgt.yaml > ex.yaml
    run "$DLC" train ex.yaml --out ex
    [ "$status" -eq 0 ]
    [[ "$output" != *"scored other classes"* ]]
}

@test "a frozen batchnorm layer keeps the source's running statistics (Keras's trainable: false); a trained one updates them" {
    iris_config src.yaml 20
    sed -i 's/name: iris/name: src/; s/units: 8, activation: tanh}/units: 8, name: hidden}\n    - {type: batchnorm, name: bn, activation: relu}/; s/units: 3, activation: softmax/units: 3, activation: softmax, name: head/' src.yaml
    "$DLC" train src.yaml --out src --quiet
    target_config 1
    sed -i 's/name: hidden, type: dense, units: 8, activation: tanh}/name: hidden, type: dense, units: 8}\n    - {name: bn, type: batchnorm, activation: relu}/' tgt.yaml
    run "$DLC" train tgt.yaml --out tgt
    [ "$status" -eq 0 ]
    for t in bn.running_mean bn.running_var bn.gamma hidden.weight; do
        cmp <(tensor_bytes src/model.safetensors $t) <(tensor_bytes tgt/model.safetensors $t)
    done
    # fine-tuned, the layer learns and its statistics follow the new data
    sed 's/^freeze:.*//' tgt.yaml > ft.yaml
    "$DLC" train ft.yaml --out ft --quiet
    ! cmp -s <(tensor_bytes src/model.safetensors bn.running_mean) <(tensor_bytes ft/model.safetensors bn.running_mean) || false
}

@test "dlc eval of a run trained on data.subset reads the data as training did (IDX ids 0-9, five kept)" {
    idx=/usr/share/datasets/fashion-mnist
    [ -r $idx/train-images-idx3-ubyte.gz ] || skip "dataset-fashion-mnist is not installed"
    cat > sub.yaml <<YAML
name: sub
seed: 1
data:
  format: idx
  train: {images: $idx/train-images-idx3-ubyte.gz, labels: $idx/train-labels-idx1-ubyte.gz, limit: 2000}
  test: {images: $idx/t10k-images-idx3-ubyte.gz, labels: $idx/t10k-labels-idx1-ubyte.gz}
  classes: [T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot]
  subset: {classes: [Sandal, Shirt, Sneaker, Bag, Ankle boot], per_class: 20}
  split: {dev: 0.2}
model:
  input: [1, 28, 28]
  layers:
    - {type: flatten}
    - {type: dense, units: auto, activation: softmax}
train: {epochs: 2, batch_size: 20}
YAML
    "$DLC" train sub.yaml --out sub --quiet
    for s in dev test; do
        run "$DLC" eval sub --split $s --json
        [ "$status" -eq 0 ]
        want=$(jq ".splits.$s.accuracy" sub/report.json)
        [ "$(jq .accuracy <<< "$output")" = "$want" ]
        [ "$(jq .examples <<< "$output")" = "$(jq ".splits.$s.examples" sub/report.json)" ]
    done
    # CSV too: iris with two of its three classes, in another order
    target_config 1
    sed -i 's/^init_from.*//; s/^freeze.*//; s/per_class: 10}/per_class: 10}\n  split: {dev: 0.3}/' tgt.yaml
    "$DLC" train tgt.yaml --out tgt --quiet
    run "$DLC" eval tgt --split dev --json
    [ "$status" -eq 0 ]
    [ "$(jq .accuracy <<< "$output")" = "$(jq .splits.dev.accuracy tgt/report.json)" ]
}

@test "init_from naming a dlc embed folder (word vectors) says what it is and what reads it" {
    for i in $(seq 200); do echo "the red cat sat on the blue mat $i"; done > words.txt
    cat > w2v.yaml <<YAML
name: w2v
seed: 1
data: {format: text, train: {file: words.txt}, text: {tokens: words, min_count: 2}}
embed: {method: skipgram, dim: 8, epochs: 1, sample: 0}
YAML
    "$DLC" embed w2v.yaml --out w2v --quiet > /dev/null
    [ -s w2v/vectors.txt ]
    target_config 1
    sed -i 's/init_from: {run: src, exclude: \[new_head\]}/init_from: {run: w2v}/; s/^freeze.*//' tgt.yaml
    expect_error "init_from.run: $TMP/w2v holds word vectors learned by dlc embed, not a model: init_from copies a trained model's layers; to start an embedding layer from these vectors give it pretrained: $TMP/w2v/vectors.txt" \
        "$DLC" train tgt.yaml --out tgt
    [ ! -e tgt/model.safetensors ]
}

@test "freezing said plainly: all_but_last past the layers, all_but_last 0, a frozen layer init_from did not fill" {
    source_run
    target_config 5
    run "$DLC" train tgt.yaml --out tgt
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: freeze.all_but_last is 5, and the model has 2 layers with parameters: none is frozen"* ]]
    run "$DLC" summary tgt.yaml
    [[ "$output" == *"warning: freeze.all_but_last is 5"* ]]
    target_config 0
    run "$DLC" train tgt.yaml --out tgt0
    [ "$status" -eq 2 ]
    [[ "$output" == *"tgt.yaml: key 'freeze.all_but_last': nothing to train: all_but_last 0 freezes every layer with parameters"* ]]
    # the frozen hidden layer excluded from the copy: random for good
    target_config 1
    run "$DLC" train tgt.yaml --out tgt1 --set 'init_from.exclude=[new_head, hidden]'
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: frozen layer hidden got no weights from init_from (init_from.exclude, or not in init_from.layers), so it keeps its random start for good"* ]]
    run "$DLC" summary tgt.yaml --set 'init_from.exclude=[new_head, hidden]'
    [[ "$output" == *"hidden "*"(frozen)"*"warning: frozen layer hidden got no weights from init_from"* ]]
    run "$DLC" train tgt.yaml --out tgt2 --set init_from.run=
    [[ "$output" == *"warning: frozen layer hidden got no weights from init_from (there is none)"* ]]
    # copied and frozen: nothing said
    run "$DLC" train tgt.yaml --out tgt3
    [ "$status" -eq 0 ]
    [[ "$output" != *"warning: frozen"* && "$output" != *"none is frozen"* ]]
}

@test "init_from.normalize refit on a source normalized otherwise is warned about; a resume whose source changed is refused" {
    source_run
    target_config 1
    run "$DLC" train tgt.yaml --out tgt --set init_from.normalize=refit --set data.normalize=none
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: init_from.normalize is refit: the source was trained on inputs normalized 'standard', this run normalizes them 'none' (data.normalize)"* ]]
    run "$DLC" train tgt.yaml --out tgt2 --set init_from.normalize=refit
    [[ "$output" != *"warning: init_from.normalize"* ]]
    # a resumed run took the source's input statistics again: a source
    # retrained since (minmax) would have rescaled its inputs in silence
    run "$DLC" train tgt.yaml --out tgt3
    [ "$status" -eq 0 ]
    "$DLC" train src.yaml --out src --force --quiet --set data.normalize=minmax
    run "$DLC" train tgt.yaml --out tgt3 --resume --set train.epochs=8
    [ "$status" -eq 2 ]
    [[ "$output" == *"--resume would change init_from.sha256: "*"the inputs are normalized with the init_from source's statistics"* ]]
    run "$DLC" train tgt.yaml --out tgt3 --resume --set train.epochs=8 --set init_from.normalize=refit
    [ "$status" -eq 2 ]
    [[ "$output" == *"--resume would change init_from.normalize: source -> refit"* ]]
    # with refit the source's statistics are not used: its change is only noted
    run "$DLC" train tgt.yaml --out tgt2 --resume --set train.epochs=8 --set init_from.normalize=refit
    [ "$status" -eq 0 ]
    [[ "$output" == *"init_from.sha256: "* ]]
}

# The tensor names of safetensors file $1, one a line.
tensor_names() {
    local len
    len=$(od -An -t u8 -N8 "$1" | tr -d ' ')
    dd if="$1" bs=1 skip=8 count="$len" 2>/dev/null | jq -r 'keys[] | select(. != "__metadata__")'
}

@test "a frozen run keeps no optimizer state or best weights of its frozen layers; resumed, it ends as one straight run does" {
    source_run
    target_config 1
    sed -i 's/  subset:/  split: {dev: 0.3}\n  subset:/' tgt.yaml
    # clipping and weight decay over the trainable parameters
    sed -i 's/^train: {/train: {clip_norm: 0.5, l2: 0.01, /' tgt.yaml
    "$DLC" train tgt.yaml --out straight --quiet --threads 1
    # gradient norms of the layers that learn: the frozen one has none
    grep -q ",new_head," straight/gradnorms.csv
    ! grep -q ",hidden," straight/gradnorms.csv || false
    # the frozen layer: byte for byte the source's, and nothing of it but its weights
    cmp <(tensor_bytes src/model.safetensors hidden.weight) <(tensor_bytes straight/model.safetensors hidden.weight)
    tensor_names straight/checkpoint.safetensors > names.txt
    cat names.txt
    grep -qx "hidden.weight" names.txt
    grep -qx "optim.m.new_head.weight" names.txt
    grep -qx "optim.v.new_head.bias" names.txt
    grep -qx "best.new_head.weight" names.txt
    ! grep -q "optim.*hidden\|best.hidden" names.txt || false
    # two epochs, then the other three from the checkpoint
    "$DLC" train tgt.yaml --out split --quiet --threads 1 --set train.epochs=2
    run "$DLC" train tgt.yaml --out split --resume --threads 1
    [ "$status" -eq 0 ]
    cmp straight/model.safetensors split/model.safetensors
    diff <(cut -d, -f1-6 straight/metrics.csv) <(cut -d, -f1-6 split/metrics.csv)
}

@test "layers frozen in one run learn in the next: through init_from, and through a resume that no longer freezes them" {
    source_run
    target_config 1
    "$DLC" train tgt.yaml --out tgt --quiet
    # init_from a run that froze 'hidden' into one that trains it: its
    # optimizer state starts afresh, and it learns
    sed 's/^init_from:.*/init_from: {run: tgt}/; s/^freeze:.*//' tgt.yaml > all.yaml
    run "$DLC" train all.yaml --out all
    [ "$status" -eq 0 ]
    ! cmp -s <(tensor_bytes tgt/model.safetensors hidden.weight) <(tensor_bytes all/model.safetensors hidden.weight) || false
    run "$DLC" summary all.yaml
    [[ "$output" == *"trainable 58, frozen 0"* ]]
    # the checkpoint has no state for the layer it froze: a resume that
    # unfreezes it starts that state at zero, and says so
    run "$DLC" train tgt.yaml --out tgt --resume --set train.epochs=8 --set freeze.all_but_last=null
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: the checkpoint has no optimizer state for 2 parameters that learn now (from 'hidden.weight'; frozen when it was written): their states start from zero"* ]]
    ! cmp -s <(tensor_bytes src/model.safetensors hidden.weight) <(tensor_bytes tgt/model.safetensors hidden.weight) || false
}

@test "init_from.rename takes a source layer's weights into a layer named otherwise; names that match nothing and shapes that differ are errors naming both" {
    source_run
    target_config 1
    sed -i 's/name: hidden/name: body/; s/exclude: \[new_head\]/exclude: [new_head], rename: {hidden: body}/' tgt.yaml
    run "$DLC" train tgt.yaml --out tgt
    echo "$output"
    [ "$status" -eq 0 ]
    # body (frozen) is byte for byte the source's hidden
    cmp <(tensor_bytes src/model.safetensors hidden.weight) <(tensor_bytes tgt/model.safetensors body.weight)
    cmp <(tensor_bytes src/model.safetensors hidden.bias) <(tensor_bytes tgt/model.safetensors body.bias)
    grep -q "rename: {hidden: body}" tgt/config.yaml
    # without the rename, body is a missing tensor, as before
    sed 's/, rename: {hidden: body}//' tgt.yaml > n.yaml
    dlc_refused train n.yaml n "no tensor 'body.weight' (shape (8, 4) here)"
    # a source layer that is not there (a typo), listing the source's layers
    sed 's/rename: {hidden: body}/rename: {hiden: body}/' tgt.yaml > a.yaml
    dlc_refused train a.yaml a "init_from.rename.hiden: " "src/model.safetensors has no layer 'hiden' with weights (it has hidden, head)"
    # a layer of this model that is not there
    sed 's/rename: {hidden: body}/rename: {hidden: bdy}/' tgt.yaml > b.yaml
    dlc_refused train b.yaml b "init_from.rename.hidden: 'bdy' is not a layer of this model"
    # of another shape: the message names both tensors
    sed 's/units: 8, activation: tanh/units: 6, activation: tanh/' tgt.yaml > c.yaml
    dlc_refused train c.yaml c "tensor 'hidden.weight' (init_from.rename: hidden's for layer 'body') has shape (8, 4) in " "and (6, 4) here; list layer 'body' under init_from.exclude"
    # the source's head into the new one: 3 classes there, 2 here
    sed 's/exclude: \[new_head\], rename: {hidden: body}/rename: {hidden: body, head: new_head}/' tgt.yaml > d.yaml
    dlc_refused train d.yaml d "tensor 'head.weight' (init_from.rename: head's for layer 'new_head') has shape (3, 8) in " "(a new head)"
    # two source layers into one, and a rename that is not a mapping
    sed 's/rename: {hidden: body}/rename: {hidden: body, head: body}/' tgt.yaml > e.yaml
    dlc_refused train e.yaml e "e.yaml:" "key 'init_from.rename.head': layer 'body' already takes the weights of 'hidden'"
    run "$DLC" train tgt.yaml --out f --set 'init_from.rename=[hidden, body]'
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'init_from.rename': expected a mapping of the source's layer names to this model's ({old: new}), got a list"* ]]
}

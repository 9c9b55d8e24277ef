# helpers.bash - shared set-up for the command-line tests.
# DLC is the binary under test (the Makefile passes its absolute path).
ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
DLC="${DLC:-$ROOT/dlc}"
FMNIST=/usr/share/datasets/fashion-mnist

setup() {
    TMP="$(mktemp -d /tmp/dlc-cli.XXXXXX)"
    cd "$TMP"
}

teardown() {
    cd /
    rm -rf "$TMP"
}

# Columns of metrics.csv that do not depend on timing (all but seconds, samples/s).
metrics_no_time() {
    cut -d, -f1-6 "$1"
}

# A small softmax-regression config on the shipped iris data.
iris_config() {
    cat > "${1:-iris.yaml}" <<YAML
name: iris
seed: 3
data:
  format: csv
  train: {file: $ROOT/data/iris.csv}
  label: species
  split: {dev: 0.2, test: 0.2}
model:
  layers:
    - {type: dense, units: 8, activation: tanh}
    - {type: dense, units: 3, activation: softmax}
train:
  epochs: ${2:-6}
  batch_size: 16
  optimizer: {type: adam, lr: 0.05}
YAML
}
# A small classifier of the image folder $1 (config file $2, default f.yaml;
# dev fraction $3, default 0.2).
folder_config() {
    cat > "${2:-f.yaml}" <<YAML
name: f
seed: 1
data:
  format: image_folder
  train: {dir: $1}
  split: {dev: ${3:-0.2}}
model:
  input: [1, 28, 28]
  layers:
    - {type: flatten}
    - {type: dense, units: auto}
train: {epochs: 1, batch_size: 8}
YAML
}


# A small Fashion-MNIST MLP on the first examples of the real files.
fmnist_config() {
    cat > "${1:-fm.yaml}" <<YAML
name: fm
seed: 1
data:
  format: idx
  train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: ${2:-3000}}
  test: {images: $FMNIST/t10k-images-idx3-ubyte.gz, labels: $FMNIST/t10k-labels-idx1-ubyte.gz, limit: 1000}
  split: {dev: 0.1, train_dev: 0.05}
model:
  input: [1, 28, 28]
  layers:
    - {type: flatten}
    - {type: dense, units: 64, activation: relu}
    - {type: batchnorm}
    - {type: dropout, rate: 0.1}
    - {type: dense, units: 10, activation: softmax}
train:
  epochs: ${3:-3}
  batch_size: 64
  optimizer: {type: adam, lr: 0.002}
YAML
}

# A split's figure from report.json (one split per line there):
#   json_figure FILE SPLIT KEY
json_figure() {
    sed -n "s/.*\"$2\": {[^}]*\"$3\": \([0-9.e+-]*\).*/\1/p" "$1"
}

# 1 when a > b (floating point)
gt() {
    awk -v a="$1" -v b="$2" 'BEGIN {exit !(a > b)}'
}

# Runs "$@" CONFIG [limits] for each shipped config whose data is here (the
# text corpora are prepared by scripts: fortunes, npm's Brown corpus), IDX
# ones on their first examples; from the repository root.  Sets
# SHIPPED_CONFIGS to how many ran and SHIPPED_DONE to their names.
each_shipped_config() {
    SHIPPED_CONFIGS=0
    SHIPPED_DONE=""
    for c in configs/*.yaml configs/architectures/lenet5.yaml; do
        grep -q 'file: data/\(fortunes\|brown\)' "$c" && { [ -e data/fortunes.txt ] || continue; }
        grep -q 'file: data/brown' "$c" && { [ -e data/brown/tagged.txt ] || continue; }
        grep -q 'dir: data/patches' "$c" && { [ -d data/patches ] || continue; }
        # dlc embed's configs learn word vectors, not a model; brown_pos_elmo needs its biLM run
        grep -q '^embed:' "$c" && continue
        src=$(sed -n 's/^init_from: {run: \([^,}]*\).*/\1/p' "$c")
        [ -z "$src" ] || [ -e "$src" ] || continue
        # the shapes sets are made by `make shapes`
        shapes=$(sed -n 's|.*dir: \(data/shapes_[a-z]*\)/.*|\1|p' "$c" | head -1)
        [ -z "$shapes" ] || [ -d "$shapes" ] || continue
        if grep -q 'format: idx' "$c" || [ -n "$shapes" ]; then
            "$@" "$c" --set data.train.limit=300 --set data.test.limit=100
        else
            "$@" "$c"
        fi
        SHIPPED_CONFIGS=$((SHIPPED_CONFIGS + 1))
        SHIPPED_DONE="$SHIPPED_DONE $(basename "$c" .yaml)"
    done
    echo "checked:$SHIPPED_DONE"
}

# Fails unless each_shipped_config ran the configs whose data is committed or
# comes from Debian (never skipped).
assert_shipped_always_checked() {
    for c in softmax_iris logistic_regression_breast_cancer fashion_mnist_mlp fashion_mnist_cnn \
             transfer_source lenet5; do
        [[ " $SHIPPED_DONE " == *" $c "* ]] || { echo "not checked: $c"; false; }
    done
}

# Skips an ONNX test where node, ONNX Runtime (make onnxruntime) or python3-onnx is missing.
need_onnx() {
    command -v node >/dev/null || skip "node is not installed (scripts/install-deps.sh)"
    [ -d "$ROOT/tests/onnx/node_modules/onnxruntime-node" ] || skip "ONNX Runtime is not installed (make onnxruntime)"
    /usr/bin/python3 -c "import onnx" 2>/dev/null || skip "python3-onnx is not installed (scripts/install-deps.sh)"
}

# Short texts about animals and weather (texts.csv), and a classifier config
# for them: FILE, then the layers before the softmax as YAML lines.
weather_texts() {
    {
        echo "text,label"
        for i in $(seq 1 60); do
            echo "\"the fox ran into the wood $i\",animal"
            echo "\"rain fell on the hill and the wind blew $i\",weather"
            echo "\"a fine day with the sun $i\",weather"
        done
    } > texts.csv
}

classifier_config() {
    cat > "$1" <<YAML
name: classifier
data:
  format: text
  train: {file: texts.csv}
  label: label
  split: {test: 0.2}
  text: {task: classify, tokens: words, seq_len: 12}
model:
  layers:
$2
    - {type: dense, units: auto}
train:
  epochs: ${3:-6}
  batch_size: 16
  optimizer: {type: adam, lr: ${4:-0.02}}
YAML
}

# Tagged sentences: determiners, nouns and verbs in a fixed pattern.
tagged_data() {
    local nouns=(fox crow mouse cat dog goose boy wolf sun wind) verbs=(saw ate chased found heard)
    for i in $(seq 0 119); do
        printf 'the\tDET\n%s\tNOUN\n%s\tVERB\na\tDET\n%s\tNOUN\n.\tPUNCT\n\n' \
            "${nouns[$((i % 10))]}" "${verbs[$((i % 5))]}" "${nouns[$(((i * 3 + 1) % 10))]}"
    done > "$1"
}

# Every data-key/data-value pair in a DOM dump compared with report.json;
# prints the mismatches and the count checked.
compare_dom() {
    grep -o 'data-key="[^"]*" data-value="[^"]*"' "$1" |
        sed 's/data-key="\([^"]*\)" data-value="\([^"]*\)"/\1\t\2/' > pairs.tsv
    jq -r --rawfile pairs pairs.tsv '
        . as $r
        | [$pairs | split("\n")[] | select(length > 0) | split("\t")
           | .[0] as $k
           | {key: $k, shown: .[1],
              want: ($r | getpath($k | split(".") | map(if test("^[0-9]+$") then tonumber else . end)))}]
        | map(select(
            if (.want | type) == "number" then
                (.shown | tonumber? // null) as $s
                | $s == null or (($s - .want) | fabs) > 1e-9 * ([1, (.want | fabs)] | max)
            else (.want | tostring) != .shown end))
        | map("mismatch: \(.key) shown \(.shown), report.json has \(.want)")[]' "$2"
    wc -l < pairs.tsv
}

# Metric learning on the shipped digits (tests/cli/metric.bats, mpi.bats)
# A triplet model on digits 0-4; 5-9 held out (the test split).
triplet_config() {
    cat > "${1:-tri.yaml}" <<YAML
name: tri
seed: 1
data:
  format: csv
  train: {file: $ROOT/data/digits.csv}
  label: digit
  class_split: {train: ["0", "1", "2", "3", "4"], test: ["5", "6", "7", "8", "9"]}
  split: {dev: 0.2}
  normalize: minmax
  sampler: {type: triplets, classes_per_batch: 5, per_class: 6, mining: ${2:-semi_hard}}
model:
  layers:
    - {type: dense, units: 32, activation: relu}
    - {type: dense, units: 16}
    - {name: emb, type: l2normalize}
  outputs: [{layer: emb, margin: 0.2}]
loss: triplet
train: {epochs: 3, optimizer: {type: adam, lr: 0.003}}
YAML
}

# A siamese pair model: the two halves of a (128) input share one encoder;
# a logistic unit on |e1 - e2| (or its chi-square form) says "same".
pairs_config() {
    local feature="${2:-abs}"
    cat > "${1:-pairs.yaml}" <<YAML
name: pairs
seed: 1
data:
  format: csv
  train: {file: $ROOT/data/digits.csv}
  label: digit
  class_split: {test: ["5", "6", "7", "8", "9"]}
  split: {dev: 0.2}
  normalize: minmax
  sampler: {type: pairs, positive_fraction: 0.5}
model:
  embedding: emb
  layers:
    - {name: a, type: slice, start: 0, end: 64, inputs: [input]}
    - {name: enc, type: dense, units: 32, activation: relu}
    - {name: emb, type: dense, units: 16, activation: sigmoid}
    - {name: b, type: slice, start: 64, end: 128, inputs: [input]}
    - {name: enc_b, type: dense, units: 32, activation: relu, share: enc}
    - {name: emb_b, type: dense, units: 16, activation: sigmoid, share: emb}
YAML
    if [ "$feature" = chi ]; then
        echo "    - {name: feat, type: chi_square, inputs: [emb, emb_b]}" >> "${1:-pairs.yaml}"
    else
        echo "    - {name: diff, type: subtract, inputs: [emb, emb_b]}" >> "${1:-pairs.yaml}"
        echo "    - {name: feat, type: abs}" >> "${1:-pairs.yaml}"
    fi
    cat >> "${1:-pairs.yaml}" <<YAML
    - {name: same, type: dense, units: 1, activation: sigmoid}
loss: sigmoid_bce
train: {epochs: 3, batch_size: 32, optimizer: {type: adam, lr: 0.003}}
YAML
}

# Bad input: exit status 2 and a message holding the substring.
expect_error() { # expect_error "substring" command...
    local want=$1
    shift
    run "$@"
    if [ "$status" -ne 2 ] || [[ "$output" != *"$want"* ]]; then
        echo "status $status, output: $output" >&2
        echo "wanted exit 2 and: $want" >&2
        return 1
    fi
}

# The Fashion-MNIST PNG folders (tests/data/images) as data, classes 7 and 8
# held out; a test appends the rest of data: (metric.bats, metric_trial.bats).
image_data() {
    local IMAGES="${IMAGES:-$ROOT/tests/data/images}"
    cat <<YAML
name: $1
seed: 1
data:
  format: image_folder
  train: {dir: $IMAGES/train}
  test: {dir: $IMAGES/test}
  class_split: {train: [0-tshirt_top, 1-trouser, 5-sandal], test: [7-sneaker, 8-bag]}
YAML
}

# The start of a triplet config on them, the encoder's first layers; a test
# adds the rest.
image_triplets() {
    image_data "$1"
    cat <<YAML
  sampler: {type: triplets, classes_per_batch: 3, per_class: 4}
model:
  input: [1, 28, 28]
  layers:
    - {type: conv2d, filters: 4, kernel: 3, padding: same, activation: relu}
    - {type: maxpool, kernel: 2}
    - {type: flatten}
YAML
}

# reviews_config FILE LAYERS [TRAIN]: reviews of 1 to 9 words (a padded batch mixes
# lengths) in reviews.csv and a classifier with LAYERS (YAML lines) between the embedding
# and the output; TRAIN replaces the train section (one YAML line).
reviews_config() {
    local train=${3:-'train: {epochs: 8, batch_size: 16, optimizer: {type: adam, lr: 0.02}}'}
    {
        echo "text,label"
        for i in $(seq 1 40); do
            echo "\"great $i\",pos"
            echo "\"the day was fine and great $i\",pos"
            echo "\"awful $i\",neg"
            echo "\"the day was awful and grim and sad $i\",neg"
        done
    } > reviews.csv
    cat > "$1" <<YAML
name: reviews
seed: 1
data:
  format: text
  train: {file: reviews.csv}
  split: {dev: 0.25}
  label: label
  text: {task: classify, tokens: words, seq_len: 10}
model:
  layers:
    - {type: embedding, units: 4}
$2
    - {type: dense, units: auto}
$train
YAML
}

# dlc_refused COMMAND FILE RUN PIECE...: dlc COMMAND FILE --out RUN fails (exit 2) with each PIECE
# in its words
dlc_refused() {
    run "$DLC" "$1" "$2" --out "$3"
    echo "$output"
    [ "$status" -eq 2 ]
    local piece
    for piece in "${@:4}"; do [[ "$output" == *"$piece"* ]]; done
}

#!/usr/bin/env bats
# Every shipped config's model, trained briefly, exported to ONNX and run in
# ONNX Runtime against `dlc predict --values` (tests/onnx/check.sh).  Data
# that is not committed (the fortunes text, the Brown corpus, ImageNet) is
# replaced by small stand-ins written here; the architectures train at
# 64 x 64 on the committed PNG folder with a 5-class head.  Skips where node,
# ONNX Runtime or python3-onnx is missing.
load helpers

CHECK="$ROOT/tests/onnx/check.sh"
FABLES="$ROOT/tests/data/text/fables.txt"
IMAGES="$ROOT/tests/data/images"

# train_shipped CONFIG [--set ...]: one short run of a shipped config into ./run
train_shipped() {
    local config="$1"
    shift
    "$DLC" train "$ROOT/configs/$config" --out run --quiet --threads 2 "$@" >/dev/null
}

# check [check.sh options]: export ./run and compare ONNX Runtime with dlc
check() {
    run "$CHECK" "$DLC" run "$@"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"full check passed"* ]]
}

# the text language models on the fables
lm() {
    need_onnx
    train_shipped "$1" --set data.train.file="$FABLES" --set data.text.min_count=1 \
        --set train.epochs=1 --set train.batch_size=4
    check gen:3:--max:20 --output logits --tol 1e-3
    check gen:3:--max:20
}

# 64 x 64 images from the committed PNG folder, 5 classes: ARCH LAST-LAYER-INDEX
architecture() {
    need_onnx
    train_shipped "architectures/$1.yaml" --set model.input=[3,64,64] --set data.train.dir="$IMAGES/train" \
        --set data.train.limit=16 --set train.epochs=1 --set train.batch_size=8 --set "model.layers.$2.units=5"
    check gen:2
    check gen:2 --output logits --tol 1e-3
}

# a genre classifier CONFIG on a stand-in for the Brown passages
brown_genres() {
    need_onnx
    {
        echo "text	genre"
        for i in $(seq 1 20); do
            echo "the jury said the court would rule on the case today	news"
            echo "she looked at the sea and thought of the long summer	fiction"
            echo "the cell divides and the protein binds to the membrane	learned"
        done
    } > genres.tsv
    train_shipped "$1" --set data.train.file=genres.tsv --set data.dev.file=genres.tsv \
        --set data.test.file=genres.tsv --set data.text.min_count=1 --set train.epochs=1
    check gen:6:--pad:--max:20
}

# a shapes config (make_shapes MODE) trained briefly on a small generated set:
# CONFIG MODE [check options]
MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"
shapes_config() {
    local config="$1" mode="$2"
    shift 2
    need_onnx
    "$MAKE_SHAPES" sh --mode "$mode" --train 16 --dev 4 --test 4 >/dev/null
    local names=()
    [ "$mode" = windows ] || names=(--set data.detection.names=sh/shapes.names)
    train_shipped "$config.yaml" --set data.train.dir=sh/train --set data.dev.dir=sh/dev \
        --set data.test.dir=sh/test "${names[@]}" --set train.epochs=1 --set train.batch_size=8
    check gen:2 "$@"
}

@test "shipped: shapes_yolo" {
    shapes_config shapes_yolo detect
}

@test "shipped: shapes_localize" {
    shapes_config shapes_localize single
}

@test "shipped: shapes_landmarks" {
    shapes_config shapes_landmarks landmarks --output corners.output,object.output
}

@test "shipped: shapes_windows" {
    shapes_config shapes_windows windows
}

@test "shipped: every config in configs/ has a test in this file" {
    for f in "$ROOT"/configs/*.yaml "$ROOT"/configs/architectures/*.yaml "$ROOT"/configs/mismatch/*.yaml; do
        n=$(basename "$f" .yaml)
        grep -q "^@test \"shipped: $n\"" "$BATS_TEST_FILENAME" || { echo "no export test for $f"; false; }
    done
}

# an embed: config (dlc embed) writes word vectors, not a model: nothing to export
embed_config() {
    grep -q '^embed:' "$ROOT/configs/$1.yaml"
    skip "$1 is a dlc embed config: it writes word vectors (vectors.txt), not a model to export"
}

# a stylize: config (dlc stylize) optimizes an image through a frozen network: no model to export
stylize_config() {
    grep -q '^stylize:' "$ROOT/configs/$1.yaml"
    skip "$1 is a dlc stylize config: it writes an image, not a model to export"
}

@test "shipped: stylize_random" {
    stylize_config stylize_random
}

@test "shipped: stylize_trained" {
    stylize_config stylize_trained
}

# the feature network those transfer, on the committed PNG folder instead of data/patches
@test "shipped: stylize_features" {
    need_onnx
    train_shipped stylize_features.yaml --set data.train.dir="$IMAGES/train" \
        --set data.train.limit=16 --set train.epochs=1 --set train.batch_size=8
    check gen:2
    check gen:2 --output logits --tol 1e-3
}

@test "shipped: brown_word2vec" {
    embed_config brown_word2vec
}

@test "shipped: brown_glove" {
    embed_config brown_glove
}

@test "shipped: brown_window_lm" {
    embed_config brown_window_lm
}

# tagged sentences standing in for data/brown/tagged.txt, and their words one
# sentence a line for data/brown/text_train.txt (the biLM's text)
brown_tagged() {
    for i in $(seq 1 40); do
        printf 'The\tAT\njury\tNN\nsaid\tVBD\n'; [ $((i % 2)) -eq 0 ] && printf 'it\tPPS\nwould\tMD\nrule\tVB\n'
        echo
    done > tagged.txt
    awk 'NF { printf "%s%s", sep, $1; sep = " " } !NF { print ""; sep = "" }' tagged.txt > text.txt
}

# the biLM of configs/brown_bilm.yaml on the stand-in text, into ./bilm
brown_bilm_stand_in() {
    "$DLC" train "$ROOT/configs/brown_bilm.yaml" --out bilm --quiet --threads 2 --set data.sources.0.train.file=text.txt \
        --set data.sources.1.train.file=text.txt --set data.text.min_count=1 --set data.text.seq_len=8 \
        --set train.epochs=1 --set train.batch_size=4 >/dev/null
}

@test "shipped: brown_bilm" {
    need_onnx
    brown_tagged
    train_shipped brown_bilm.yaml --set data.sources.0.train.file=text.txt --set data.sources.1.train.file=text.txt --set data.text.min_count=1 \
        --set data.text.seq_len=8 --set train.epochs=1 --set train.batch_size=4
    check gen:4:--pad:--max:8 --valid-steps
    check gen:4:--pad:--max:8 --valid-steps --output logits --tol 1e-3
}

@test "shipped: brown_pos_elmo" {
    need_onnx
    brown_tagged
    brown_bilm_stand_in
    train_shipped brown_pos_elmo.yaml --set init_from.run="$PWD/bilm" --set data.train.file=tagged.txt \
        --set data.text.min_count=1 --set data.text.seq_len=8 --set train.epochs=1
    check gen:4:--pad:--max:8 --valid-steps
}

@test "shipped: brown_pos_best" {
    need_onnx
    brown_tagged
    brown_bilm_stand_in
    awk 'BEGIN { print "1 100"; printf "jury"; for (i = 0; i < 100; i++) printf " %g", i / 100; print "" }' > vec.txt
    train_shipped brown_pos_best.yaml --set init_from.run="$PWD/bilm" --set data.train.file=tagged.txt \
        --set model.layers.11.pretrained="$PWD/vec.txt" --set data.text.min_count=1 --set data.text.seq_len=8 \
        --set train.epochs=1
    check gen:6:--pad:--max:8 --valid-steps
}

@test "shipped: brown_pos_chars" {
    need_onnx
    brown_tagged
    train_shipped brown_pos_chars.yaml --set data.train.file=tagged.txt --set data.text.min_count=1 \
        --set data.text.seq_len=8 --set train.epochs=1
    check gen:6:--pad:--max:8 --valid-steps
}

@test "shipped: fashion_mnist_mlp" {
    need_onnx
    train_shipped fashion_mnist_mlp.yaml --set data.train.limit=2000 --set data.test.limit=200 --set train.epochs=1
    check gen:6
}

@test "shipped: fashion_mnist_cnn" {
    need_onnx
    train_shipped fashion_mnist_cnn.yaml --set data.train.limit=600 --set data.test.limit=100 --set train.epochs=1
    check gen:4
}

@test "shipped: transfer_source" {
    need_onnx
    train_shipped transfer_source.yaml --set data.train.limit=1000 --set data.test.limit=100 --set train.epochs=1
    check gen:4
}

@test "shipped: transfer_fashion_mnist" {
    need_onnx
    # its source run first, then the new head on the frozen features
    "$DLC" train "$ROOT/configs/transfer_source.yaml" --out src --quiet --set data.train.limit=600 \
        --set data.test.limit=100 --set train.epochs=1 >/dev/null
    train_shipped transfer_fashion_mnist.yaml --set init_from.run="$PWD/src" --set data.subset.per_class=20 \
        --set data.test.limit=100 --set train.epochs=1
    check gen:4
}

# the data-mismatch study's model (its data is made by scripts/make_mismatch_data.py):
# the config's model section on a Fashion-MNIST sample
mismatch() {
    need_onnx
    fmnist_config fm.yaml 1000 1
    { sed '/^model:/,$d' fm.yaml; sed -n '/^model:/,/^[a-z]/p' "$ROOT/configs/mismatch/$1.yaml" | sed '$d';
      sed -n '/^train:/,$p' fm.yaml; } > m.yaml
    "$DLC" train m.yaml --out run --quiet >/dev/null
    check gen:4
}

@test "shipped: a_target_only" {
    mismatch a_target_only
}

@test "shipped: b_shuffled" {
    mismatch b_shuffled
}

@test "shipped: c_recipe" {
    mismatch c_recipe
}

@test "shipped: d_synthesis" {
    mismatch d_synthesis
}

@test "shipped: softmax_iris" {
    need_onnx
    train_shipped softmax_iris.yaml --set data.train.file="$ROOT/data/iris.csv" --set train.epochs=20
    cut -d, -f1-4 "$ROOT/data/iris.csv" | sed -n '2p;60p;140p' > rows.txt
    check rows.txt
}

@test "shipped: logistic_regression_breast_cancer" {
    need_onnx
    train_shipped logistic_regression_breast_cancer.yaml --set data.train.file="$ROOT/data/breast_cancer.csv" \
        --set train.epochs=5
    col=$(head -1 "$ROOT/data/breast_cancer.csv" | tr ',' '\n' | grep -n '^diagnosis$' | cut -d: -f1)
    sed -n 2,9p "$ROOT/data/breast_cancer.csv" | cut -d, -f"$col" --complement > rows.txt
    check rows.txt
}

@test "shipped: charlm_lstm" {
    lm charlm_lstm.yaml
}

@test "shipped: charlm_gru" {
    lm charlm_gru.yaml
}

@test "shipped: charlm_rnn" {
    lm charlm_rnn.yaml
}

@test "shipped: wordlm_lstm" {
    lm wordlm_lstm.yaml
}

@test "shipped: brown_pos_bilstm" {
    need_onnx
    for i in $(seq 1 40); do
        printf 'the\tAT\njury\tNN\nsaid\tVBD\n'; [ $((i % 2)) -eq 0 ] && printf 'it\tPPS\nwould\tMD\nrule\tVB\n'
        echo
    done > tagged.txt
    train_shipped brown_pos_bilstm.yaml --set data.train.file=tagged.txt --set data.text.min_count=1 \
        --set train.epochs=1
    check gen:6:--pad:--max:8 --valid-steps
}

@test "shipped: brown_genre_bow" {
    brown_genres brown_genre_bow.yaml
}

@test "shipped: brown_genre_lstm" {
    brown_genres brown_genre_lstm.yaml
}

@test "shipped: lenet5" {
    need_onnx
    train_shipped architectures/lenet5.yaml --set data.train.limit=1000 --set data.test.limit=100 --set train.epochs=1
    check gen:4
}

@test "shipped: alexnet" {
    architecture alexnet 13
}

@test "shipped: vgg16" {
    architecture vgg16 15
}

@test "shipped: resnet18" {
    architecture resnet18 11
}

@test "shipped: resnet50" {
    architecture resnet50 12
}

@test "shipped: inception" {
    architecture inception 18
}

@test "shipped: mobilenet_v2" {
    architecture mobilenet_v2 18
}

@test "shipped: mobilenet_v3_small" {
    architecture mobilenet_v3_small 16
}

@test "shipped: fashion_mnist_triplet" {
    need_onnx
    # the embedding itself is the output: 64 values per image
    train_shipped fashion_mnist_triplet.yaml --set data.train.limit=1000 --set data.test.limit=100 --set train.epochs=1
    check gen:4
}

@test "shipped: fashion_mnist_triplet_joint" {
    need_onnx
    # two outputs: the embedding and the softmax classifier of the seen classes
    train_shipped fashion_mnist_triplet_joint.yaml --set data.train.limit=1000 --set data.test.limit=100 --set train.epochs=1
    check gen:4 --output embedding.output,classify.probabilities
}

@test "shipped: digits_siamese" {
    need_onnx
    # two stacked digits in, p(same) out; the siamese branches share one encoder
    train_shipped digits_siamese.yaml --set data.train.file="$ROOT/data/digits.csv" --set train.epochs=2
    check gen:4
    check gen:4 --output logits --tol 1e-3
}

#!/usr/bin/env bats
# Convolutional networks on image folders, dlc predict on real PNG files,
# and the architecture configs' parameter totals.
load helpers

IMAGES="$ROOT/tests/data/images"   # Fashion-MNIST PNGs: 5 classes, 8 train / 3 test each

# A small CNN on the PNG folder: image_folder data, augmentation, conv, pool.
cnn_config() {
    cat > "${1:-cnn.yaml}" <<YAML
name: cnn
seed: 2
data:
  format: image_folder
  train: {dir: $IMAGES/train}
  test: {dir: $IMAGES/test}
  split: {dev: 0.2}
  augment: {hflip: true, crop_pad: 1}
model:
  input: [1, 28, 28]
  layers:
    - {type: conv2d, filters: 4, kernel: 3, padding: same, activation: relu}
    - {type: batchnorm}
    - {type: maxpool, kernel: 2}
    - {type: flatten}
    - {type: dense, units: 5, activation: softmax}
train:
  epochs: ${2:-3}
  batch_size: 8
  optimizer: {type: adam, lr: 0.01}
YAML
}

trained_run() {
    cnn_config
    "$DLC" train cnn.yaml --out run --quiet
}

@test "a CNN trains on an image folder; classes come from the sorted folder names" {
    cnn_config
    run "$DLC" train cnn.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"train 32, train-dev 0, dev 8, test 15"* ]]
    [ -s run/model.safetensors ]
    run "$DLC" eval run --json
    [ "$status" -eq 0 ]
    [[ "$output" == *'"examples": 15'* ]]
}

@test "predict prints the top classes of real PNG files" {
    trained_run
    run "$DLC" predict run "$IMAGES/test/1-trouser/"*.png
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" == "$IMAGES/test/1-trouser/"*".png: "* ]]
    # three classes per line by default, each a folder name with a probability
    n=$(echo "${lines[0]}" | tr ',' '\n' | grep -cE '[0-9]-[a-z_]+ [01]\.[0-9]{4}')
    [ "$n" -eq 3 ]
    run "$DLC" predict run "$IMAGES/test/8-bag" --top-k 1
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    [ "$(echo "${lines[0]}" | tr -cd ',' | wc -c)" -eq 0 ]
}

@test "predict --json is one object with a probability per class" {
    trained_run
    run "$DLC" predict run "$IMAGES/test/5-sandal" --json --top-k 5
    [ "$status" -eq 0 ]
    [[ "$output" == '{"model": '* ]]
    [ "$(echo "$output" | grep -o '"file"' | wc -l)" -eq 3 ]
    [ "$(echo "$output" | grep -o '"probability"' | wc -l)" -eq 15 ]
    if command -v python3 > /dev/null; then
        echo "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); p=d["predictions"][0]["top"]; assert abs(sum(t["probability"] for t in p) - 1) < 1e-4'
    fi
}

@test "predict converts RGB JPEG and PNG files of another size with the stored preprocessing" {
    trained_run
    run "$DLC" predict run "$IMAGES/other/sneaker_rgb_56.jpg" "$IMAGES/other/sneaker_rgb_56.png" --top-k 1 --quiet
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" == *"sneaker_rgb_56.jpg: "[0-9]-* ]]
    [[ "${lines[1]}" == *"sneaker_rgb_56.png: "[0-9]-* ]]
    # without --quiet the conversion is said on stderr
    run "$DLC" predict run "$IMAGES/other/sneaker_rgb_56.jpg" "$IMAGES/other/sneaker_rgb_56.png" --top-k 1
    [[ "$output" == *"note: 2 of 2 images resized to the model's 28 x 28 ("*"sneaker_rgb_56.jpg: 56 x 56), 2 converted to gray"* ]]
}

@test "predict refuses missing and undecodable images and says which, exit 2" {
    trained_run
    run "$DLC" predict run nothere.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"nothere.png: cannot open: No such file or directory"* ]]
    printf 'not a png' > broken.png
    run "$DLC" predict run "$IMAGES/test/8-bag/"*.png broken.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"broken.png: not an image; dlc reads PNG, JPEG, BMP and GIF"* ]]
    [[ "$output" != *"8-bag"* ]]   # nothing printed for the good ones either
    mkdir empty
    run "$DLC" predict run empty
    [ "$status" -eq 2 ]
    [[ "$output" == *"empty: the folder has no image files"* ]]
    run "$DLC" predict run
    [ "$status" -eq 2 ]
    run "$DLC" predict run "$IMAGES/test/8-bag" --top-k 0
    [ "$status" -eq 2 ]
}

@test "predict refuses images for a model that does not take them, exit 2" {
    iris_config
    "$DLC" train iris.yaml --out iris --quiet
    run "$DLC" predict iris "$IMAGES/test/8-bag"
    [ "$status" -eq 2 ]
    [[ "$output" == *"the model takes examples of shape (4), not images"* ]]
}

@test "predict takes PNGs for an MLP trained on IDX images" {
    fmnist_config fm.yaml 600 1
    "$DLC" train fm.yaml --out fm --quiet
    run "$DLC" predict fm "$IMAGES/test/7-sneaker"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
}

@test "an unreadable training image fails by default, and is skipped with a count on request" {
    cp -r "$IMAGES" imgs
    printf '\x89PNG\r\n\x1a\n cut short' > imgs/train/8-bag/zz-broken.png
    cnn_config
    sed -i "s|$IMAGES|$TMP/imgs|" cnn.yaml
    run "$DLC" train cnn.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"imgs/train/8-bag/zz-broken.png: PNG image is truncated"* ]]
    run "$DLC" train cnn.yaml --out run --set data.bad_files=skip --force
    [ "$status" -eq 0 ]
    [[ "$output" == *"skipped 1 unreadable image files"* ]]
}

@test "a kernel larger than its input fails at load time naming the layer" {
    cnn_config
    sed -i 's/kernel: 3, padding: same/kernel: 30/' cnn.yaml
    run "$DLC" summary cnn.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"cnn.yaml:12: layer 'conv2d_1' (conv2d): output size"*"is less than 1"* ]]
}

@test "conv algorithm: Winograd trains like im2col; it needs a 3x3 kernel with stride 1" {
    cnn_config cnn.yaml 1
    for a in im2col winograd_2x2 winograd_4x4; do
        run "$DLC" train cnn.yaml --out "run_$a" --quiet --set model.layers.0.algorithm=$a
        [ "$status" -eq 0 ]
        grep -q "algorithm: $a" "run_$a/config.yaml"
    done
    # the same data and seed: the first epoch's loss agrees to rounding
    want=$(awk -F, 'NR == 2 {print $3}' run_im2col/metrics.csv)
    for a in winograd_2x2 winograd_4x4; do
        got=$(awk -F, 'NR == 2 {print $3}' "run_$a/metrics.csv")
        awk -v a="$got" -v b="$want" 'BEGIN {d = a - b; exit !(d < 1e-3 && d > -1e-3)}'
    done
    run "$DLC" summary cnn.yaml --set model.layers.0.algorithm=winograd_4x4 --set model.layers.0.stride=2
    [ "$status" -eq 2 ]
    [[ "$output" == *"layer 'conv2d_1' (conv2d): algorithm: winograd_4x4 needs a conv2d with a 3x3 kernel and stride 1"* ]]
    run "$DLC" summary cnn.yaml --set model.layers.0.algorithm=fast
    [ "$status" -eq 2 ]
    [[ "$output" == *"algorithm"*"winograd_2x2"* ]]
}

@test "a depthwise-separable CNN (groups, relu6) learns an image folder; groups must divide channels and filters" {
    cat > sep.yaml <<YAML
name: sep
seed: 3
data:
  format: image_folder
  train: {dir: $IMAGES/train}
model:
  input: [1, 28, 28]
  layers:
    - {name: stem, type: conv2d, filters: 8, kernel: 3, stride: 2, padding: 1, activation: relu6}
    - {name: dw, type: conv2d, filters: 16, groups: 8, kernel: 3, padding: 1}
    - {name: bn, type: batchnorm, activation: relu6}
    - {name: pw, type: conv2d, filters: 16, groups: 2, kernel: 1, activation: relu6}
    - {type: global_avgpool}
    - {type: dense, units: 5, activation: softmax}
train:
  epochs: 30
  batch_size: 8
  optimizer: {type: adam, lr: 0.02}
YAML
    run "$DLC" summary sep.yaml
    echo "$output"
    [ "$status" -eq 0 ]
    # dw: 16 filters of 1 channel x 3 x 3 + 16 biases; pw: 16 filters of 8 channels + 16
    [[ "$output" == *"dw "*"(16, 14, 14)"*" 160 "* ]]
    [[ "$output" == *"pw "*"(16, 14, 14)"*" 144 "* ]]
    "$DLC" train sep.yaml --out run --quiet > /dev/null
    grep -q "groups: 8" run/config.yaml
    # 5 classes, 40 images: the training loss far below chance's ln 5 = 1.61
    awk -F, 'END {exit !($3 < 0.8)}' run/metrics.csv
    run "$DLC" summary sep.yaml --set model.layers.1.groups=3
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"sep.yaml:"*"layer 'dw' (conv2d): groups 3 must divide both the input's 8 channels and the 16 filters"* ]]
    run "$DLC" summary sep.yaml --set model.layers.1.groups=0
    [ "$status" -eq 2 ]
    [[ "$output" == *"groups"* ]]
}

@test "summary totals match the reference implementations (LeNet-5, VGG-16)" {
    run "$DLC" summary "$ROOT/configs/architectures/lenet5.yaml"
    [ "$status" -eq 0 ]
    [[ "$output" == *"total params: 61,706 "* ]]
    run "$DLC" summary "$ROOT/configs/architectures/vgg16.yaml"
    [ "$status" -eq 0 ]
    [[ "$output" == *"total params: 138,357,544 "* ]]
    [[ "$output" == *"s5_3_conv"*"(512, 14, 14)"*"2,359,808"* ]]
}

@test "--set reaches a layer by its name: the shipped ResNet-50 made a ResNet-101 with a 10-class head" {
    # torchvision's resnet101 has 44,549,160 parameters with 1000 classes; a head of 10
    # instead has 990 * (2048 + 1) fewer: 42,520,650
    run "$DLC" summary "$ROOT/configs/architectures/resnet50.yaml" --set model.layers.layer3.repeat=22 \
        --set model.layers.fc.units=10
    [ "$status" -eq 0 ]
    [[ "$output" == *"total params: 42,520,650 "* ]]
    [[ "$output" == *"layer3_22_add "* ]]
    run "$DLC" summary "$ROOT/configs/architectures/resnet50.yaml" --set model.layers.fc2.units=10
    [ "$status" -eq 2 ]
    [[ "$output" == *"no item of 'model.layers' is named 'fc2' (did you mean 'fc'?)"* ]]
}

@test "a JPEG's Exif orientation is applied, in training and in predict: a phone photo stored sideways is seen upright" {
    exif="$IMAGES/exif"   # tests/data/make_exif_images.py
    mkdir -p data/upright data/turned
    for i in 1 2 3 4; do cp "$exif/orient1.jpg" data/upright/$i.jpg; cp "$exif/rot180.jpg" data/turned/$i.jpg; done
    # sideways files in training: shown 16 x 8, as the first image, so none is resized
    cp "$exif/orient6.jpg" data/upright/5.jpg
    cp "$exif/orient8.jpg" data/upright/6.jpg
    cat > e.yaml <<YAML
name: e
seed: 1
data: {format: image_folder, train: {dir: $PWD/data}}
model: {layers: [{type: flatten}, {type: dense, units: 2}]}
train: {epochs: 30, batch_size: 10, optimizer: {type: adam, lr: 0.01}}
YAML
    run "$DLC" train e.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"input (3, 8, 16)"* ]]
    [[ "$output" != *"resized"* ]]
    # every orientation of the upright picture is predicted upright; orient3.jpg
    # holds rot180.jpg's pixels as stored
    run "$DLC" predict run "$exif"/orient?.jpg --json --top-k 1
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.predictions | length == 8'
    echo "$output" | jq -e '[.predictions[].top[0].class] | all(. == "upright")'
    run "$DLC" predict run "$exif/rot180.jpg" --top-k 1
    [[ "$output" == *"rot180.jpg: turned"* ]]
    # a malformed Exif block: the image as stored (16 high, 8 wide: resized), never an error
    run "$DLC" predict run "$exif/bad_exif.jpg"
    [ "$status" -eq 0 ]
}

#!/usr/bin/env bats
# detect.bats - object detection from the command line: the shapes
# generator, `format: detection` data (and its bad input), training the
# three kinds of detection output, the figures in report.json, report.html,
# eval and the error sample, and `dlc predict` with --json and --draw.
load helpers

MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"

# A small YOLO config on a shapes set made in the test folder.
yolo_config() {
    cat > "${1:-yolo.yaml}" <<YAML
name: yolo
seed: 2
data:
  format: detection
  train: {dir: shapes/train}
  dev: {dir: shapes/dev}
  test: {dir: shapes/test}
  detection: {names: shapes/shapes.names, max_objects: 6}
  augment: {hflip: true, crop_pad: 2}
model:
  input: [3, 64, 64]
  layers:
    - {type: conv2d, filters: 8, kernel: 3, padding: same}
    - {type: batchnorm, activation: relu}
    - {type: maxpool, kernel: 4}
    - {type: conv2d, filters: 16, kernel: 3, padding: same, activation: relu}
    - {type: maxpool, kernel: 2}
    - {name: grid, type: conv2d, filters: 16, kernel: 1}
  outputs:
    - {layer: grid, loss: yolo, anchors: [[0.2, 0.2], [0.4, 0.4]], score: 0.1}
train: {epochs: 2, batch_size: 16, optimizer: {type: adam, lr: 0.003}}
report: {error_analysis: {samples: 12}}
YAML
}

@test "make_shapes: the darknet layout, seeded, three kinds" {
    run "$MAKE_SHAPES" a --train 6 --dev 2 --test 2 --seed 4
    [ "$status" -eq 0 ]
    [ "$(ls a/train/*.png | wc -l)" -eq 6 ]
    [ "$(ls a/train/*.txt | wc -l)" -eq 6 ]
    [ "$(cat a/shapes.names)" = "$(printf 'circle\nsquare\ntriangle')" ]
    # each label line: a class 0-2 and four fractions
    awk 'NF != 5 || $1 !~ /^[012]$/ {exit 1} {for (i = 2; i <= 5; i++) if ($i < 0 || $i > 1) exit 1}' a/train/*.txt
    "$MAKE_SHAPES" b --train 6 --dev 2 --test 2 --seed 4
    diff -r a b
    "$MAKE_SHAPES" c --train 6 --dev 0 --test 0 --seed 5
    ! cmp -s a/train/00000.png c/train/00000.png || false
    "$MAKE_SHAPES" l --mode landmarks --train 8 --dev 0 --test 0
    [ "$(cat l/shapes.names)" = triangle ]
    awk 'NF != 0 && NF != 11 {exit 1}' l/train/*.txt
    "$MAKE_SHAPES" s --mode single --train 20 --dev 0 --test 0
    [ "$(cat s/train/*.txt | wc -l)" -le 20 ]
    awk 'END {if (NR > 1) exit 1}' s/train/00000.txt
    run "$MAKE_SHAPES" z --mode circles
    [ "$status" -eq 2 ]
}

@test "yolo trains on shapes; mAP, per-class AP and the error sample in every file" {
    "$MAKE_SHAPES" shapes --train 96 --dev 24 --test 16
    yolo_config
    run "$DLC" train yolo.yaml --out run --force
    [ "$status" -eq 0 ]
    [[ "$output" == *"mAP@0.5"* ]]
    [[ "$output" == *"missed and false positives at score >= 0.10, IoU 0.5"* ]]
    [ "$(jq -r .task run/report.json)" = detection ]
    [ "$(jq -r .heads[0].loss run/report.json)" = yolo ]
    jq -e '.metrics.dev.detection.map50 >= 0 and .metrics.dev.detection.map50 <= 1' run/report.json
    jq -e '.metrics.dev.detection.map <= .metrics.dev.detection.map50' run/report.json
    jq -e '(.metrics.dev.detection.per_class | length) == 3' run/report.json
    jq -e '.metrics.test.detection.objects == ([.metrics.test.detection.per_class[].objects] | add)' run/report.json
    [ "$(jq -r .metric.name run/report.json)" = map50 ]
    # the error sample: missed objects and false positives, as crops
    [ "$(jq -r .error_analysis.kind run/report.json)" = detections ]
    head -1 run/errors/errors.csv | grep -q '^id,true,predicted,confidence,kind,iou,box,image,'
    n=$(jq .error_analysis.sampled run/report.json)
    [ "$n" -ge 1 ]
    [ "$n" -le 12 ]
    [ "$(tail -n +2 run/errors/errors.csv | wc -l)" -eq "$n" ]
    tail -n +2 run/errors/errors.csv | cut -d, -f5 | grep -qxE 'missed|background|misplaced|wrong_class|duplicate'
    img=$(sed -n 2p run/errors/errors.csv | cut -d, -f8)
    [ -s "run/errors/$img" ]
    grep -q "Average precision per class" run/report.html
    grep -q "missed objects and false positives of the dev images" run/report.html
    # every figure report.html shows is report.json's
    out=$(compare_dom run/report.html run/report.json)
    echo "$out" | grep mismatch && false
    [ "$(echo "$out" | tail -1)" -ge 20 ]
    # dlc analyze reads the sample (kind, iou and box are data, not tags)
    run "$DLC" analyze run
    [ "$status" -eq 0 ]
    [[ "$output" == *"sampled of "*" missed objects and false positives of the dev images"* ]]
    [[ "$output" != *"kind"* ]]
    # eval: the test split's figures again, the same as in report.json
    run "$DLC" eval run --json
    [ "$status" -eq 0 ]
    want=$(jq .metrics.test.detection.map50 run/report.json)
    [ "$(echo "$output" | jq .detection.map50)" = "$want" ]
    echo "$output" | jq -e '.heads[0].detection.per_class[0].class == "circle"'
}

@test "predict: boxes one per line, JSON, and the image drawn with them" {
    "$MAKE_SHAPES" shapes --train 64 --dev 16 --test 4
    yolo_config
    "$DLC" train yolo.yaml --out run --force --quiet
    run "$DLC" predict run shapes/test/00000.png --score 0.05
    [ "$status" -eq 0 ]
    # "FILE: CLASS SCORE x1 y1 x2 y2" in pixels, or "no object"
    echo "$output" | awk '$2 == "no" {next} NF != 7 || $2 !~ /^(circle|square|triangle)$/ || $3 < 0.05 || $3 > 1 {exit 1}'
    run "$DLC" predict run shapes/test --json --score 0.05
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.predictions | length == 4'
    echo "$output" | jq -e '[.predictions[].boxes[].score] | all(. >= 0.05)'
    echo "$output" | jq -e '[.predictions[].boxes[].box[]] | all(. >= 0 and . <= 64)'
    # a higher threshold keeps a subset
    lo=$("$DLC" predict run shapes/test --json --score 0.05 | jq '[.predictions[].boxes[]] | length')
    hi=$("$DLC" predict run shapes/test --json --score 0.5 | jq '[.predictions[].boxes[]] | length')
    [ "$hi" -le "$lo" ]
    run "$DLC" predict run shapes/test/00001.png --draw drawn.png --score 0.05
    [ "$status" -eq 0 ]
    [ -s drawn.png ]
    # the same size as the input, and not the same pixels when a box is drawn
    python3 -c 'import struct,sys; a=open(sys.argv[1],"rb").read(24); b=open(sys.argv[2],"rb").read(24); sys.exit(a[16:24] != b[16:24])' drawn.png shapes/test/00001.png
    n=$(echo "$output" | grep -vc "no object" || true)
    if [ "$n" -gt 0 ]; then ! cmp -s drawn.png shapes/test/00001.png; fi
    # usage errors
    run "$DLC" predict run shapes/test/00000.png shapes/test/00001.png --draw x.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"--draw writes one picture"* ]]
    run "$DLC" predict run shapes/test/00000.png --score 2
    [ "$status" -eq 2 ]
    run "$DLC" predict run missing.png
    [ "$status" -eq 2 ]
    iris_config
    "$DLC" train iris.yaml --out iris --force --quiet
    run "$DLC" predict iris "$ROOT/data/iris.csv" --draw x.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"are for detection models"* ]]
}

@test "localize and landmarks heads train together, flipped with flip_index; predict prints both" {
    "$MAKE_SHAPES" tri --mode landmarks --train 64 --dev 16 --test 8
    cat > lm.yaml <<YAML
name: lm
data:
  format: detection
  train: {dir: tri/train}
  dev: {dir: tri/dev}
  test: {dir: tri/test}
  detection: {names: tri/shapes.names, landmarks: 3, max_objects: 1, flip_index: [0, 2, 1]}
  augment: {hflip: true, crop_pad: 2}
model:
  input: [3, 64, 64]
  layers:
    - {type: conv2d, filters: 8, kernel: 5, stride: 4, activation: relu}
    - {name: trunk, type: flatten}
    - {name: box, type: dense, units: 6, inputs: [trunk]}
    - {name: points, type: dense, units: 6, inputs: [trunk]}
  outputs:
    - {layer: box, loss: localize, score: 0.2}
    - {layer: points, loss: landmarks, weight: 10}
train: {epochs: 2, batch_size: 16}
YAML
    run "$DLC" train lm.yaml --out run --force
    [ "$status" -eq 0 ]
    [[ "$output" == *"distance (px)"* ]]
    jq -e '.heads[1].metrics.dev.detection.landmark_px > 0' run/report.json
    jq -e '.heads[0].metrics.dev.detection.mean_iou >= 0' run/report.json
    jq -e '.heads[0].metrics.dev.detection.class_accuracy == 1' run/report.json # one class
    out=$(compare_dom run/report.html run/report.json)
    echo "$out" | grep mismatch && false
    [ "$(echo "$out" | tail -1)" -ge 20 ]
    run "$DLC" predict run tri/test/00001.png
    [ "$status" -eq 0 ]
    [[ "$output" == *"tri/test/00001.png: landmarks "* ]]
    "$DLC" predict run tri/test/00001.png --json | jq -e '.predictions[0].landmarks | length == 3'
    "$DLC" predict run tri/test/00001.png --json | jq -e '.predictions[0].p_obj >= 0'
}

@test "bad detection data: file and line, exit 2; bad_files: skip counts what it leaves out" {
    "$MAKE_SHAPES" shapes --train 12 --dev 4 --test 0
    yolo_config
    sed -i '/test: {dir/d' yolo.yaml
    echo "0 0.5 0.5 0.2" >> shapes/train/00003.txt
    run "$DLC" train yolo.yaml --out run --force
    [ "$status" -eq 2 ]
    [[ "$output" == *"shapes/train/00003.txt:"*": expected 5 fields (class cx cy w h), got 4"* ]]
    run "$DLC" train yolo.yaml --out run --force --set data.bad_files=skip
    [ "$status" -eq 0 ]
    [[ "$output" == *"skipped 1 "* ]]
    "$MAKE_SHAPES" shapes --train 12 --dev 4 --test 0
    echo "7 0.5 0.5 0.2 0.2" > shapes/train/00002.txt
    run "$DLC" train yolo.yaml --out run --force
    [ "$status" -eq 2 ]
    [[ "$output" == *"00002.txt:1: class id 7 is not one of the 3 classes"* ]]
    echo "0 0.5 1.2 0.2 0.2" > shapes/train/00002.txt
    run "$DLC" train yolo.yaml --out run --force
    [ "$status" -eq 2 ]
    [[ "$output" == *"00002.txt:1: cy = 1.2 is outside 0..1"* ]]
    "$MAKE_SHAPES" shapes --train 12 --dev 4 --test 0
    echo "0 0.5 0.5 0.2 0.2" > shapes/train/stray.txt
    run "$DLC" train yolo.yaml --out run --force
    [ "$status" -eq 2 ]
    [[ "$output" == *"stray.txt: a label file without an image"* ]]
    rm shapes/train/stray.txt
    # the config: a detection key on another loss, anchors out of range, no names
    run "$DLC" train yolo.yaml --out run --force --set model.outputs.0.anchors.0.1=1.5
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'model.outputs.0.anchors.0'"* ]]
    run "$DLC" train yolo.yaml --out run --force --set data.detection.names=
    [ "$status" -eq 2 ]
    [[ "$output" == *"needs the class names"* ]]
    run "$DLC" train yolo.yaml --out run --force --set model.outputs.0.loss=mse
    [ "$status" -eq 2 ]
    [[ "$output" == *"only the detection losses"* ]]
    # the grid's channels must be anchors x (5 + classes)
    run "$DLC" train yolo.yaml --out run --force --set model.layers.5.filters=15
    [ "$status" -eq 2 ]
    [[ "$output" == *"yolo needs anchors x (5 + classes) channels"* ]]
    # detection data as one of data.sources: refused by the config, naming the key
    sed -i 's|^  train: {dir: shapes/train}|  sources: [{name: a, train: {dir: shapes/train}}]|; /dev: {dir/d' yolo.yaml
    run "$DLC" train yolo.yaml --out run --force
    [ "$status" -eq 2 ]
    [[ "$output" == *"yolo.yaml:"*"key 'data.sources.0.format': detection data cannot be one of data.sources"* ]]
    [[ "$output" != *"(null)"* ]]
}

@test "labelImg's classes.txt among the label files is its class list, not a label file; a stray one is still refused" {
    "$MAKE_SHAPES" shapes --train 12 --dev 4 --test 0
    yolo_config
    sed -i '/test: {dir/d' yolo.yaml
    # labelImg writes the class list beside the labels it saves in YOLO format
    printf 'circle\nsquare\ntriangle\n' > shapes/train/classes.txt
    run "$DLC" train yolo.yaml --out run --force --set train.epochs=1
    [ "$status" -eq 0 ]
    [[ "$output" == *"data: train 12,"* ]]
    # any other label file without an image is still an error
    cp shapes/train/classes.txt shapes/train/classes2.txt
    run "$DLC" train yolo.yaml --out run --force --set train.epochs=1
    [ "$status" -eq 2 ]
    [[ "$output" == *"classes2.txt: a label file without an image"* ]]
    rm shapes/train/classes2.txt
    # an image named classes has its label file read as one
    cp shapes/train/00001.png shapes/train/classes.png
    run "$DLC" train yolo.yaml --out run --force --set train.epochs=1
    [ "$status" -eq 2 ]
    [[ "$output" == *"classes.txt:1: field 1 (class): expected a number"* ]]
    # without data.detection.names the error says where such lists are kept
    run "$DLC" train yolo.yaml --out run --force --set data.detection.names=
    [ "$status" -eq 2 ]
    [[ "$output" == *"labelImg's classes.txt"* ]]
}

@test "a label file or names file saved with a byte-order mark (Windows' Notepad) reads as without one" {
    "$MAKE_SHAPES" shapes --train 12 --dev 4 --test 0
    yolo_config
    sed -i '/test: {dir/d' yolo.yaml
    "$DLC" train yolo.yaml --out plain --force --set train.epochs=1 --quiet > /dev/null
    for f in shapes/shapes.names shapes/train/00000.txt shapes/train/00001.txt; do
        { printf '\xef\xbb\xbf'; cat "$f"; } > bom.tmp && mv bom.tmp "$f"
    done
    head -c 3 shapes/shapes.names | od -An -tx1 | grep -q "ef bb bf"
    run "$DLC" train yolo.yaml --out bom --force --set train.epochs=1 --quiet
    [ "$status" -eq 0 ]
    # the same class names and the same objects: the same model, byte for byte
    jq -e '.classes == ["circle", "square", "triangle"]' bom/report.json
    [ "$(grep -c $'\xef\xbb\xbf' bom/report.json)" -eq 0 ]
    cmp plain/model.safetensors bom/model.safetensors
}

@test "predict --windows: a window classifier over every window of a larger image in one pass" {
    "$MAKE_SHAPES" win --mode windows --train 64 --dev 16 --test 0
    "$MAKE_SHAPES" big --mode detect --train 2 --dev 0 --test 0
    [ "$(ls win/train)" = "$(printf 'background\ncircle\nsquare\ntriangle')" ]
    sed -e 's|data/shapes_windows/train|win/train|; s|data/shapes_windows/dev|win/dev|' \
        -e '/data\/shapes_windows\/test/d; s|epochs: 10|epochs: 1|' "$ROOT/configs/shapes_windows.yaml" > w.yaml
    "$DLC" train w.yaml --out run --force --quiet
    # 64 x 64: windows of 24 x 24, 4 pixels apart: 11 x 11
    run "$DLC" predict run big/train/00000.png --windows
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | wc -l)" -eq 121 ]
    echo "$output" | awk '$2 % 4 || $3 % 4 || $2 > 40 || $3 > 40 || $5 < 0.25 || $5 > 1 {exit 1}'
    [[ "$(echo "$output" | tail -1)" == "big/train/00000.png: 40 40 "* ]]
    run "$DLC" predict run big/train/00000.png big/train/00001.png --windows --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.predictions | length == 2'
    echo "$output" | jq -e '.predictions[0].grid == [11, 11] and .predictions[0].stride == [4, 4] and .predictions[0].window == [24, 24]'
    echo "$output" | jq -e '.predictions[1].cells | length == 121'
    # the window itself: one cell, what plain predict says
    f=win/dev/circle/$(ls win/dev/circle | head -1)
    run "$DLC" predict run "$f" --windows
    [ "$(echo "$output" | wc -l)" -eq 1 ]
    [ "$(echo "$output" | awk '{print $4, $5}')" = "$("$DLC" predict run "$f" --top-k 1 | awk '{print $2, $3}')" ]
    # a model that cannot slide: its padding, named
    yolo_config
    "$MAKE_SHAPES" shapes --train 16 --dev 4 --test 0
    sed -i '/test: {dir/d' yolo.yaml
    "$DLC" train yolo.yaml --out yolo --force --quiet
    run "$DLC" predict yolo big/train/00000.png --windows
    [ "$status" -eq 2 ]
    [[ "$output" == *"conv2d_1' pads its input"* ]]
}

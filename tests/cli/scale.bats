#!/usr/bin/env bats
# dlc at the scale of a real dataset: what it says while it loads, and loads
# that must not grow worse than linearly.  The files are generated small
# (a few MB); the bounds on time are ten times generous.
load helpers

# A classifier of the CSV file $1 by its column label.
big_config() {
    cat > "${2:-c.yaml}" <<YAML
name: c
seed: 1
data:
  format: csv
  train: {file: $1}
  label: label
  split: {dev: 0.2}
model:
  layers:
    - {type: dense, units: auto}
train: {epochs: 1, batch_size: 64}
YAML
}

@test "a data file of 64 MB or more is named, with its size, before it is read" {
    # 70 MB whose second row is NUL bytes: refused as soon as the parse
    # reaches it, so the test reads little
    printf 'x,label\n1,a\n' > big.csv
    truncate -s 70M big.csv
    big_config "$TMP/big.csv"
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"reading data: $TMP/big.csv (73 MB)"* ]]
    [[ "$output" == *"NUL byte"* ]]
    # a small file says nothing of it (off a terminal)
    printf 'x,label\n1,a\n2,b\n3,a\n4,b\n5,a\n' > small.csv
    big_config "$TMP/small.csv" s.yaml
    run "$DLC" train s.yaml --out run2
    [ "$status" -eq 0 ]
    [[ "$output" != *"reading data"* ]]
    # --quiet: nothing
    run "$DLC" train c.yaml --out run3 --quiet
    [[ "$output" != *"reading data"* ]]
    # an image folder of 10,000 files or more (empty ones: refused at once)
    mkdir -p imgs/a imgs/b
    (cd imgs/a && touch $(seq -f 'x%05g.png' 1 6000))
    (cd imgs/b && touch $(seq -f 'y%05g.png' 1 4000))
    cat > f.yaml <<YAML
name: f
data:
  format: image_folder
  train: {dir: $TMP/imgs}
model:
  input: [1, 8, 8]
  layers: [{type: flatten}, {type: dense, units: auto}]
YAML
    run "$DLC" train f.yaml --out run4
    [ "$status" -eq 2 ]
    [[ "$output" == *"reading data: $TMP/imgs/ (10000 files or more)"* ]]
    rm imgs/b/y0000*.png
    run "$DLC" train f.yaml --out run4
    [[ "$output" != *"reading data"* ]]
}

@test "data.categorical refuses an id column as soon as it passes the limit, not after reading the whole file" {
    # 1,500 distinct names, then a broken row: the whole-file scan used to
    # stop at the broken row (or, without one, after every row: 30 s on a
    # million rows); the refusal comes at row 1,001, before it
    {
        echo "id,color,x,label"
        for i in $(seq 1 1500); do echo "user$i,c$((i % 5)),$i,l$((i % 2))"; done
        echo "broken"
        echo "user0,c1,1,l0"
    } > ids.csv
    big_config "$TMP/ids.csv"
    run "$DLC" train c.yaml --out run --set data.categorical=auto
    [ "$status" -eq 2 ]
    [[ "$output" == *"column 'id' holds text with more than 1000 distinct values in its first 1001 rows"* ]]
    # a column of 5 values is read to the end (where the broken row is)
    run "$DLC" train c.yaml --out run --set 'data.categorical=[color]' --set 'data.features=[color, x]'
    [ "$status" -eq 2 ]
    [[ "$output" == *"ids.csv:1502: 1 fields, expected 4"* ]]
    # auto keeps no values of a column of numbers; one whose text comes
    # after 1,100 numbers is read again, and refused
    {
        echo "n,label"
        for i in $(seq 1 1100); do echo "$i,l$((i % 2))"; done
        echo "word,l0"
    } > nums.csv
    big_config "$TMP/nums.csv"
    run "$DLC" train c.yaml --out run --set data.categorical=auto
    [ "$status" -eq 2 ]
    [[ "$output" == *"column 'n' holds text with more than 1000 distinct values in its first 1001 rows"* ]]
    # and one with a few text values after its numbers is encoded with every value
    {
        echo "n,x,label"
        for i in $(seq 1 30); do echo "$((i % 3)),$i,l$((i % 2))"; done
        echo "many,31,l0"
    } > mixed.csv
    big_config "$TMP/mixed.csv"
    run "$DLC" train c.yaml --out run --set data.categorical=auto
    [ "$status" -eq 0 ]
    [[ "$output" == *"n (4)"* ]]
}

IMAGES="$ROOT/tests/data/images"   # Fashion-MNIST PNGs: 5 classes, 8 train each

@test "an image folder decoded on several threads keeps its order, its notes and its first bad file" {
    cp -r "$IMAGES/train" imgs
    # two broken files: the first in the folder's order is the one named
    printf '\x89PNG\r\n\x1a\n cut short' > imgs/1-trouser/00003.png
    printf 'GIF89a' > imgs/8-bag/00001.png
    folder_config "$TMP/imgs" f.yaml 0.25
    for t in 1 2 3; do
        run "$DLC" train f.yaml --out run --force --threads $t
        [ "$status" -eq 2 ]
        [[ "$output" == *"imgs/1-trouser/00003.png: PNG image is truncated"* ]]
    done
    "$DLC" train f.yaml --out three --threads 3 --set data.bad_files=skip > three.txt 2>&1
    grep -q "skipped 2 unreadable image files" three.txt
    # the same examples in the same order as the folder without those files:
    # the same run, the same errors sample
    rm imgs/1-trouser/00003.png imgs/8-bag/00001.png
    "$DLC" train f.yaml --out clean --threads 1 > clean.txt 2>&1
    cmp clean/errors/errors.csv three/errors/errors.csv
    [ "$(metrics_no_time clean/metrics.csv)" = "$(metrics_no_time three/metrics.csv)" ]
}

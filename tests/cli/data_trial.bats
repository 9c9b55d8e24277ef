#!/usr/bin/env bats
# A new user's data, as found in the wild: files in another encoding, empty
# classes, headers that are not what dlc expects, rows for predict.  Each test
# makes its files and drives ./dlc on them.
load helpers

IMAGES="$ROOT/tests/data/images"   # Fashion-MNIST PNGs: 5 classes, 8 train / 3 test each

# A small classifier of the CSV file $1 by its column $2.
csv_config() {
    cat > "${3:-c.yaml}" <<YAML
name: c
seed: 1
data:
  format: csv
  train: {file: $1}
  label: $2
  split: {dev: 0.2}
model:
  layers:
    - {type: dense, units: 8, activation: relu}
    - {type: dense, units: auto}
train: {epochs: 2, batch_size: 16}
YAML
}

# A model trained on data/a and data/b, 8 PNGs each, in run/.
two_class_run() {
    mkdir -p data/a data/b
    cp "$IMAGES"/train/0-tshirt_top/*.png data/a/
    cp "$IMAGES"/train/1-trouser/*.png data/b/
    folder_config "$PWD/data"
    "$DLC" train f.yaml --out run --quiet
}

@test "a CSV label or column name that is not UTF-8 is refused when the data loads, naming file, line and column" {
    # Latin-1 bytes: the model file keeps class names as JSON, which is UTF-8;
    # this used to train to the end and then fail writing model.safetensors
    sed 's/,setosa$/,s\xe9tosa/' "$ROOT/data/iris.csv" > latin1.csv
    csv_config latin1.csv species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *'latin1.csv:2: column '"'species'"': label "s\xe9tosa" is not UTF-8 (byte 0xe9); save the file as UTF-8'* ]]
    [[ "$output" != *"epoch"* ]]
    [ ! -e run/model.safetensors ]
    sed '1s/sepal_width/s\xe9pal_width/' "$ROOT/data/iris.csv" > header.csv
    csv_config header.csv species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *'header.csv:1: column name "s\xe9pal_width" is not UTF-8'* ]]
}

@test "an image class folder whose name is not UTF-8 is refused when the data loads" {
    mkdir -p data
    cp -r "$IMAGES/train/0-tshirt_top" data/
    cp -r "$IMAGES/train/1-trouser" "data/$(printf 'pantal\xf3n')"
    folder_config "$PWD/data"
    run "$DLC" train f.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"/data/pantal\\xf3n: the class folder's name is not UTF-8 (byte 0xf3); rename the folder"* ]]
    [ ! -e run/model.safetensors ]
}

@test "--resume of a run killed before its first checkpoint says why it cannot and what to do" {
    # kill -9 in epoch 1 (or while the first checkpoint is written) leaves
    # config.yaml and metrics.csv but no checkpoint.safetensors
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet
    rm run/checkpoint.safetensors run/model.safetensors
    run "$DLC" train iris.yaml --out run --resume
    [ "$status" -eq 2 ]
    [[ "$output" == *"run: no checkpoint to resume from: the run there stopped before its first checkpoint was written; start it again with --force"* ]]
    run "$DLC" train iris.yaml --out elsewhere --resume
    [ "$status" -eq 2 ]
    [[ "$output" == *"elsewhere: no checkpoint to resume from (no such folder)"* ]]
    mkdir empty
    run "$DLC" train iris.yaml --out empty --resume
    [ "$status" -eq 2 ]
    [[ "$output" == *"empty: no checkpoint to resume from (no run was trained into it)"* ]]
}

@test "a class with no training example (an empty class folder) is warned about, not passed over" {
    mkdir -p data/empty
    cp -r "$IMAGES/train/0-tshirt_top" "$IMAGES/train/1-trouser" data/
    folder_config "$PWD/data"
    run "$DLC" train f.yaml --out run --quiet
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: 1 of 3 classes has no example in the train split: 'empty' (an empty class folder?)"* ]]
    rmdir data/empty
    run "$DLC" train f.yaml --out run --force
    [ "$status" -eq 0 ]
    [[ "$output" != *"no example in the train split"* ]]
}

@test "a CSV file with another separator or without a header line is told apart from a missing column" {
    # Excel in many locales writes ';' between columns (and decimal commas)
    # (read as such when the first row has as many; here it has one more)
    tr ',' ';' < "$ROOT/data/iris.csv" | sed '2s/$/;/' > semi.csv
    csv_config semi.csv species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"semi.csv: label column 'species' is not in the header (the header is one column, \"sepal_length;sepal_width;petal_length;petal_width;species\": this file looks separated by ';' (data.separator: ',' ';' tab '|' or whitespace says which))"* ]]
    # spaces in a header whose next line does not split into as many fields
    printf 'Chins Situps Jumps\n5 162 60 7\n2 110 60 7\n' > spaces.csv
    csv_config spaces.csv Jumps
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"looks separated by spaces (data.separator: ',' ';' tab '|' or whitespace says which)"* ]]
    # no header line: the first row is read as one
    tail -n +2 "$ROOT/data/iris.csv" > noheader.csv
    csv_config noheader.csv species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"noheader.csv: label column 'species' is not in the header (its first line looks like data, not a header: 4 of its 5 fields are numbers; the file needs a header line naming its columns)"* ]]
    # a comma at the end of every line (some exports write one)
    sed 's/$/,/' "$ROOT/data/iris.csv" > trailing_comma.csv
    csv_config trailing_comma.csv species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"trailing_comma.csv:1: header column 6 has no name (a comma at the end of the line?)"* ]]
    # decimal commas in a tab-separated file (a spreadsheet's export in many locales)
    tr ',.' '\t,' < "$ROOT/data/iris.csv" > commas.tsv
    csv_config commas.tsv species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *'commas.tsv:2: column '"'sepal_length'"': expected a number, got "5,1" (a decimal comma? dlc reads numbers with a point; data.decimal: '"','"' reads decimal commas in a file separated by '"';'"' or tabs)'* ]]
    # a real header whose column is missing gets no such guess
    csv_config "$ROOT/data/iris.csv" specie
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"label column 'specie' is not in the header (did you mean 'species'?)"* ]]
}

@test "CSV: lines of blanks at the end are blank lines; a column of names says how to leave it out" {
    { cat "$ROOT/data/iris.csv"; printf '   \n\t\n'; } > trailing.csv
    csv_config trailing.csv species
    run "$DLC" train c.yaml --out run --quiet
    [ "$status" -eq 0 ]
    [[ "$output" == *"train "*"120"* ]]
    # an id column of strings: every non-label column is a feature
    awk -F, 'NR == 1 { print "id," $0; next } { print "x" NR "," $0 }' "$ROOT/data/iris.csv" > ids.csv
    csv_config ids.csv species
    run "$DLC" train c.yaml --out run --force
    [ "$status" -eq 2 ]
    [[ "$output" == *'ids.csv:2: column '"'id'"': expected a number, got "x2" (every column that is not a label is a feature, and features are numbers: list the feature columns in data.features to leave this one out, or list it in data.categorical to one-hot encode it)'* ]]
    sed -i 's/  label: species/  label: species\n  features: [sepal_length, sepal_width, petal_length, petal_width]/' c.yaml
    run "$DLC" train c.yaml --out run --force --quiet
    [ "$status" -eq 0 ]
    # a missing value names its column and says dlc does not fill it in
    sed '5s/^[^,]*,/x5,,/' ids.csv > missing.csv
    csv_config missing.csv species
    sed -i 's/  label: species/  label: species\n  features: [sepal_length, sepal_width, petal_length, petal_width]/' c.yaml
    run "$DLC" train c.yaml --out run --force
    [ "$status" -eq 2 ]
    [[ "$output" == *"missing.csv:5: column 'sepal_length': empty value (a missing value: fill it in, or set data.missing: mean to fill it with the column's mean, or drop to leave the row out)"* ]]
}

@test "predict on CSV rows names the columns it lacks, all of the model's, and a missing value's column" {
    csv_config "$ROOT/data/iris.csv" species
    "$DLC" train c.yaml --out run --quiet
    printf 'sepal_length,petal_length\n5.1,1.4\n' > two.csv
    run "$DLC" predict run two.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"two.csv: the header lacks 2 of the model's 4 feature columns, the first 'sepal_width' (it reads sepal_length, sepal_width, petal_length, petal_width)"* ]]
    tail -n +2 "$ROOT/data/iris.csv" > noheader.csv
    run "$DLC" predict run noheader.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"(its first line looks like data, not a header"* ]]
    printf 'petal_width,petal_length,sepal_width,sepal_length\n0.2,1.4,,5.1\n' > gap.csv
    run "$DLC" predict run gap.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"gap.csv:2: column 'sepal_width': empty value (a missing value: the model needs every feature)"* ]]
    # the columns in another order, an extra one: read by name
    printf 'petal_width,petal_length,note,sepal_width,sepal_length\n0.2,1.4,"a, b",3.5,5.1\n' > other.csv
    run "$DLC" predict run other.csv --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.predictions[0].top[0].class == "setosa"'
    # a file of rows whatever its name: Windows' ROWS.CSV, a .txt, none
    cp other.csv ROWS.CSV
    cp other.csv rows.txt
    cp other.csv rows
    run "$DLC" predict run ROWS.CSV rows.txt rows
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" == "ROWS.CSV:2: setosa "* ]]
    [[ "${lines[2]}" == "rows:2: setosa "* ]]
    # an image for a model of rows
    run "$DLC" predict run "$IMAGES/other/sneaker_rgb_56.png"
    [ "$status" -eq 2 ]
    [[ "$output" == *"the model takes examples of shape (4), not images"* ]]
}

@test "WebP and TIFF files are named as such, in predict and in a training folder, never passed over" {
    two_class_run
    # the first bytes of a WebP (RIFF container) and of a little-endian TIFF
    printf 'RIFF\x24\x00\x00\x00WEBPVP8L\x18\x00\x00\x00\x2f\x00\x00\x00' > photo.webp
    printf 'II*\x00\x08\x00\x00\x00\x00\x00' > scan.tif
    run "$DLC" predict run photo.webp
    [ "$status" -eq 2 ]
    [[ "$output" == *"photo.webp: a WebP image; dlc reads PNG, JPEG, BMP and GIF images"* ]]
    run "$DLC" predict run scan.tif
    [ "$status" -eq 2 ]
    [[ "$output" == *"scan.tif: a TIFF image; dlc reads PNG"* ]]
    # in a class folder: listed and refused, not ignored for its extension
    cp photo.webp data/b/
    run "$DLC" train f.yaml --out run --force
    [ "$status" -eq 2 ]
    [[ "$output" == *"/data/b/photo.webp: a WebP image; dlc reads PNG, JPEG, BMP and GIF images (by their content, whatever the name) (set data.bad_files: skip to skip unreadable files)"* ]]
    run "$DLC" train f.yaml --out run --force --set data.bad_files=skip
    [ "$status" -eq 0 ]
    [[ "$output" == *"skipped "*"/data/b/photo.webp: a WebP image"* ]]
}

@test "predict on a folder of class folders says its subfolders are not read" {
    two_class_run
    run "$DLC" predict run data
    [ "$status" -eq 2 ]
    [[ "$output" == *"data: the folder has no image files; it has 2 subfolders, which are not read (give the files, or the subfolders, instead)"* ]]
    run "$DLC" predict run data/a data/b
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 16 ]
}

@test "eval scores a run on another data file with --set; only data and report keys" {
    csv_config "$ROOT/data/iris.csv" species
    "$DLC" train c.yaml --out run --quiet
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" == *"run has no test split (it has: --split train, --split dev; or score data of your own as the test split: --set data.test.file=FILE)"* ]]
    run "$DLC" eval run --split train_dev
    [ "$status" -eq 2 ]
    [[ "$output" == *"run has no train_dev split (it has: --split train, --split dev; or"* ]]
    # new flowers, columns in another order: read by name, labels by the model's classes
    awk -F, 'BEGIN { OFS = "," } NR % 3 == 1 { print $5, $4, $3, $2, $1 }' "$ROOT/data/iris.csv" > new.csv
    run "$DLC" eval run --set data.test.file="$PWD/new.csv" --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.split == "test" and .examples == 50 and .accuracy != null'
    run "$DLC" eval run --set model.layers.0.units=3
    [ "$status" -eq 2 ]
    [[ "$output" == *"--set model.layers.0.units=3: eval takes data.* and report.* keys"* ]]
    sed 's/setosa/rosa/' new.csv > other.csv
    run "$DLC" eval run --set data.test.file="$PWD/other.csv"
    [ "$status" -eq 2 ]
    [[ "$output" == *"other.csv:2: column 'species': label \"rosa\" is not one of the 3 classes"* ]]
    "$DLC" eval run --set data.test.file="$PWD/other.csv" --unknown-labels skip --json > out.json 2> err.txt
    jq -e '.examples < 50' out.json
    grep -q "skipped [0-9]* examples whose label the model was not trained on" err.txt
}

@test "predict --json stays valid JSON for file names that are not UTF-8, with quotes or tabs" {
    two_class_run
    mkdir in
    for name in "$(printf 'caf\xe9.png')" "$(printf 'tab\there.png')" 'quo"te\back.png'; do
        cp "$(ls "$IMAGES"/test/1-trouser/*.png | head -1)" "in/$name"
    done
    "$DLC" predict run in --json > out.json
    # JSON text is UTF-8 (jq would quietly replace a bad byte: iconv checks)
    iconv -f UTF-8 -t UTF-8 out.json > /dev/null
    jq -e '.predictions | length == 3' out.json
    jq -e '[.predictions[].file] == ["in/caf\ufffd.png", "in/quo\"te\\back.png", "in/tab\there.png"]' out.json
}

@test "images of other sizes and channels in a training folder: the note says how many were converted, to what" {
    mkdir -p data/a data/b
    cp "$IMAGES"/train/0-tshirt_top/*.png data/a/
    cp "$IMAGES"/train/1-trouser/*.png data/b/
    cp "$IMAGES/other/sneaker_rgb_56.jpg" data/b/z.jpg   # RGB, 56 x 56, last in name order
    folder_config "$PWD/data"
    sed -i '/  input: \[1, 28, 28\]/d' f.yaml
    run "$DLC" train f.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"input (1, 28, 28)"* ]]
    [[ "$output" == *"note: 1 of 17 images resized to 28 x 28, 1 converted to gray: the input's shape (the first image's: set model.input to choose another)"* ]]
    run "$DLC" train f.yaml --out run --force --set 'model.input=[3, 56, 56]'
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: 16 of 17 images resized to 56 x 56, 16 converted to RGB: the input's shape"* ]]
    [[ "$output" != *"the first image's"* ]]
    rm data/b/z.jpg
    run "$DLC" train f.yaml --out run --force
    [ "$status" -eq 0 ]
    [[ "$output" != *"images resized"* ]]
}

@test "CSV labels that are numbers, not all whole, read as classes are warned about (a value to predict?)" {
    # petal width as the label: 22 different widths, e.g. 0.2 and 1.3
    cut -d, -f1-4 "$ROOT/data/iris.csv" > widths.csv
    csv_config widths.csv petal_width
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: the labels are 22 different numbers, not all whole ('0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '1.0', '1.1', ...), each read as a class: a value to predict? then use loss: mse"* ]]
    # the same as a regression: no warning
    sed -i 's/units: auto}/units: 1}\nloss: mse/' c.yaml
    run "$DLC" train c.yaml --out run --force
    [ "$status" -eq 0 ]
    [[ "$output" != *"each read as a class"* ]]
    # class names that are small whole numbers are classes
    awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } { $5 = ($5 == "setosa") ? 0 : ($5 == "versicolor") ? 1 : 2; print }' "$ROOT/data/iris.csv" > ids.csv
    csv_config ids.csv species
    run "$DLC" train c.yaml --out run --force
    [ "$status" -eq 0 ]
    [[ "$output" != *"warning"* ]]
}

@test "a UTF-16 CSV (Excel's Unicode text) says so, in train and predict" {
    iconv -f UTF-8 -t UTF-16 "$ROOT/data/iris.csv" > u16.csv
    csv_config u16.csv species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"u16.csv: the file is UTF-16 text; dlc reads UTF-8 (save it as CSV UTF-8, or convert it: iconv -f UTF-16 -t UTF-8)"* ]]
    csv_config "$ROOT/data/iris.csv" species
    "$DLC" train c.yaml --out run --quiet
    run "$DLC" predict run u16.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"u16.csv: the file is UTF-16 text"* ]]
}

@test "IDX images and labels given the wrong way round: the message says they may be swapped" {
    cat > i.yaml <<YAML
name: i
data:
  format: idx
  train: {images: $FMNIST/t10k-labels-idx1-ubyte.gz, labels: $FMNIST/t10k-images-idx3-ubyte.gz}
model:
  layers: [{type: flatten}, {type: dense, units: auto}]
YAML
    run "$DLC" train i.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"t10k-labels-idx1-ubyte.gz: IDX images have 1 dimension, expected 2 to 4 (is it the other file? data.*.images and labels may be swapped)"* ]]
    sed -i "s#images: [^,]*,#images: $FMNIST/t10k-images-idx3-ubyte.gz,#" i.yaml
    run "$DLC" train i.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"t10k-images-idx3-ubyte.gz: IDX labels have 3 dimensions, expected 1 (is it the other file?"* ]]
}

@test "image files beside the class folders are warned about: they are in no class" {
    mkdir -p data/a data/b
    cp "$IMAGES"/train/0-tshirt_top/*.png data/a/
    cp "$IMAGES"/train/1-trouser/*.png data/b/
    cp "$IMAGES/other/sneaker_rgb_56.png" "$IMAGES/other/sneaker_rgb_56.jpg" data/
    printf 'notes\n' > data/README.txt
    folder_config "$PWD/data"
    run "$DLC" train f.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: $PWD/data: 2 image files beside the class folders, in no class, are not read"* ]]
    [[ "$output" == *"train 13, train-dev 0, dev 3"* ]]
}

@test "--resume on data that changed since the checkpoint warns that the run will not end as an uninterrupted one" {
    cp "$ROOT/data/iris.csv" iris.csv
    iris_config iris.yaml 4
    sed -i "s#file: .*}#file: $PWD/iris.csv}#" iris.yaml
    "$DLC" train iris.yaml --out run --quiet --set train.epochs=2
    run "$DLC" train iris.yaml --out run --resume --set train.epochs=3
    [ "$status" -eq 0 ]
    [[ "$output" != *"the data differ"* ]]
    # a corrected label, as a person fixing their data would
    sed -i '2s/setosa/versicolor/' iris.csv
    run "$DLC" train iris.yaml --out run --resume
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: the data differ from those the checkpoint was trained on (a file was changed since); training goes on with the data as they are now, so the run will not end as an uninterrupted one would"* ]]
    [[ "$output" == *"resuming after epoch 3"* ]]
}

@test "class names in other scripts: the per-class table stays UTF-8 and its columns line up" {
    mkdir -p data
    cp -r "$IMAGES/train/0-tshirt_top" "data/中文类别名称很长的类别名字"
    cp -r "$IMAGES/train/1-trouser" "data/trousér"
    cp -r "$IMAGES/train/7-sneaker" "data/sneaker 👟"
    folder_config "$PWD/data"
    "$DLC" train f.yaml --out run --quiet > out.txt
    # a long name used to be cut at byte 20, inside a character
    iconv -f UTF-8 -t UTF-8 out.txt > /dev/null
    grep -q '^中文类别名称很长的类 ' out.txt
    # the figures start in column 22 whatever the name's script: a wide
    # character takes two columns, so fewer characters come before them
    width() { grep "^$1" out.txt | head -1 | sed 's/[0-9].*//' | LC_ALL=C.UTF-8 wc -m; }
    [ "$(width macro)" -eq 26 ]       # 20 columns, a space, the first figure's padding, line end
    [ "$(width trous)" -eq 26 ]
    [ "$(width 中文)" -eq 16 ]        # 10 wide characters fill the 20 columns
    [ "$(width sneaker)" -eq 25 ]     # the emoji is one character of two columns
}

@test "predict --values: a byte-order mark is skipped; a bad value is quoted, ';' between values is named" {
    csv_config "$ROOT/data/iris.csv" species
    "$DLC" train c.yaml --out run --quiet
    printf '\xef\xbb\xbf5.1,3.5,1.4,0.2\r\n' > bom.txt
    run "$DLC" predict run --values bom.txt
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    printf '5.1;3.5;1.4;0.2\n' > semi.txt
    run "$DLC" predict run --values semi.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *'semi.txt:1: value 2, ";3.5;1.4;0.2", is not a finite number (values are separated by spaces or commas)'* ]]
    printf '5.1 3.5\n5.1 n/a 1.4 0.2\n' > na.txt
    run "$DLC" predict run --values na.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *'na.txt:1: expected 4 values (the model'* ]]
    printf '5.1 n/a 1.4 0.2\n' > na.txt
    run "$DLC" predict run --values na.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *'na.txt:1: value 2, "n/a", is not a finite number'* ]]
}

@test "eval of a run whose data moved names the key and how to give the new place" {
    cp "$ROOT/data/iris.csv" flowers.csv
    csv_config "$PWD/flowers.csv" species
    sed -i 's/split: {dev: 0.2}/split: {dev: 0.2, test: 0.2}/' c.yaml
    "$DLC" train c.yaml --out run --quiet
    mkdir moved
    mv flowers.csv moved/
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" == *"run: its data.train.file, $PWD/flowers.csv, is not there (moved or renamed?); give its place now with --set data.train.file=PATH"* ]]
    run "$DLC" eval run --set data.train.file=moved/flowers.csv --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.examples == 30'
}

@test "CSV labels that are mostly different from row to row (an id column as data.label) are warned about" {
    awk -F, 'BEGIN { OFS = "," } NR == 1 { print "name", $1, $2, $3, $4; next } { print "flower" NR, $1, $2, $3, $4 }' "$ROOT/data/iris.csv" > named.csv
    csv_config named.csv name
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: 150 classes for 150 rows: most labels occur once, and a class seen once is hardly learned; is data.label the column of classes (not an id or a name)?"* ]]
    csv_config "$ROOT/data/iris.csv" species
    run "$DLC" train c.yaml --out run --force
    [[ "$output" != *"most labels occur once"* ]]
}

@test "predict and eval on a run stopped before it ended say how to finish it" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet
    rm run/model.safetensors   # as a run killed after its first checkpoint leaves it
    for cmd in "predict run $ROOT/data/iris.csv" "eval run" "verify run --embed $ROOT/data/iris.csv"; do
        run "$DLC" $cmd
        [ "$status" -eq 2 ]
        [[ "$output" == *"run/model.safetensors: no model yet: the run was stopped before it ended (its checkpoint, run/checkpoint.safetensors, is there); finish it with: dlc train CONFIG --out run --resume"* ]]
    done
    rm run/checkpoint.safetensors
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" == *"run/model.safetensors: cannot open: No such file or directory"* ]]
}

@test "data of one class only: the message says so, not that the output layer is too small" {
    { head -1 "$ROOT/data/iris.csv"; grep setosa "$ROOT/data/iris.csv"; } > setosa.csv
    csv_config setosa.csv species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"setosa.csv: the labels hold one class only, 'setosa': a classifier needs two or more"* ]]
    mkdir -p data
    cp -r "$IMAGES/train/8-bag" data/
    folder_config "$PWD/data"
    run "$DLC" train f.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"/data: the labels hold one class only, '8-bag': a classifier needs two or more"* ]]
}

@test "analyze reads a tag sheet a spreadsheet saved with ';' between fields, a byte-order mark and CRLF" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet
    [ "$(wc -l < run/errors/errors.csv)" -ge 2 ]
    # Excel in many locales: ';' between fields, CRLF, a BOM; the first error tagged mislabeled
    { printf '\xef\xbb\xbf'; sed 's/,/;/g; s/$/\r/' run/errors/errors.csv; } > tagged.csv
    sed -i '2s/;;;\r$/;;x;\r/' tagged.csv   # id;true;predicted;confidence;image;mislabeled;tags
    run "$DLC" analyze run --tags tagged.csv --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.tags[] | select(.tag == "mislabeled") | .count == 1'
}

@test "a test file with the train file's columns in another order is read by name, in train and in eval" {
    # the same flowers with their columns reversed, and one extra column
    awk -F, 'BEGIN { OFS = "," } NR == 1 { print "note", $5, $4, $3, $2, $1; next } { print "x", $5, $4, $3, $2, $1 }' \
        "$ROOT/data/iris.csv" > reversed.csv
    csv_config "$ROOT/data/iris.csv" species
    sed -i "s#  split: {dev: 0.2}#  test: {file: $ROOT/data/iris.csv}\n  split: {dev: 0.2}#" c.yaml
    "$DLC" train c.yaml --out same --quiet
    sed -i "s#test: {file: [^}]*}#test: {file: $PWD/reversed.csv}#" c.yaml
    "$DLC" train c.yaml --out reversed --quiet
    # read by position, the reversed file scored about a third
    a=$(jq '.metrics.test.accuracy' same/report.json)
    b=$(jq '.metrics.test.accuracy' reversed/report.json)
    [ "$a" = "$b" ]
    run "$DLC" eval same --set data.test.file="$PWD/reversed.csv" --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e ".accuracy == $a"
    # eval reads by the model's column names: even a train file rewritten in another order
    cp "$ROOT/data/iris.csv" flowers.csv
    csv_config "$PWD/flowers.csv" species
    "$DLC" train c.yaml --out flowers --quiet
    d=$(jq '.metrics.dev.accuracy' flowers/report.json)
    cp reversed.csv flowers.csv
    run "$DLC" eval flowers --split dev --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e ".accuracy == $d"
    # a test file without one of the columns names it
    cut -d, -f1-5 reversed.csv > short.csv
    run "$DLC" eval same --set data.test.file="$PWD/short.csv"
    [ "$status" -eq 2 ]
    [[ "$output" == *"short.csv: feature column 'sepal_length' is not in the header"* ]]
}

@test "a test folder with a class the train folder lacks lists the classes there are" {
    mkdir -p data/a data/b test
    cp "$IMAGES"/train/0-tshirt_top/*.png data/a/
    cp "$IMAGES"/train/1-trouser/*.png data/b/
    cp -r data/a test/a
    cp -r data/b test/c
    folder_config "$PWD/data"
    sed -i "s#  split: {dev: 0.2}#  test: {dir: $PWD/test}\n  split: {dev: 0.2}#" f.yaml
    run "$DLC" train f.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"/test/c: class 'c' is not one of the model's 2 classes (the train folder's): 'a', 'b'"* ]]
}

@test "a CSV limit draws its rows from the whole file: a file sorted by class keeps every class" {
    {
        echo "x,y,kind"
        for c in 0 1 2; do for i in $(seq 1 50); do echo "$((c * 3)).$i,$((i % 7)),class$c"; done; done
    } > sorted.csv
    csv_config "$PWD/sorted.csv" kind
    sed -i 's#  train: {file: \([^}]*\)}#  train: {file: \1, limit: 40}#' c.yaml
    grep -q "limit: 40" c.yaml
    # the first 40 rows were one class: "the labels hold one class only"
    run "$DLC" train c.yaml --out drawn
    [ "$status" -eq 0 ]
    [[ "$output" == *"data: train 32, train-dev 0, dev 8, test 0 examples; input (2), 3 classes"* ]]
    [[ "$output" != *"warning"* ]]
    jq -e '.metrics.train.per_class | map(.support > 0) | all' drawn/report.json
    # the same seed draws the same rows
    "$DLC" train c.yaml --out again --quiet
    [ "$(jq -c .splits drawn/report.json)" = "$(jq -c .splits again/report.json)" ]
    # a limit too small for every class: the classes stay the file's, and the ones left out are named
    run "$DLC" train c.yaml --out tiny --set data.train.limit=2 --set data.split.dev=0
    [ "$status" -eq 0 ]
    [[ "$output" == *"3 classes"* ]]
    [[ "$output" == *"warning: 1 of 3 classes has no example in the train split: 'class"*"' (data.train.limit drew 2 of the file's 150 rows: too few?)"* ]]
}

@test "what dlc train says of the data is kept in report.json and report.html" {
    mkdir -p data/empty
    cp -r "$IMAGES/train/0-tshirt_top" "$IMAGES/train/1-trouser" data/
    cp "$IMAGES/train/0-tshirt_top/$(ls "$IMAGES/train/0-tshirt_top" | head -1)" data/stray.png
    printf 'not an image' > data/1-trouser/broken.png
    folder_config "$PWD/data"
    sed -i 's#  split: {dev: 0.2}#  split: {dev: 0.2}\n  bad_files: skip#' f.yaml
    run "$DLC" train f.yaml --out run --quiet
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: 1 of 3 classes has no example in the train split: 'empty'"* ]]
    jq -e '.data_notes | length == 3' run/report.json
    jq -e '.data_notes | map(.kind) | all(. == "warning")' run/report.json
    jq -e '.data_notes[] | select(.message | startswith("1 of 3 classes has no example in the train split: '"'"'empty'"'"'"))' run/report.json
    jq -e '.data_notes[] | select(.message | contains("1 image file beside the class folders"))' run/report.json
    jq -e '.data_notes[] | select(.message | startswith("skipped 1 unreadable file (data.bad_files: skip): ") and contains("broken.png"))' run/report.json
    grep -q '<ul id="data-notes"><li class="bad">Warning: ' run/report.html
    grep -q "no example in the train split: &#39;empty&#39;" run/report.html
    # data that draws no remark: an empty list, and no list on the page
    rm -r data/empty data/stray.png data/1-trouser/broken.png
    "$DLC" train f.yaml --out clean --quiet
    jq -e '.data_notes == []' clean/report.json
    ! grep -q 'data-notes' clean/report.html || false
}

@test "an image folder's class folders are read with their subfolders, as torchvision and Keras read them" {
    mkdir -p data/a/2024/june data/b
    cp "$IMAGES"/train/0-tshirt_top/*.png data/a/2024/june/
    cp "$IMAGES"/train/1-trouser/*.png data/b/
    # a link to a folder is not followed (a loop): os.walk's default
    ln -s .. data/b/loop
    folder_config "$PWD/data"
    run "$DLC" train f.yaml --out run
    [ "$status" -eq 0 ]
    # read as an empty class folder, 'a' got a warning and no example
    [[ "$output" == *"data: train 13, train-dev 0, dev 3, test 0 examples; input (1, 28, 28), 2 classes"* ]]
    [[ "$output" != *"no example in the train split"* ]]
    # a folder wrapped once more (as an archive unpacks): its one class is named, with its folders
    mkdir wrap && mv data wrap/train
    folder_config "$PWD/wrap" wrapped.yaml
    run "$DLC" train wrapped.yaml --out wrapped
    [ "$status" -eq 2 ]
    [[ "$output" == *"wrap: the labels hold one class only, 'train': a classifier needs two or more (its only class folder, 'train', holds folders 'a', 'b': are they the classes? then give data.train.dir: $PWD/wrap/train)"* ]]
}

@test "a number with thousands separators is told apart from a decimal comma" {
    # pandas reads these as text unless told thousands=','; dlc names what it saw
    check() {
        printf 'price,size,label\n%s,3,a\n4,4,b\n' "$1" > th.csv
        csv_config "$PWD/th.csv" label
        run "$DLC" train c.yaml --out run
        [ "$status" -eq 2 ]
        [[ "$output" == *"th.csv:2: column 'price': expected a number, got "*"$2"* ]]
    }
    check '"1,234"' '(a thousands separator, or a decimal comma? dlc reads numbers as 1234.5: no thousands separators, a point before decimals; data.decimal: '"','"' reads decimal commas in a file separated by '"';'"' or tabs)'
    check '"1,234,567.5"' '(thousands separators? dlc reads numbers as 1234.5: no thousands separators)'
    check '1.234.567' '(thousands separators? dlc reads numbers as 1234.5: no thousands separators)'
    check '"1.234,5"' "(a decimal comma, with '.' between thousands? dlc reads numbers as 1234.5)"
    check '1 234' '(thousands separators? dlc reads numbers as 1234.5'
    check "1'234" '(thousands separators? dlc reads numbers as 1234.5'
    check "1$(printf '\xc2\xa0')234" '(thousands separators? dlc reads numbers as 1234.5'
    check '"12,5"' '(a decimal comma? dlc reads numbers with a point; data.decimal: '"','"' reads decimal commas in a file separated by '"';'"' or tabs)'
    check '"1234,5"' '(a decimal comma? dlc reads numbers with a point; data.decimal: '"','"' reads decimal commas in a file separated by '"';'"' or tabs)'
}

@test "class labels that are numbers match by value: 1 and 1.0 are one class, in a file and across files" {
    # iris with its classes numbered, and a test file another tool wrote with floats
    awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } { $5 = ($5 == "setosa" ? 0 : $5 == "versicolor" ? 1 : 2); print }' \
        "$ROOT/data/iris.csv" > numbered.csv
    awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } { $5 = $5 ".0"; print }' numbered.csv > floats.csv
    # half the train file's labels written as floats: 3 classes, not 6
    awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 2 == 0 { $5 = $5 ".0" } { print }' numbered.csv > mixed.csv
    csv_config "$PWD/mixed.csv" species
    sed -i "s#  split: {dev: 0.2}#  test: {file: $PWD/floats.csv}\n  split: {dev: 0.2}#" c.yaml
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *", 3 classes"* ]]
    jq -e '.classes | length == 3' run/report.json
    [ "$(jq .splits.test.examples run/report.json)" -eq 150 ]
    run "$DLC" eval run --set data.test.file="$PWD/floats.csv" --json
    [ "$status" -eq 0 ]
}

@test "a missing value written as NaN, NA or null, and an infinite one, are named as such" {
    check() {
        printf 'price,size,label\n4,4,b\n%s,3,a\n' "$1" > m.csv
        csv_config "$PWD/m.csv" label
        run "$DLC" train c.yaml --out run
        [ "$status" -eq 2 ]
        [[ "$output" == *"m.csv:3: column 'price': expected a number, got \"$1\" $2"* ]]
    }
    for v in NaN nan NA 'N/A' null None '#N/A' '?'; do
        check "$v" "(a missing value: fill it in; in training, data.missing: mean fills it with the column's mean, drop leaves the row out)"
    done
    for v in inf -Infinity 1e400 1e39; do
        check "$v" "(infinite, or beyond float32's range: dlc reads finite numbers)"
    done
    # predict's rows are read with the same words
    csv_config "$ROOT/data/iris.csv" species
    "$DLC" train c.yaml --out iris --quiet
    printf 'sepal_length,sepal_width,petal_length,petal_width\n5.1,NaN,1.4,0.2\n' > rows.csv
    run "$DLC" predict iris rows.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"rows.csv:2: column 'sepal_width': expected a number, got \"NaN\" (a missing value"* ]]
}

@test "a CSV that pandas wrote with its index: the unnamed first column is left out and said; a row-number column is warned of" {
    # df.to_csv("x.csv") writes the index first, under no name
    awk -F, 'NR == 1 { print "," $0; next } { print NR - 2 "," $0 }' "$ROOT/data/iris.csv" > indexed.csv
    csv_config "$PWD/indexed.csv" species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"input (4), 3 classes"* ]]
    [[ "$output" == *"note: $PWD/indexed.csv: the first column has no name, as pandas' to_csv writes its index (index=False leaves it out): named 'Unnamed: 0', as read_csv names it, and not read (list it in data.features to read it)"* ]]
    jq -e '.data_notes[0].kind == "note"' run/report.json
    # the same rows without the index train the same model
    csv_config "$ROOT/data/iris.csv" species
    "$DLC" train c.yaml --out plain --quiet
    [ "$(jq -c .splits run/report.json)" = "$(jq -c .splits plain/report.json)" ]
    # named by read_csv's name, it is read
    csv_config "$PWD/indexed.csv" species
    sed -i 's#  label: species#  label: species\n  features: ["Unnamed: 0", sepal_length]#' c.yaml
    run "$DLC" train c.yaml --out named
    [ "$status" -eq 0 ]
    [[ "$output" == *"input (2), 3 classes"* ]]
    # an id column that counts the rows is read, with a warning
    sed '1s/^,/id,/' indexed.csv > ids.csv
    csv_config "$PWD/ids.csv" species
    run "$DLC" train c.yaml --out ids
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: feature column 'id' counts the rows (0, 1, 2, ...): a row number or an id, which tells the model only where a row sits in the file; leave it out with data.exclude: ['id'] (or list the feature columns in data.features)"* ]]
    # a Kaggle file's id counts on from any number (Titanic's test.csv starts
    # at 892), before the label and with a BOM, CRLF and quoted text
    awk 'NR == 1 { printf "\xef\xbb\xbfPassengerId,species,sl,name\r\n"; next }
         { split($0, f, ","); printf "%d,%s,%s,\"Doe, J%d\"\r\n", 890 + NR, f[6], f[2], NR }' indexed.csv > kaggle.csv
    csv_config "$PWD/kaggle.csv" species
    run "$DLC" train c.yaml --out kaggle --set data.exclude=[name]
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: feature column 'PassengerId' counts the rows (892, 893, 894, ...): a row number or an id, which tells the model only where a row sits in the file; leave it out with data.exclude: ['PassengerId']"* ]]
    run "$DLC" train c.yaml --out kaggle2 --set data.exclude=[name,PassengerId]
    [ "$status" -eq 0 ]
    [[ "$output" != *"counts the rows"* ]]
    [[ "$output" == *"input (1), 3 classes"* ]]
    # a short file's column that happens to run 5, 6, 7 is not named
    printf 'x,y\n5,a\n6,b\n7,a\n8,b\n9,a\n' > short.csv
    csv_config "$PWD/short.csv" y
    run "$DLC" train c.yaml --out short
    [ "$status" -eq 0 ]
    [[ "$output" != *"counts the rows"* ]]
    # an empty name elsewhere is still an error
    sed '1s/sepal_width/ /' "$ROOT/data/iris.csv" > blank.csv
    csv_config "$PWD/blank.csv" species
    run "$DLC" train c.yaml --out blank
    [ "$status" -eq 2 ]
    [[ "$output" == *"blank.csv:1: header column 2 has no name"* ]]
}

@test "a .tsv file is tab-separated even when a column's name holds a comma; its quotes read as pandas and plain writers mean them" {
    printf 'name\tprice, usd\tlabel\n"The ""big"" one"\t1\ta\n12" screen\t2\tb\n"Hello" she said\t1\ta\n"draft\t2\tb\n' > items.tsv
    csv_config "$PWD/items.tsv" label
    sed -i 's#  label: label#  label: label\n  features: ["price, usd"]#' c.yaml
    sed -i 's#  split: {dev: 0.2}#  split: {dev: 0}#' c.yaml
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"data: train 4, train-dev 0, dev 0, test 0 examples; input (1), 2 classes"* ]]
    # the text column as the label: each field read whole
    sed -i 's#  label: label#  label: name#; s#  features: \["price, usd"\]#  features: ["price, usd"]#' c.yaml
    run "$DLC" train c.yaml --out names
    [ "$status" -eq 0 ]
    jq -e '.classes | sort == (["The \"big\" one", "12\" screen", "\"Hello\" she said", "\"draft"] | sort)' names/report.json
}

@test "a regression target written NaN is named a missing value, with the key that leaves it out of the loss" {
    printf 'x,y\n1,2.5\n2,NaN\n3,4\n4,5\n' > r.csv
    csv_config "$PWD/r.csv" y
    sed -i 's#    - {type: dense, units: auto}#    - {type: dense, units: 1}\nloss: mse#; s#  split: {dev: 0.2}#  split: {dev: 0}#' c.yaml
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"r.csv:3: column 'y': expected a number, got \"NaN\" (a missing value? list it in data.unknown_label to leave the row out of the loss)"* ]]
    run "$DLC" train c.yaml --out run --set 'data.unknown_label=["", NaN]'
    [ "$status" -eq 0 ]
}

@test "a label column name with no near match lists the file's columns, a wide file's first and last" {
    cat > dg.yaml <<YAML
name: dg
data: {format: csv, train: {file: $ROOT/data/digits.csv}, label: target, split: {dev: 0.2}}
model: {layers: [{type: dense, units: 10, activation: softmax}]}
train: {epochs: 1}
YAML
    expect_error "digits.csv: label column 'target' is not in the header (its 65 columns: 'px_0_0', 'px_0_1', 'px_0_2', ..., 'px_7_7', 'digit')" \
        "$DLC" train dg.yaml --out run
}

# A table with text columns: color (3 values) and size (3), a number column
# and a label that depends on color and age.
categorical_csv() {
    awk 'BEGIN { srand(7); print "age,color,size,income,label"
          split("red green blue", C, " "); split("S M L", S, " ")
          for (i = 0; i < 300; i++) { a = 18 + int(rand() * 60); c = C[1 + int(rand() * 3)]
            s = S[1 + int(rand() * 3)]; printf "%d,%s,%s,%d,%s\n", a, c, s, 20000 + int(rand() * 60000),
            ((c == "red") != (a > 50)) ? "yes" : "no" } }' > "${1:-cat.csv}"
}

@test "data.categorical auto: a column whose first text comes after numbers keeps those numbers as categories" {
    # code: 3 and 1, then q (line 4), then 1 and q again: 3 is only seen before the first
    # text, so the column must be read again; x stays a number column after it
    printf 'code,x,label\n3,0.5,a\n1,0.1,b\nq,0.7,a\n1,0.3,b\nq,0.9,a\n1,0.2,b\n1,0.4,a\nq,0.6,b\n' > late.csv
    cat > late.yaml <<YAML
data: {format: csv, train: {file: late.csv}, label: label, split: {dev: 0.25}, categorical: auto}
model: {layers: [{type: dense, units: 2, activation: softmax}]}
train: {epochs: 1}
YAML
    run "$DLC" train late.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"one-hot encoded (data.categorical), with the number of values each: code (3); the model reads 4 features"* ]]
    run "$DLC" summary run
    [[ "$output" == *"input features (4): code=1, code=3, code=q, x"* ]]
}

@test "data.categorical one-hot encodes text columns: auto or by name; predict and eval read categories by name" {
    categorical_csv cat.csv
    cat > cat.yaml <<YAML
data: {format: csv, train: {file: cat.csv}, label: label, split: {dev: 0.2, test: 0.1}, normalize: standard}
model: {layers: [{type: dense, units: 16, activation: relu}, {type: dense, units: 2, activation: softmax}]}
train: {epochs: 40}
YAML
    # without it: the text column is an error that names the way out
    expect_error "column 'color': expected a number, got" "$DLC" train cat.yaml --out run
    [[ "$output" == *"data.categorical to one-hot encode it"* ]]
    run "$DLC" train cat.yaml --out run --set data.categorical=auto
    [ "$status" -eq 0 ]
    [[ "$output" == *"input (8)"* ]]
    [[ "$output" == *"note: one-hot encoded (data.categorical), with the number of values each: color (3), size (3); the model reads 8 features"* ]]
    jq -e '.data_notes[] | select(.message | test("one-hot encoded"))' run/report.json > /dev/null
    # the model's features: the columns in order, a categorical one as COLUMN=VALUE, values sorted
    run "$DLC" summary run
    [[ "$output" == *"input features (8): age, color=blue, color=green, color=red, size=L, size=M, size=S, income"* ]]
    # predict reads rows by column name, in any order, and encodes them as training did:
    # the same probabilities as the one-hot values given by hand (features: age, color=blue,
    # color=green, color=red, size=L, size=M, size=S, income); a value the train file
    # lacks sets every one-hot feature of its column to 0
    printf 'label,size,income,color,age\nno,L,51747,red,72\nno,S,40000,purple,33\n' > rows.csv
    printf '72 0 0 1 1 0 0 51747\n33 0 0 0 0 0 1 40000\n' > values.txt
    "$DLC" predict run rows.csv --json > pred.json 2> pred.err
    # the value training never saw is said (stderr; the JSON stays JSON)
    grep -q "note: rows.csv: 1 value of categorical columns that training never saw (the first on line 3, color: purple)" pred.err
    by_rows=$(jq -r '.. | objects | select(has("top")) | .top[] | select(.class == "yes") | .probability' pred.json)
    run "$DLC" predict run --values values.txt
    [ "$status" -eq 0 ]
    by_hand=$(printf '%s\n' "$output" | awk '{print $2}')
    echo "rows: $by_rows hand: $by_hand"
    [ "$(printf '%s\n' "$by_rows" | awk '{printf "%.5f\n", $1}')" = "$(printf '%s\n' "$by_hand" | awk '{printf "%.5f\n", $1}')" ]
    # eval scores the test split as training did
    [ "$("$DLC" eval run --json | jq .accuracy)" = "$(jq .metrics.test.accuracy run/report.json)" ]
    # by name, in data.features' order; the others stay numbers
    run "$DLC" train cat.yaml --out run2 --set 'data.features=[size, age, color]' --set 'data.categorical=[color, size]'
    [ "$status" -eq 0 ]
    [[ "$output" == *"input (7)"* ]]
    [[ "$output" == *"size (3), color (3)"* ]]
}

@test "data.categorical: a dev file's unseen value is noted with its line; bad lists and identifier columns are refused" {
    categorical_csv cat.csv
    { head -1 cat.csv; tail -40 cat.csv | sed '3s/,red,/,purple,/; 3s/,green,/,purple,/; 3s/,blue,/,purple,/'; } > dev.csv
    cat > cat.yaml <<YAML
data: {format: csv, train: {file: cat.csv}, dev: {file: dev.csv}, label: label, categorical: auto}
model: {layers: [{type: dense, units: 2, activation: softmax}]}
train: {epochs: 2}
YAML
    run "$DLC" train cat.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"dev.csv: 1 value of categorical columns that the train file lacks (the first on line 4, color: purple)"* ]]
    expect_error "data.categorical: 'label' is a label column" "$DLC" train cat.yaml --out r --set 'data.categorical=[label]'
    expect_error "column 'nope' is not in the header" "$DLC" train cat.yaml --out r --set 'data.categorical=[nope]'
    expect_error "data.categorical: 'color' is listed twice" "$DLC" train cat.yaml --out r --set 'data.categorical=[color, color]'
    # the model file keeps the values in its feature names: they must be UTF-8
    printf 'a,c,y\n1,caf\xe9,p\n2,tea,q\n' > latin.csv
    sed "s|file: cat.csv|file: latin.csv|; s|label: label|label: y|; s|dev: {file: dev.csv}, ||" cat.yaml > latin.yaml
    expect_error "latin.csv:2: column 'c': value \"caf\\xe9\" is not UTF-8 (byte 0xe9)" "$DLC" train latin.yaml --out r
    # a misspelt data.features name is the reader's usual error, not a "text column" one
    expect_error "cat.csv: feature column 'colour' is not in the header (did you mean 'color'?)" \
        "$DLC" train cat.yaml --out r --set 'data.features=[age, colour]'
    expect_error "data.categorical: 'income' is not among data.features" "$DLC" train cat.yaml --out r \
        --set 'data.categorical=[income]' --set 'data.features=[age, color]'
    # a column of names (a value per row) is an identifier, not a category
    awk 'BEGIN { srand(3); print "name,sex,fare,survived"
          for (i = 0; i < 60; i++) printf "p%d,%s,%.2f,%d\n", i, (rand() < 0.5 ? "male" : "female"), rand() * 50, rand() < 0.5 }' > ids.csv
    cat > ids.yaml <<YAML
data: {format: csv, train: {file: ids.csv}, label: survived, split: {dev: 0.2}, categorical: auto}
model: {layers: [{type: dense, units: 2, activation: softmax}]}
train: {epochs: 2}
YAML
    expect_error "column 'name' holds text with 60 distinct values in 60 rows: an identifier or free text" \
        "$DLC" train ids.yaml --out r
    run "$DLC" train ids.yaml --out r --set 'data.features=[sex, fare]'
    [ "$status" -eq 0 ]
    [[ "$output" == *"sex (2); the model reads 3 features"* ]]
}

@test "data.missing: drop leaves rows with a missing feature value out; mean fills them with the train split's means, in training and in predict" {
    # iris with holes: an empty sepal_length every 7th row, NA for sepal_width every 11th
    awk -F, -v OFS=, 'NR == 1 { print; next } NR % 7 == 0 { $1 = "" } NR % 11 == 0 { $2 = "NA" } { print }' \
        "$ROOT/data/iris.csv" > holes.csv
    awk 'NR == 1 || NR % 3 == 0' holes.csv > dev.csv
    awk 'NR > 1 && NR % 3 != 0' holes.csv | cat <(head -1 holes.csv) - > train.csv
    n_train=$(($(wc -l < train.csv) - 1))
    holed=$(awk -F, 'NR > 1 && ($1 == "" || $2 == "NA")' train.csv | wc -l)
    cat > m.yaml <<YAML
data: {format: csv, train: {file: train.csv}, dev: {file: dev.csv}, label: species, normalize: standard}
model: {layers: [{type: dense, units: 3, activation: softmax}]}
train: {epochs: 30, batch_size: full, optimizer: {type: adam, lr: 0.05}}
YAML
    expect_error "train.csv:" "$DLC" train m.yaml --out r
    [[ "$output" == *"(a missing value: fill it in, or set data.missing: mean"* ]]
    run "$DLC" train m.yaml --out drop --set data.missing=drop
    [ "$status" -eq 0 ]
    [[ "$output" == *"train.csv: $holed of $n_train rows left out for a missing value (data.missing: drop; the first on line "* ]]
    [[ "$output" == *"dev.csv: "*"rows left out"*"its figures are of the rows left"* ]]
    [ "$(jq .metrics.train.examples drop/report.json)" -eq $((n_train - holed)) ]
    # the rows kept draw the splits: a resume may not change it
    expect_error "--resume would change data.missing: drop -> mean" \
        "$DLC" train m.yaml --out drop --resume --set data.missing=mean --set train.epochs=31
    run "$DLC" train m.yaml --out mean --set data.missing=mean
    [ "$status" -eq 0 ]
    [[ "$output" == *"train.csv: "*" missing feature values filled with the train split's mean of the column (data.missing: mean; the first on line "* ]]
    [ "$(jq .metrics.train.examples mean/report.json)" -eq "$n_train" ]
    # predict fills a missing value with the same mean: the same answer as the mean written out
    mean1=$(awk -F, 'NR > 1 && $1 != "" { s += $1; n++ } END { printf "%.7f", s / n }' train.csv)
    printf 'sepal_length,sepal_width,petal_length,petal_width\n,3.0,4.4,1.4\nNaN,3.1,5.0,1.9\n' > holes_rows.csv
    printf 'sepal_length,sepal_width,petal_length,petal_width\n%s,3.0,4.4,1.4\n%s,3.1,5.0,1.9\n' "$mean1" "$mean1" > filled_rows.csv
    run "$DLC" predict mean holes_rows.csv
    [ "$status" -eq 0 ]
    a=$(printf '%s\n' "$output" | sed 's/^[^:]*:[0-9]*: //')
    run "$DLC" predict mean filled_rows.csv
    b=$(printf '%s\n' "$output" | sed 's/^[^:]*:[0-9]*: //')
    echo "holes: $a / filled: $b"
    [ "$a" = "$b" ]
    # eval gives the figures training gave
    [ "$("$DLC" eval mean --split dev --json | jq .accuracy)" = "$(jq .metrics.dev.accuracy mean/report.json)" ]
    # a model trained without it still refuses a missing value in predict
    run "$DLC" predict drop holes_rows.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"empty value"* ]]
    # a row without its class: an error that names the way out; drop leaves it out too
    awk -F, -v OFS=, 'NR == 20 { $5 = "" } { print }' "$ROOT/data/iris.csv" > nolabel.csv
    sed -i "s|file: train.csv}, dev: {file: dev.csv}|file: nolabel.csv}|" m.yaml
    expect_error "nolabel.csv:20: column 'species': empty label (a row without its class: data.missing: drop leaves such rows out)" \
        "$DLC" train m.yaml --out nl
    run "$DLC" train m.yaml --out nl --set data.missing=drop
    [ "$status" -eq 0 ]
    [[ "$output" == *"nolabel.csv: 1 of 150 rows left out for a missing value (data.missing: drop; the first on line 20, column 'species')"* ]]
}

@test "data.balance: classes says what an epoch draws; a model that is not one classifier is refused" {
    # iris with 5 virginica left
    awk -F, 'NR == 1 || $5 != "virginica" || NR % 10 == 0' "$ROOT/data/iris.csv" > imb.csv
    cat > imb.yaml <<YAML
data: {format: csv, train: {file: imb.csv}, label: species, balance: classes}
model: {layers: [{type: dense, units: 3, activation: softmax}]}
train: {epochs: 2}
YAML
    run "$DLC" train imb.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: data.balance: classes: each epoch draws 105 train examples with replacement, each of the 3 classes about equally often; the rarest, 'virginica' (5 examples), is drawn about 7.0 times an epoch each"* ]]
    jq -e '.data_notes[] | select(.message | test("data.balance"))' run/report.json > /dev/null
    expect_error "data.balance: classes draws examples by class: it needs one classifier output" \
        "$DLC" train imb.yaml --out r --set loss=mse --set data.label=petal_width \
        --set 'data.features=[sepal_length]' --set model.layers.0.units=1 --set model.layers.0.activation=linear
    # a class of one train example is said in the singular
    awk -F, 'NR == 1 || $5 != "virginica" || NR == 150' "$ROOT/data/iris.csv" > one.csv
    run "$DLC" train imb.yaml --out one --set data.train.file=one.csv --set train.epochs=1
    [ "$status" -eq 0 ]
    [[ "$output" == *"the rarest, 'virginica' (1 example), is drawn about 33.7 times an epoch"* ]]
}

@test "data.normalize_targets: standard trains a regression on targets in the hundred thousands; figures and predictions are in the targets' units" {
    awk 'BEGIN { srand(4); print "rooms,area,age,price"
          for (i = 0; i < 500; i++) { r = 1 + int(rand() * 6); a = 40 + rand() * 160; g = rand() * 80
            printf "%d,%.1f,%.1f,%.0f\n", r, a, g, 50000 + 20000 * r + 1500 * a - 800 * g + (rand() - 0.5) * 20000 } }' > house.csv
    cat > house.yaml <<YAML
data: {format: csv, train: {file: house.csv}, label: price, split: {dev: 0.2, test: 0.1}, normalize: standard}
model: {layers: [{type: dense, units: 32, activation: relu}, {type: dense, units: 1}]}
loss: mse
train: {epochs: 50}
YAML
    # as it was: Adam's steps of 0.001 never carry the output to prices of 300,000
    run "$DLC" train house.yaml --out raw
    [ "$status" -eq 0 ]
    [[ "$output" == *"data.normalize_targets: standard learns them standardized"* ]]
    awk -v r="$(jq .metrics.dev.r2 raw/report.json)" 'BEGIN { exit !(r < 0) }'
    run "$DLC" train house.yaml --out std --set data.normalize_targets=standard
    [ "$status" -eq 0 ]
    awk -v r="$(jq .metrics.dev.r2 std/report.json)" 'BEGIN { exit !(r > 0.95) }'
    # the report's mse is in squared prices: its square root near the noise's spread
    # (uniform over 20,000: sd 5,774), not a standardized one near 0.1
    awk -v m="$(jq .metrics.dev.mse std/report.json)" 'BEGIN { exit !(sqrt(m) > 4000 && sqrt(m) < 20000) }'
    # predict gives prices: the first rows' within 20,000 of their own
    head -4 house.csv > rows.csv
    run "$DLC" predict std rows.csv
    [ "$status" -eq 0 ]
    paste -d' ' <(printf '%s\n' "$output" | awk '{print $2}') <(tail -3 rows.csv | cut -d, -f4) |
        awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 20000) bad = 1 } END { exit bad }'
    # eval agrees with the report; the loss column is the standardized one
    [ "$("$DLC" eval std --json | jq .mse)" = "$(jq .metrics.test.mse std/report.json)" ]
    awk -v l="$(jq .metrics.dev.loss std/report.json)" 'BEGIN { exit !(l < 0.2) }'
    # the output learned standardized targets: a resume may not switch it off
    expect_error "--resume would change data.normalize_targets: standard -> none; the output learned its targets scaled" \
        "$DLC" train house.yaml --out std --resume --set train.epochs=51
}

@test "data.categorical: a one-hot feature that would read back as another column (or another split of its name) is refused" {
    printf 'a=b,a,y\n1,b,p\n2,c,q\n3,b,p\n' > clash.csv
    cat > clash.yaml <<YAML
data: {format: csv, train: {file: clash.csv}, label: y, categorical: [a]}
model: {layers: [{type: dense, units: 2, activation: softmax}]}
train: {epochs: 1}
YAML
    expect_error "clash.csv: column 'a' holds 'b', whose one-hot feature 'a=b' would be read back as column 'a=b'; rename the column" \
        "$DLC" train clash.yaml --out run
    # the other way round: column 'a=b' holding x makes 'a=b=x', which reads as column a's 'b=x'
    printf 'a,a=b,y\n1,x,p\n2,z,q\n3,x,p\n' > clash2.csv
    sed 's/clash.csv/clash2.csv/; s/categorical: \[a\]/categorical: [a=b]/' clash.yaml > clash2.yaml
    expect_error "clash2.csv: column 'a=b' holds 'x', whose one-hot feature 'a=b=x' would be read back as a value of column 'a'" \
        "$DLC" train clash2.yaml --out run
}

@test "data.missing: eval may not --set another value that keeps other rows of a carved split (trained examples would score as test)" {
    awk -F, -v OFS=, 'NR > 1 && NR % 7 == 0 { $1 = "" } { print }' "$ROOT/data/iris.csv" > holes.csv
    cat > h.yaml <<YAML
data: {format: csv, train: {file: holes.csv}, label: species, split: {dev: 0.2, test: 0.2}}
model: {layers: [{type: dense, units: 3, activation: softmax}]}
train: {epochs: 2}
YAML
    run "$DLC" train h.yaml --out mean --set data.missing=mean
    [ "$status" -eq 0 ]
    run "$DLC" train h.yaml --out drop --set data.missing=drop
    [ "$status" -eq 0 ]
    # drop's test split (24 of the 129 rows kept) is not mean's (30 of 150): eval refuses either way
    expect_error "--set data.missing=drop: mean's train, dev and test splits were drawn from the rows data.missing: mean kept" \
        "$DLC" eval mean --set data.missing=drop
    expect_error "keep data.missing: drop" "$DLC" eval drop --set data.missing=mean
    [ "$("$DLC" eval drop --json --set data.missing=drop | jq .examples)" = "$(jq .metrics.test.examples drop/report.json)" ]
    # a run that kept every row (error) may drop a new test file's holed rows
    run "$DLC" train h.yaml --out plain --set data.train.file="$ROOT/data/iris.csv"
    [ "$status" -eq 0 ]
    run "$DLC" eval plain --set data.test.file="$PWD/holes.csv" --set data.missing=drop --json
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | jq .examples)" -eq $((150 - 21)) ]
}

@test "--resume whose data.features or data.categorical give the inputs in another order or other categories is refused" {
    categorical_csv cat.csv
    cat > cat.yaml <<YAML
data: {format: csv, train: {file: cat.csv}, label: label, split: {dev: 0.2}, categorical: auto}
model: {layers: [{type: dense, units: 2, activation: softmax}]}
train: {epochs: 2}
YAML
    run "$DLC" train cat.yaml --out run
    [ "$status" -eq 0 ]
    # the same 8 inputs, income first: each weight would meet another feature
    expect_error "--resume would feed the weights other input features: the checkpoint was trained on [\"age\",\"color=blue\"" \
        "$DLC" train cat.yaml --out run --resume --set train.epochs=3 --set 'data.features=[income, age, color, size]'
    [[ "$output" == *"the data now give [\"income\",\"age\",\"color=blue\""* ]]
    # a category renamed in the file: as many inputs, another one
    sed 's/,red,/,crimson,/' cat.csv > cat2.csv
    expect_error "--resume would feed the weights other input features" \
        "$DLC" train cat.yaml --out run --resume --set train.epochs=3 --set data.train.file=cat2.csv
    # the same features (listed, in the same order) resume
    run "$DLC" train cat.yaml --out run --resume --set train.epochs=3 --set 'data.features=[age, color, size, income]'
    [ "$status" -eq 0 ]
}

@test "data.sources with the new keys: balance draws by class, the one-hot note is said, a category only another source holds is noted" {
    awk 'BEGIN { srand(5); print "x,color,y"
          for (i = 0; i < 100; i++) { x = rand(); c = rand() < 0.5 ? "red" : "green"
            printf "%.3f,%s,%s\n", x, c, ((x > 0.5) != (c == "red")) ? "p" : "q" } }' > a.csv
    # the second source holds blue, which the first lacks, from its line 5 on
    awk 'BEGIN { srand(6); print "x,color,y"
          for (i = 0; i < 100; i++) { x = rand(); c = i < 2 ? "red" : (i % 3 ? "green" : "blue")
            printf "%s,%s,%s\n", (i % 5 ? sprintf("%.3f", x) : ""), c, (x > 0.8 ? "p" : "q") } }' > b.csv
    cat > s.yaml <<YAML
data:
  format: csv
  label: y
  categorical: auto
  missing: mean
  balance: classes
  sources:
    - {name: web, train: {file: a.csv}}
    - {name: phone, train: {file: b.csv}, use: {train: 0.5, dev: 0.25, test: 0.25}}
model: {layers: [{type: dense, units: 2, activation: softmax}]}
train: {epochs: 2}
YAML
    run "$DLC" train s.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: data.balance: classes: each epoch draws 150 train examples with replacement, each of the 2 classes about equally often"* ]]
    [[ "$output" == *"note: one-hot encoded (data.categorical), with the number of values each: color (2); the model reads 3 features"* ]]
    n_blue=$(grep -c ',blue,' b.csv)
    [[ "$output" == *"note: data.sources: $n_blue values of categorical columns that the first source, 'web', lacks (the first in source 'phone', line 5, color: blue): read with every one-hot feature of the column 0"* ]]
    jq -e '.data_notes[] | select(.message | test("the first source, .web., lacks"))' run/report.json > /dev/null
}

@test "data.normalize_targets: standard on a model without an mse output is refused, not silently ignored" {
    cat > n.yaml <<YAML
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species, normalize_targets: standard}
model: {layers: [{type: dense, units: 3, activation: softmax}]}
train: {epochs: 1}
YAML
    expect_error "data.normalize_targets: standard standardizes the targets of mse outputs, and this model has none (its first output's loss is softmax_cross_entropy): leave it out" \
        "$DLC" train n.yaml --out run
    run "$DLC" train n.yaml --out run --set data.normalize_targets=none
    [ "$status" -eq 0 ]
}

@test "a sweep over data.missing ranks trials scored on dev sets of different sizes: the leaderboard says so" {
    awk -F, -v OFS=, 'NR > 1 && NR % 4 == 0 { $1 = "" } { print }' "$ROOT/data/iris.csv" > holes.csv
    cat > h.yaml <<YAML
data: {format: csv, train: {file: holes.csv}, label: species, split: {dev: 0.3}}
model: {layers: [{type: dense, units: 3, activation: softmax}]}
train: {epochs: 1}
YAML
    printf 'base: h.yaml\nmode: grid\nmetric: dev_accuracy\nparams:\n  data.missing: [drop, mean]\n' > sw.yaml
    run "$ROOT/scripts/sweep.sh" sw.yaml -j 1 -o out
    [ "$status" -eq 0 ]
    # drop keeps 113 of the 150 rows: dev 34 of them, mean's 45
    [[ "$output" == *"warning: the trials were scored on dev sets of different sizes (34 to 45 examples)"* ]]
    # one dev set: no warning
    printf 'base: h.yaml\nmode: grid\nmetric: dev_accuracy\nset: {data.missing: mean}\nparams:\n  train.optimizer.lr: [0.01, 0.1]\n' > sw2.yaml
    run "$ROOT/scripts/sweep.sh" sw2.yaml -j 1 -o out2
    [ "$status" -eq 0 ]
    [[ "$output" != *"dev sets of different sizes"* ]]
}

@test "data.missing on a column empty in every row (a spreadsheet's trailing column) names data.features as the way out" {
    awk -F, -v OFS=, '{ print $0, (NR == 1 ? "notes" : "") }' "$ROOT/data/iris.csv" > blank.csv
    cat > b.yaml <<YAML
data: {format: csv, train: {file: blank.csv}, label: species, split: {dev: 0.2}}
model: {layers: [{type: dense, units: 3, activation: softmax}]}
train: {epochs: 1}
YAML
    expect_error "every row has a missing feature value (data.missing: drop leaves them out; 150 rows, the first on line 2, column 'notes'; a column empty in every row is left out with data.features)" \
        "$DLC" train b.yaml --out r --set data.missing=drop
    expect_error "column 'notes' has no value in the train split to fill its missing ones with (data.missing: mean; a column empty in every row is left out with data.features)" \
        "$DLC" train b.yaml --out r --set data.missing=mean
    run "$DLC" train b.yaml --out r --set data.missing=mean \
        --set 'data.features=[sepal_length, sepal_width, petal_length, petal_width]'
    [ "$status" -eq 0 ]
}

@test "a class label written as a missing value (UCI's ?) is warned of; data.missing: drop leaves its rows out" {
    awk -F, -v OFS=, 'NR > 1 && NR % 10 == 0 { $5 = "?" } { print }' "$ROOT/data/iris.csv" > ql.csv
    cat > ql.yaml <<YAML
data: {format: csv, train: {file: ql.csv}, label: species, split: {dev: 0.2}}
model: {layers: [{type: dense, units: auto, activation: softmax}]}
train: {epochs: 1}
YAML
    run "$DLC" train ql.yaml --out keep
    [ "$status" -eq 0 ]
    [[ "$output" == *"4 classes"* ]]
    [[ "$output" == *"warning: class '?' is written as a missing value: it is learned as a class of its own (data.missing: drop leaves its rows out)"* ]]
    run "$DLC" train ql.yaml --out drop --set data.missing=drop
    [ "$status" -eq 0 ]
    [[ "$output" == *"3 classes"* ]]
    [[ "$output" == *"ql.csv: 15 of 150 rows left out for a missing value (data.missing: drop; the first on line 10, column 'species')"* ]]
    [[ "$output" != *"written as a missing value"* ]]
}

@test "dlc eval on another test file notes its categories training never saw, as predict does" {
    categorical_csv cat.csv
    cat > cat.yaml <<YAML
data: {format: csv, train: {file: cat.csv}, label: label, split: {dev: 0.2}, categorical: auto}
model: {layers: [{type: dense, units: 2, activation: softmax}]}
train: {epochs: 1}
YAML
    run "$DLC" train cat.yaml --out run
    [ "$status" -eq 0 ]
    { head -1 cat.csv; sed -n '2,30p' cat.csv | sed '5s/,red,/,purple,/; 5s/,green,/,purple,/; 5s/,blue,/,purple,/'; } > new.csv
    "$DLC" eval run --set data.test.file=new.csv --json > ev.json 2> ev.err
    jq -e .accuracy ev.json > /dev/null
    grep -q "note: new.csv: 1 value of categorical columns that training never saw (the first on line 6, color: purple): read as none of the column's values (every one-hot feature 0)" ev.err
}

@test "data.missing names a row's first missing column, not its last" {
    printf 'a,b,c,y\n1,,NA,p\n2,3,4,q\n1,2,3,p\n2,3,4,q\n' > fm.csv
    cat > fm.yaml <<YAML
data: {format: csv, train: {file: fm.csv}, label: y}
model: {layers: [{type: dense, units: 2, activation: softmax}]}
train: {epochs: 1}
YAML
    run "$DLC" train fm.yaml --out mean --set data.missing=mean
    [ "$status" -eq 0 ]
    [[ "$output" == *"fm.csv: 2 missing feature values filled with the train split's mean of the column (data.missing: mean; the first on line 2, column 'b')"* ]]
    run "$DLC" train fm.yaml --out drop --set data.missing=drop
    [ "$status" -eq 0 ]
    [[ "$output" == *"fm.csv: 1 of 4 rows left out for a missing value (data.missing: drop; the first on line 2, column 'b')"* ]]
}

@test "data.separator and data.decimal: a ';' file of decimal commas trains as its comma twin, and predict reads it so" {
    # Excel in many locales: ';' between columns, a comma before decimals
    tr ',.' ';,' < "$ROOT/data/iris.csv" > semi.csv
    csv_config "$ROOT/data/iris.csv" species plain.yaml
    "$DLC" train plain.yaml --out plain --quiet
    csv_config semi.csv species
    run "$DLC" train c.yaml --out semi
    [ "$status" -eq 2 ]
    [[ "$output" == *'semi.csv:2: column '"'sepal_length'"': expected a number, got "5,1" (a decimal comma?'*"data.decimal: ','"* ]]
    run "$DLC" train c.yaml --out semi --set data.decimal=comma
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: $PWD/semi.csv: read as separated by ';', as its header and first row are (data.separator: auto; give it to say which)"* ]]
    # the same numbers: the same run, figure for figure
    diff <(metrics_no_time plain/metrics.csv) <(metrics_no_time semi/metrics.csv)
    grep -q '^  decimal: comma$' semi/config.yaml
    # predict reads rows as training did (the model keeps data.separator and data.decimal)
    sed -n '1p;2p;52p;102p' semi.csv > rows.csv
    sed -n '1p;2p;52p;102p' "$ROOT/data/iris.csv" > rows_plain.csv
    diff <("$DLC" predict semi rows.csv | sed 's/^rows.csv//') <("$DLC" predict plain rows_plain.csv | sed 's/^rows_plain.csv//')
    # ... and eval on a new file
    run "$DLC" eval semi --set data.test.file="$PWD/semi.csv" --json
    [ "$status" -eq 0 ]
    [[ "$output" == *'"examples": 150'* ]]
    # '|' (a database dump), and a given separator
    tr ',' '|' < "$ROOT/data/iris.csv" > pipe.csv
    csv_config pipe.csv species
    run "$DLC" train c.yaml --out pipe
    [ "$status" -eq 0 ]
    diff <(metrics_no_time plain/metrics.csv) <(metrics_no_time pipe/metrics.csv)
    # a first row with one ';' more is not guessed at: data.separator says which
    printf 'a;b;y\n1;2;x;\n3;4;y;\n' > extra.csv
    csv_config extra.csv y
    run "$DLC" train c.yaml --out extra
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.separator: ',' ';' tab '|' or whitespace says which"* ]]
    run "$DLC" train c.yaml --out extra --set data.separator=semicolon
    [ "$status" -eq 2 ]
    [[ "$output" == *"extra.csv:2: more fields than the header's 3 columns"* ]]
    # a decimal comma in a comma-separated file cannot be told from the separator
    csv_config "$ROOT/data/iris.csv" species
    run "$DLC" train c.yaml --out bad --set data.decimal=comma
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.decimal ',' needs a separator other than ','"* ]]
    # a written ',' is quoted in the run's config, which reads back
    csv_config "$ROOT/data/iris.csv" species
    printf '  separator: ","\n' > sep.txt
    sed -i '/^  label:/r sep.txt' c.yaml
    "$DLC" train c.yaml --out given --quiet
    grep -q '^  separator: ","$' given/config.yaml
    "$DLC" eval given --split dev > /dev/null
}

@test "a date column is named a date, whether read as a number or one-hot encoded by auto" {
    {
        echo "visit,x,label"
        for i in $(seq 10 40); do echo "2020-01-$((i % 28 + 1)),$i,$((i % 2))"; done
    } > dates.csv
    csv_config dates.csv label
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *'dates.csv:2: column '"'visit'"': expected a number, got "2020-01-11" (a date: dlc reads numbers, not dates; leave the column out with data.features, or write it as numbers: a year, a month, days since a start)'* ]]
    run "$DLC" train c.yaml --out run --set data.categorical=auto
    [ "$status" -eq 2 ]
    [[ "$output" == *"dates.csv: column 'visit' holds dates (\"2020-01-11\", 28 distinct values): dlc reads numbers, not dates"* ]]
    # 16.06.2020 and 6/16/2020 too; a version number or a fraction is no date
    for d in 16.06.2020 6/16/2020 2020/06/16 "2020-06-16T08:30:00"; do
        sed "2s|^[^,]*|$d|" dates.csv > d2.csv
        csv_config d2.csv label
        run "$DLC" train c.yaml --out run
        [[ "$output" == *"got \"$d\" (a date:"* ]]
    done
    for v in 1.2.3 1/2 v2020-01-01; do
        sed "2s|^[^,]*|$v|" dates.csv > d2.csv
        csv_config d2.csv label
        run "$DLC" train c.yaml --out run
        [ "$status" -eq 2 ]
        [[ "$output" != *"a date:"* ]]
    done
}

@test "predict reads CSV rows, or texts, from the standard input given as -" {
    csv_config "$ROOT/data/iris.csv" species
    "$DLC" train c.yaml --out run --quiet > /dev/null
    head -4 "$ROOT/data/iris.csv" > rows.csv
    diff <("$DLC" predict run rows.csv | sed 's/^rows.csv//') <(head -4 "$ROOT/data/iris.csv" | "$DLC" predict run - | sed 's/^-//')
    run bash -c "tr ',' ';' < rows.csv | '$DLC' predict run - --json"
    [ "$status" -eq 0 ]
    [[ "$output" == *'{"file": "-", "row": 1, "line": 2, "top": ['* ]]
    run bash -c "'$DLC' predict run - < /dev/null"
    [ "$status" -eq 2 ]
    [[ "$output" == *"-: empty file"* ]]
}

@test "a sweep over data.normalize_targets by dev_loss is refused: standardized losses are not in the targets' units" {
    # petal width from the other three measures: targets near 1, but the
    # standardized loss is still in another unit than the MSE
    cat > r.yaml <<YAML
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: petal_width, features: [sepal_length, sepal_width, petal_length], split: {dev: 0.3}}
model: {layers: [{type: dense, units: 1}]}
loss: mse
train: {epochs: 3}
YAML
    printf 'base: r.yaml\nmode: grid\nmetric: dev_loss\nparams:\n  data.normalize_targets: [none, standard]\n' > sw.yaml
    run "$ROOT/scripts/sweep.sh" sw.yaml -j 1 -o out
    [ "$status" -eq 2 ]
    [[ "$output" == *"out: the trials' dev losses are in different units: trial 2 learned standardized targets (data.normalize_targets: standard), so its loss is in standard deviations squared, the other 1 trial's in the targets' units"*"set metric: score in sw.yaml"* ]]
    # by score (the dev MSE in units) they rank
    sed -i 's/metric: dev_loss/metric: score/' sw.yaml
    run "$DLC" leaderboard sw.yaml --dir out
    [ "$status" -eq 0 ]
    # all standardized: one unit, ranked by dev_loss
    printf 'base: r.yaml\nmode: grid\nmetric: dev_loss\nset: {data.normalize_targets: standard}\nparams:\n  train.optimizer.lr: [0.01, 0.1]\n' > sw2.yaml
    run "$ROOT/scripts/sweep.sh" sw2.yaml -j 1 -o out2
    [ "$status" -eq 0 ]
}

@test "data.exclude leaves an id and a date column out of every column, as pandas' drop(columns=) does; the model is the one data.features gives" {
    awk -F, -v OFS=, 'NR == 1 { print "id", $0, "day"; next } { print 1000 + NR, $0, "2020-01-" (NR % 28 + 1) }' "$ROOT/data/iris.csv" > ids.csv
    csv_config ids.csv species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"column 'day': expected a number"*"(a date:"* ]]
    "$DLC" train c.yaml --out ex --quiet --set 'data.exclude=[id, day]' > /dev/null
    "$DLC" train c.yaml --out feat --quiet --set 'data.features=[sepal_length, sepal_width, petal_length, petal_width]' > /dev/null
    diff <(metrics_no_time ex/metrics.csv) <(metrics_no_time feat/metrics.csv)
    "$DLC" summary ex | grep -q 'input features (4): sepal_length, sepal_width, petal_length, petal_width'
    # predict and eval read the model's columns
    diff <("$DLC" predict ex ids.csv) <("$DLC" predict feat ids.csv)
    "$DLC" eval ex --split dev > /dev/null
    expect_error "data.exclude: $PWD/ids.csv has no column 'dya' (did you mean 'day'?)" \
        "$DLC" train c.yaml --out x --set 'data.exclude=[id, dya]'
    expect_error "data.exclude: 'species' is a label column (data.label)" \
        "$DLC" train c.yaml --out x --set 'data.exclude=species'
    expect_error "data.features and data.exclude: give one" \
        "$DLC" train c.yaml --out x --set 'data.exclude=id' --set 'data.features=[sepal_length]'
}

@test "sklearn's diabetes file as it ships: gzip-compressed and separated by spaces, read as pandas reads it" {
    # tests/data/tables/diabetes80.txt.gz: the first 80 rows of sklearn's
    # diabetes_data_raw.csv.gz with diabetes_target.csv.gz's column pasted on
    # and a header line, separated by single spaces, gzip-compressed as sklearn
    # ships it (pandas: read_csv(f, sep=r"\s+"), which infers the gzip).  It
    # used to be "NUL byte (not a text file?)", and once inflated "looks
    # separated by spaces (data.separator: ',' ';' tab or '|')": none of
    # which reads it.
    cp "$ROOT/tests/data/tables/diabetes80.txt.gz" d.txt.gz
    cat > d.yaml <<'YAML'
name: d
seed: 1
data: {format: csv, train: {file: d.txt.gz}, label: target, split: {dev: 0.25}}
model: {layers: [{type: dense, units: 1}]}
loss: mse
train: {epochs: 2, batch_size: 16}
YAML
    run "$DLC" train d.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"data: train 60, train-dev 0, dev 20, test 0 examples; input (10)"* ]]
    [[ "$output" == *"d.txt.gz: read as separated by spaces and tabs (whitespace), as its header and first row are"* ]]
    # targets near 150 learned raw: the outputs never get there, and the
    # first remedy is the key that fixes it, not a bigger network
    [[ "$output" == *"diagnosis: on train the model does no better than predicting the mean target"*"try:
  - data.normalize_targets: standard (the targets are far from 1 in scale"* ]]
    grep -q '"unscaled_targets": true' run/report.json
    grep -q 'data.normalize_targets: standard (the targets' run/report.html
    # the features are the header's names, in order
    run "$DLC" summary run
    [[ "$output" == *"input features (10): age, sex, bmi, bp, s1, s2, s3, s4, s5, s6"* ]]
    # data.exclude reads the compressed file's header too
    run "$DLC" train d.yaml --out run2 --set data.exclude=[sex] --set data.normalize_targets=standard
    [ "$status" -eq 0 ]
    [[ "$output" == *"input (9)"* ]]
    [[ "$output" != *"- data.normalize_targets"* ]]
    grep -q '"unscaled_targets": false' run2/report.json
    # a Keras user's units: auto on a regression output is told what to give
    run "$DLC" train d.yaml --out run3 --set model.layers.0.units=auto
    [ "$status" -eq 2 ]
    [[ "$output" == *"units: auto takes the number of classes from the data, which only the output layer of a softmax_cross_entropy model has; give the number of values it predicts (an mse or sigmoid_bce output: one per label column, units: 1 for one data.label)"* ]]
    # predict reads rows of a compressed file, by column name, blanks of any
    # width, a tab and a line's leading blanks between them (numpy's loadtxt)
    printf 'target  s6 s5 s4 s3 s2 s1 bp bmi sex age\n 0 87 4.8598 4.0 38.0 93.2\t157 101.0 32.1 2 59\n' |
        gzip > rows.csv.gz
    run "$DLC" predict run rows.csv.gz --json
    [ "$status" -eq 0 ]
    zcat d.txt.gz | sed -n 1,2p > one.txt
    run "$DLC" predict run rows.csv.gz one.txt
    [ "$status" -eq 0 ]
    [ "${lines[0]#rows.csv.gz:2: }" = "${lines[1]#one.txt:2: }" ]
    # a quoted field may hold blanks
    printf 'name x y\n"a b" 1 0\n"c d" 2 1\n"e f" 3 0\n"g h" 4 1\n"i j" 5 0\n' > q.txt
    cat > q.yaml <<'YAML'
name: q
seed: 1
data: {format: csv, train: {file: q.txt}, label: y, exclude: [name], split: {dev: 0.2}}
model: {layers: [{type: dense, units: auto}]}
train: {epochs: 1, batch_size: 4}
YAML
    run "$DLC" train q.yaml --out runq
    [ "$status" -eq 0 ]
    [[ "$output" == *"input (1), 2 classes"* ]]
    # a header of tabs over rows of spaces (a fixed-width print-out) reads as
    # tab-separated; data.separator: whitespace reads it
    printf 'x\ty\n1   0\n2   1\n3   0\n4   1\n5   0\n' > fixed.txt
    run "$DLC" train q.yaml --out runq2 --set data.train.file=fixed.txt --set data.exclude=[]
    [ "$status" -eq 2 ]
    run "$DLC" train q.yaml --out runq2 --set data.train.file=fixed.txt --set data.exclude=[] --set data.separator=whitespace
    [ "$status" -eq 0 ]
    [[ "$output" == *"input (1), 2 classes"* ]]
    [[ "$output" != *"read as separated by"* ]]
}

@test "sklearn's bundled CSV files begin with counts, not names: the error says so and gives a header that works" {
    # iris.csv, wine_data.csv, breast_cancer.csv: "150,4,setosa,versicolor,virginica"
    { echo "150,4,setosa,versicolor,virginica"
      tail -n +2 "$ROOT/data/iris.csv" | awk -F, '{ print $1 "," $2 "," $3 "," $4 "," ($5 == "setosa" ? 0 : $5 == "versicolor" ? 1 : 2) }'
    } > sk_iris.csv
    csv_config sk_iris.csv target
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"sk_iris.csv:1: not a header of the columns' names (line 1, \"150,4,setosa,...\", is sklearn's: the numbers of rows and features, then class names; dlc reads line 1 as the columns' names: put a header in its place, e.g. (seq -s, -f x%g 4 | sed 's/\$/,target/'; tail -n +2 FILE) > new.csv)"* ]]
    # a label named by its place, as numpy users index it, is a column of
    # that name here: "4" (sepal width) used to be read as the classes
    csv_config sk_iris.csv 4
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"sk_iris.csv:1: not a header of the columns' names (line 1, \"150,4,setosa,...\", is sklearn's"* ]]
    # read by dlc predict or data.exclude, the header alone says the same
    csv_config sk_iris.csv target
    run "$DLC" train c.yaml --out run --set data.exclude=[x1]
    [ "$status" -eq 2 ]
    [[ "$output" == *"is sklearn's"* ]]
    # the command it gives makes a file dlc reads
    (seq -s, -f x%g 4 | sed 's/$/,target/'; tail -n +2 sk_iris.csv) > new.csv
    csv_config new.csv target
    run "$DLC" train c.yaml --out new
    [ "$status" -eq 0 ]
    [[ "$output" == *"data: train 120, train-dev 0, dev 30, test 0 examples; input (4), 3 classes"* ]]
    # boston_house_prices.csv: counts on line 1, the names on line 2
    { echo "150,4,,,"; cat "$ROOT/data/iris.csv"; } > sk_boston.csv
    csv_config sk_boston.csv species
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"sk_boston.csv:1: header column 3 has no name (line 1, \"150,4,,...\", is sklearn's: the numbers of rows and features; the columns' names follow on line 2, and dlc reads line 1 as them: leave it out, tail -n +2 FILE > new.csv)"* ]]
    # a header of numbers and names that is no such line gets no such guess
    printf '1,2,y\n1,2,a\n3,4,b\n' > plain.csv
    csv_config plain.csv z
    run "$DLC" train c.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" != *"sklearn"* ]]
}

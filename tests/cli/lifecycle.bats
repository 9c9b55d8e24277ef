#!/usr/bin/env bats
# A new user's trial of the training lifecycle and of dlc predict: recurrent
# models as a Keras user writes them, raw token ids, interrupted and finished
# runs, schedules that never act, images dlc does not read.  Data is written
# here.
load helpers

# the full-disk test mounts a small tmpfs in TMP: unmounted whatever happens
teardown() {
    cd /
    umount "$TMP/disk" 2> /dev/null || true
    rm -rf "$TMP"
}

# A top-level field of a JSON file: json_field FILE KEY (true/false as JSON has them)
json_field() {
    /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(json.dumps(v))' "$1" "$2"
}

# gray_png FILE VALUE [FILE VALUE ...]: 4 x 4 gray PNG files of one value each
gray_png() {
    /usr/bin/python3 - "$@" <<'PY'
import struct, sys, zlib
def png(p, v):
    raw = b"".join(b"\0" + bytes([v]) * 4 for _ in range(4))
    c = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    open(p, "wb").write(b"\x89PNG\r\n\x1a\n" + c(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)) + c(b"IDAT", zlib.compress(raw)) + c(b"IEND", b""))
args = sys.argv[1:]
for i in range(0, len(args), 2): png(args[i], int(args[i + 1]))
PY
}

# A 4 x 4 gray image model in run/, trained on img/a (dark) and img/b (light).
gray_image_run() {
    mkdir -p img/a img/b
    for i in 0 1 2 3; do gray_png img/a/$i.png 20 img/b/$i.png 220; done
    cat > img.yaml <<YAML
name: img
data: {format: image_folder, train: {dir: img}, split: {dev: 0.25}}
model: {layers: [{type: flatten}, {type: dense, units: 2}]}
train: {epochs: 1, batch_size: 4}
YAML
    "$DLC" train img.yaml --out run --quiet > /dev/null
}

# A two-class text file: the label is carried by one word among fillers.
sentiment_csv() {
    local pos=(good great fine nice) neg=(bad awful sad poor) fill=(the a movie was it this)
    echo "text,label" > sent.csv
    for i in $(seq 0 119); do
        local w="${fill[$((i % 6))]} ${fill[$(((i / 6) % 6))]}"
        if ((i % 2)); then echo "$w ${pos[$((i % 4))]},pos"; else echo "${neg[$((i % 4))]} $w,neg"; fi
    done >> sent.csv
}

# A sequence classifier: embedding, a recurrent layer ($1: its keys), dense.
sentiment_config() {
    cat > sent.yaml <<YAML
name: sent
seed: 1
data:
  format: text
  train: {file: sent.csv}
  label: label
  split: {dev: 0.2}
  text: {task: classify, tokens: words, seq_len: 6, column: text}
model:
  layers:
    - {type: embedding, units: 8}
    - {$1}
    - {type: dense, units: auto}
train:
  epochs: 3
  batch_size: 16
  optimizer: {type: adam, lr: 0.02}
YAML
}

@test "a dense after a recurrent layer that returns sequences, on one label per text, says return_sequences" {
    sentiment_csv
    for cell in lstm gru rnn; do
        sentiment_config "type: $cell, units: 8"
        run "$DLC" train sent.yaml --out run --force
        [ "$status" -eq 2 ]
        [[ "$output" == *"sent.yaml:"*"layer 'dense_1' (dense): the output gives one prediction per time step (6), but the data has 1 target per example"* ]]
        [[ "$output" == *"set return_sequences: false on the last recurrent layer, or pool over time"* ]]
    done
    sentiment_config "type: lstm, units: 8, return_sequences: false"
    run "$DLC" train sent.yaml --out run --force
    [ "$status" -eq 0 ]
}

@test "predict --values on a text model: ids outside the vocabulary or not whole are errors; a short row is padded" {
    sentiment_csv
    sentiment_config "type: gru, units: 8, return_sequences: false"
    "$DLC" train sent.yaml --out run --quiet > /dev/null
    V=$(/usr/bin/python3 -c 'import json,struct,sys; b=open("run/model.safetensors","rb").read(); n=struct.unpack("<Q",b[:8])[0]; print(len(json.loads(json.loads(b[8:8+n])["__metadata__"]["vocab"])))')
    [ "$V" -gt 10 ]
    for bad in "$V" -1 3.5; do
        echo "2 $bad" > v.txt
        run "$DLC" predict run --values v.txt
        [ "$status" -eq 2 ]
        [[ "$output" == *"v.txt:1: value 2, $bad, is not a token id of the model's vocabulary: a whole number from 0 to $((V - 1))"* ]]
    done
    # ids 0 (<pad>) to V - 1 are read; a row shorter than seq_len is padded, as a shorter text is
    printf '3 4 5\n3 4 5 0 0 0\n%s 0\n' "$((V - 1))" > v.txt
    run "$DLC" predict run --values v.txt
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "${lines[1]}" ]
    echo "1 2 3 4 5 6 7" > v.txt
    run "$DLC" predict run --values v.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *"v.txt:1: 7 tokens, but the model reads at most 6"* ]]
}

@test "predict and eval say how many images they resized or converted, predict which subfolders it did not read; a TGA file is named as such" {
    gray_image_run
    # a 4 x 4 gray model: a larger RGB image is resized and converted, and said so (stderr)
    /usr/bin/python3 -c '
import struct, zlib
raw = b"".join(b"\0" + bytes([200, 10, 10]) * 8 for _ in range(8))
c = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open("big rgb.png", "wb").write(b"\x89PNG\r\n\x1a\n" + c(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)) + c(b"IDAT", zlib.compress(raw)) + c(b"IEND", b""))
'
    run "$DLC" predict run img/a/0.png "big rgb.png"
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: 1 of 2 images resized to the model's 4 x 4 (big rgb.png: 8 x 8), 1 converted to gray (the model was trained on 4 x 4 gray images)"* ]]
    run "$DLC" predict run img/a/0.png
    [[ "$output" != *"note:"* ]]
    "$DLC" predict run "big rgb.png" --json 2> err.txt | /usr/bin/python3 -c 'import json, sys; json.load(sys.stdin)'
    grep -q "note: 1 of 1 image resized" err.txt
    run "$DLC" predict run "big rgb.png" --quiet
    [[ "$output" != *"note:"* ]]
    # dlc eval of a test folder of RGB images says so too
    mkdir -p rgbtest/a rgbtest/b
    cp "big rgb.png" rgbtest/a/x.png
    cp "big rgb.png" rgbtest/b/y.png
    run "$DLC" eval run --set data.test.dir=rgbtest
    [ "$status" -eq 0 ]
    [[ "$output" == *"dlc: note: rgbtest: 2 of 2 images resized to the model's 4 x 4, 2 converted to gray (the model was trained on 4 x 4 gray images)"* ]]
    run "$DLC" eval run --split dev
    [[ "$output" != *"note:"* ]]
    # a folder's own images are read, its subfolders not: said
    run "$DLC" predict run img/a/
    [ "$status" -eq 0 ]
    [[ "$output" != *"subfolder"* ]]
    [[ "$output" == *"img/a/0.png: "* ]]
    [[ "$output" != *"//"* ]]
    mkdir img/a/more && cp img/a/0.png img/a/more/
    run "$DLC" predict run img/a
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: img/a: 1 subfolder is not read (a folder given to predict means its own image files: give the subfolders too)"* ]]
    # an uncompressed 2x2 24-bit TGA as PIL and GIMP write it: header, pixels, footer
    printf '\0\0\2\0\0\0\0\0\0\0\0\0\2\0\2\0\30\0' > pic.tga
    printf '\x80\x80\x80%.0s' 1 2 3 4 >> pic.tga
    printf '\0\0\0\0\0\0\0\0TRUEVISION-XFILE.\0' >> pic.tga
    run "$DLC" predict run pic.tga
    [ "$status" -eq 2 ]
    [[ "$output" == *"pic.tga: a TGA image; dlc reads PNG, JPEG, BMP and GIF images"* ]]
}

@test "--resume of a finished run says there is nothing to train; one stopped early trains on under a raised patience, as an uninterrupted run" {
    iris_config iris.yaml 4
    "$DLC" train iris.yaml --out run --quiet > /dev/null
    run "$DLC" train iris.yaml --out run --resume
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: the run has trained all 4 epochs, so there is nothing to train; its report is written again (to train on, raise train.epochs: --set train.epochs=8 --resume)"* ]]
    # stopped early with patience 1, then resumed with patience 4 (and 0, off)
    S="--set train.epochs=40 --set train.optimizer.lr=0.5 --threads 1"
    "$DLC" train iris.yaml --out es $S --set train.early_stopping.patience=1 --quiet > /dev/null
    [ "$(json_field es/report.json stopped_early)" = "true" ]
    e1=$(json_field es/report.json epochs_run)
    [ "$e1" -lt 40 ]
    run "$DLC" train iris.yaml --out es --resume $S --set train.early_stopping.patience=1
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: the run stopped early at epoch $e1, so there is nothing to train"* ]]
    cp -r es es0
    run "$DLC" train iris.yaml --out es --resume $S --set train.early_stopping.patience=4
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: the run had stopped early at epoch $e1, 1 epoch without improvement; with train.early_stopping.patience 4 it trains on"* ]]
    "$DLC" train iris.yaml --out es4 $S --set train.early_stopping.patience=4 --quiet > /dev/null
    [ "$(json_field es/report.json epochs_run)" -gt "$e1" ]
    cmp es/model.safetensors es4/model.safetensors
    [ "$(metrics_no_time es/metrics.csv)" = "$(metrics_no_time es4/metrics.csv)" ]
    run "$DLC" train iris.yaml --out es0 --resume $S --set train.early_stopping.patience=0
    [ "$status" -eq 0 ]
    [ "$(json_field es0/report.json epochs_run)" -eq 40 ]
}

@test "a step schedule or manual points past the last epoch are said: the rate would never change" {
    iris_config iris.yaml 5
    run "$DLC" train iris.yaml --out run --set train.schedule.type=step --set train.schedule.every=5
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: train.schedule.every is 5, but the run has 5 epochs: the step schedule would first lower the rate at epoch 6, so the rate never changes"* ]]
    [ "$(cut -d, -f2 run/metrics.csv | sort -u | wc -l)" -eq 2 ]    # the header and one rate
    run "$DLC" train iris.yaml --out run --force --set train.schedule.type=step --set train.schedule.every=4
    [ "$status" -eq 0 ]
    [[ "$output" != *"warning: train.schedule"* ]]
    run "$DLC" train iris.yaml --out run --force --set 'train.schedule={type: manual, points: [[2, 0.01], [6, 0.001], [9, 0.0001]]}'
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: train.schedule.points: 2 of the 3 points are after the run's last epoch (5), from epoch 6 on: never reached"* ]]
    run "$DLC" train iris.yaml --out run --force --set 'train.schedule={type: manual, points: [[2, 0.01], [5, 0.001]]}'
    [[ "$output" != *"warning: train.schedule"* ]]
}

@test "train --out '' is a usage error (exit 2), not a failure to create a folder named ''" {
    iris_config iris.yaml 1
    run "$DLC" train iris.yaml --out ""
    [ "$status" -eq 2 ]
    [[ "$output" == *"--out needs a folder name (empty given)"* ]]
}

@test "train texts with no tokens (blank text fields) are said: predict --text refuses an empty text, training learns from them" {
    sentiment_csv
    printf ',pos\n"",neg\n  ,pos\n' >> sent.csv
    sentiment_config "type: lstm, units: 8, return_sequences: false"
    sed -i 's/split: {dev: 0.2}/split: {dev: 0}/' sent.yaml
    run "$DLC" train sent.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: 3 of the 123 train texts have no tokens (a blank 'text' field): the model learns a class for an empty text from them"* ]]
    sentiment_csv
    run "$DLC" train sent.yaml --out run --force
    [ "$status" -eq 0 ]
    [[ "$output" != *"no tokens"* ]]
}

@test "Ctrl-C once training has ended stops the report (exit 130), keeps the model, and --resume writes the report" {
    cat > rep.yaml <<YAML
name: rep
seed: 1
data:
  format: idx
  train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: 300}
  test: {images: $FMNIST/t10k-images-idx3-ubyte.gz, labels: $FMNIST/t10k-labels-idx1-ubyte.gz}
  split: {dev: 0.2}
model:
  input: [1, 28, 28]
  layers:
    - {type: conv2d, filters: 64, kernel: 3, activation: relu}
    - {type: flatten}
    - {type: dense, units: 10}
train: {epochs: 1, batch_size: 32}
YAML
    # the report measures 10,000 test images: the model file appears well before it is done
    cat > stop.sh <<'SH'
"$1" train rep.yaml --out run --threads 1 > log 2>&1 &
pid=$!
until [ -e run/model.safetensors ] || ! kill -0 $pid 2> /dev/null; do sleep 0.005; done
kill -INT $pid
wait $pid
echo "exit $?"
SH
    run bash stop.sh "$DLC"
    [[ "$output" == *"exit 130"* ]]
    grep -q "dlc: error: interrupted" log
    grep -q "training had ended: run/model.safetensors is saved; to write the report (nothing is trained again):" log
    grep -q "dlc train rep.yaml --out run --resume" log
    [ -e run/model.safetensors ]
    [ ! -e run/report.json ]
    cp run/model.safetensors model.before
    run "$DLC" train rep.yaml --out run --resume
    [ "$status" -eq 0 ]
    [[ "$output" == *"nothing to train"* ]]
    [ -e run/report.json ]
    cmp model.before run/model.safetensors
}

@test "--resume with another data.normalize is refused: the weights were trained on inputs of the checkpoint's scale" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet > /dev/null
    for n in none minmax; do
        run "$DLC" train iris.yaml --out run --resume --set train.epochs=4 --set data.normalize=$n
        [ "$status" -eq 2 ]
        [[ "$output" == *"run/checkpoint.safetensors: --resume would change data.normalize: standard -> $n; the weights were trained on inputs normalized the checkpoint's way"* ]]
    done
    # other changes go on, listed
    run "$DLC" train iris.yaml --out run --resume --set train.epochs=4 --set train.optimizer.lr=0.01
    [ "$status" -eq 0 ]
    [[ "$output" == *"train.optimizer.lr: 0.05 -> 0.01"* ]]
}

@test "--resume from a run's own config.yaml without --out names the run folder to give" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out runs/mine --quiet > /dev/null
    run "$DLC" train runs/mine/config.yaml --resume --set train.epochs=3
    [ "$status" -eq 2 ]
    [[ "$output" == *"runs/mine/config.yaml is the config of the run in runs/mine, but without --out the run folder is runs/iris, which has no checkpoint; to continue that run: dlc train runs/mine/config.yaml --out runs/mine --resume"* ]]
    run "$DLC" train runs/mine/config.yaml --out runs/mine --resume --set train.epochs=3
    [ "$status" -eq 0 ]
    [ "$(json_field runs/mine/report.json epochs_run)" -eq 3 ]
}

@test "Ctrl-C or SIGTERM while the data load ends dlc at once (exit 130), saying so; the next run starts afresh" {
    fmnist_config fm.yaml 60000
    # in a script of its own: the signal is sent as soon as dlc says it starts
    cat > stop.sh <<'SH'
: > log
"$1" train fm.yaml --out run --force > log 2>&1 &
pid=$!
until grep -q "training fm -> run" log || ! kill -0 $pid 2> /dev/null; do sleep 0.005; done
kill -$2 $pid
wait $pid
echo "exit $?"
SH
    for sig in INT TERM; do
        run bash stop.sh "$DLC" $sig
        [[ "$output" == *"exit 130"* ]]
        grep -q "dlc: interrupted while loading; nothing was trained" log
        [ "$(grep -c "^epoch" log)" -eq 0 ]
        [ ! -e run/metrics.csv ]
        [ ! -e run/checkpoint.safetensors ]
    done
    run "$DLC" train fm.yaml --out run --set data.train.limit=500 --set train.epochs=1
    [ "$status" -eq 0 ]
}

@test "--resume with another optimizer type says how to go on with it: a new run from these weights (init_from)" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet > /dev/null
    run "$DLC" train iris.yaml --out run --resume --set train.epochs=4 --set train.optimizer.type=sgd
    [ "$status" -eq 2 ]
    [[ "$output" == *"run/checkpoint.safetensors: was trained with optimizer adam, the config now says sgd; --resume continues with adam (to go on with sgd from these weights, start a run with --out NEW and init_from: {run: run})"* ]]
    run "$DLC" train iris.yaml --out new --set train.optimizer.type=sgd --set 'init_from={run: run}'
    [ "$status" -eq 0 ]
}

@test "a full disk while writing a checkpoint: a clear error, the last whole checkpoint kept, and the command that resumes" {
    mkdir disk
    mount -t tmpfs -o size=1400k tmpfs disk 2> /dev/null || skip "mounting a tmpfs needs root"
    fmnist_config fm.yaml 3000 4
    # a checkpoint of this MLP (weights, Adam's moments, the best weights) is about 0.8 MB: the
    # first fits, the second's temporary next to it does not
    run "$DLC" train fm.yaml --out disk/run --set train.checkpoint_seconds=0
    [ "$status" -eq 1 ]
    [[ "$output" == *"dlc: error: disk/run/checkpoint.safetensors: write failed: No space left on device"* ]]
    [[ "$output" == *"the last checkpoint, disk/run/checkpoint.safetensors, holds epoch 1 of 4; once the cause is fixed, continue with:"* ]]
    [[ "$output" == *"dlc train fm.yaml --out disk/run --resume (and the same --set options)"* ]]
    [ "$(ls disk/run | grep -c tmp)" -eq 0 ]
    [ ! -e disk/run/model.safetensors ]
    # room made (the run moved to a larger disk): it resumes from epoch 1
    cp -r disk/run moved
    run "$DLC" train fm.yaml --out moved --resume --set train.checkpoint_seconds=0
    [ "$status" -eq 0 ]
    [[ "$output" == *"resuming after epoch 1"* ]]
}

@test "a write past a file-size limit (ulimit -f, no root needed): the old checkpoint intact, no temporary, the file and the reason named, exit 1, and --resume ends as a straight run" {
    fmnist_config fm.yaml 3000 1
    # this MLP's checkpoint (weights, Adam's moments, the best weights) is about 810 KiB, its
    # model 215 KiB and report.html 100 KiB: a limit of 400 KiB stops the checkpoint only
    "$DLC" train fm.yaml --out run --quiet --threads 1 > /dev/null
    [ "$(stat -c %s run/checkpoint.safetensors)" -gt 409600 ] && [ "$(stat -c %s run/model.safetensors)" -lt 409600 ]
    sum=$(sha256sum < run/checkpoint.safetensors)
    # dlc ignores SIGXFSZ, so the write fails with EFBIG instead of killing it
    run bash -c 'ulimit -f 400 && exec "$0" train fm.yaml --out run --resume --set train.epochs=3 --set train.checkpoint_seconds=0 --quiet --threads 1' "$DLC"
    [ "$status" -eq 1 ]
    [[ "$output" == *"dlc: error: run/checkpoint.safetensors: write failed: File too large"* ]]
    [[ "$output" == *"the last checkpoint, run/checkpoint.safetensors, holds epoch 1 of 3; once the cause is fixed, continue with:"* ]]
    [[ "$output" == *"dlc train fm.yaml --out run --resume (and the same --set options)"* ]]
    [ "$(sha256sum < run/checkpoint.safetensors)" = "$sum" ]
    [ -z "$(ls -A run | grep tmp)" ]
    # the limit lifted: it resumes from epoch 1 and ends with a straight 3-epoch run's weights
    run "$DLC" train fm.yaml --out run --resume --set train.epochs=3 --set train.checkpoint_seconds=0 --threads 1
    [ "$status" -eq 0 ]
    [[ "$output" == *"resuming after epoch 1"* ]]
    "$DLC" train fm.yaml --out straight --set train.epochs=3 --set train.checkpoint_seconds=0 --quiet --threads 1 > /dev/null
    cmp run/model.safetensors straight/model.safetensors
    # the model itself past the limit (a one-epoch run writes it before its checkpoint)
    run bash -c 'ulimit -f 150 && exec "$0" train fm.yaml --out m --quiet --threads 1' "$DLC"
    [ "$status" -eq 1 ]
    [[ "$output" == *"dlc: error: m/model.safetensors: write failed: File too large"* ]]
    [[ "$output" == *"no checkpoint was written, so there is nothing to resume; once the cause is fixed, start again with: dlc train fm.yaml --out m --force"* ]]
    [ ! -e m/model.safetensors ] && [ -z "$(ls -A m | grep tmp)" ]
}

@test "eval of a text classifier on a file with a label the model lacks names that file and line, not the train file" {
    sentiment_csv
    sentiment_config "type: gru, units: 8, return_sequences: false"
    "$DLC" train sent.yaml --out run --quiet > /dev/null
    { echo "text,label"; echo "good movie,pos"; echo "so so movie,meh"; } > other.csv
    run "$DLC" eval run --set data.test.file=other.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"other.csv:3: label 'meh', not one of the 2 classes ('neg', 'pos')"* ]]
    run "$DLC" eval run --set data.test.file=other.csv --unknown-labels skip
    [ "$status" -eq 2 ]
    [[ "$output" == *"--unknown-labels skip reads CSV, IDX and image folders, not text"* ]]
    { echo "text,label"; echo "good movie,pos"; echo "bad movie,neg"; } > ok.csv
    run "$DLC" eval run --set data.test.file=ok.csv
    [ "$status" -eq 0 ]
}

@test "predict --bad-files skip leaves unreadable files of a folder out, each listed with why; text and JSON" {
    gray_image_run
    mkdir shots
    gray_png shots/one.png 30 shots/two.png 200
    : > shots/empty.png
    echo "not a picture" > shots/notes.jpg
    ln -s nowhere.png shots/gone.png
    run "$DLC" predict run shots
    [ "$status" -eq 2 ]
    [[ "$output" == *"shots/empty.png: empty file, not an image (--bad-files skip leaves unreadable files out)"* ]]
    run "$DLC" predict run shots --bad-files skip
    [ "$status" -eq 0 ]
    [[ "$output" == *"shots/one.png: "* ]]
    [[ "$output" == *"shots/two.png: "* ]]
    [[ "$output" == *"dlc: warning: skipped 3 unreadable files (--bad-files skip):"* ]]
    [[ "$output" == *"  shots/gone.png: a broken symbolic link"* ]]
    [[ "$output" == *"  shots/notes.jpg: not an image"* ]]
    "$DLC" predict run shots --bad-files skip --json > out.json
    /usr/bin/python3 -c '
import json
d = json.load(open("out.json"))
assert [p["file"] for p in d["predictions"]] == ["shots/one.png", "shots/two.png"], d
assert len([w for w in d["warnings"] if w.startswith("skipped (--bad-files skip): shots/")]) == 3, d
'
    run "$DLC" predict run shots/empty.png shots/gone.png --bad-files skip
    [ "$status" -eq 2 ]
    [[ "$output" == *"none of the 2 image files could be read"* ]]
    run "$DLC" predict run shots --bad-files sometimes
    [ "$status" -eq 2 ]
    [[ "$output" == *"--bad-files: expected fail or skip, got 'sometimes'"* ]]
}

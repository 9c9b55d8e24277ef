#!/usr/bin/env bats
# hostile.bats - inputs an attacker or an unlucky user gives (issue 11): each
# ends in a clear message and exit 2, never a hang, a crash or a silent wrong
# answer.

load helpers

# a background training that a failed assertion must not leave running
teardown() {
    if [ -n "${holder:-}" ]; then
        kill -9 "$holder" 2> /dev/null || true
    fi
    cd /
    rm -rf "$TMP"
}

# iris from a copy in the working folder (data.csv), splits carved from it
iris_copy() {
    cp "$ROOT/data/iris.csv" data.csv
    cat > iris.yaml <<YAML
name: iris
seed: 3
data:
  format: csv
  train: {file: data.csv}
  label: species
  split: {dev: 0.2, test: 0.3}
model:
  layers:
    - {type: dense, units: 8, activation: tanh}
    - {type: dense, units: 3, activation: softmax}
train:
  epochs: ${1:-30}
  batch_size: 16
  optimizer: {type: adam, lr: 0.05}
YAML
}

@test "eval maps labels through the model's classes, not the data read now" {
    iris_copy
    run "$DLC" train iris.yaml --out run --quiet
    [ "$status" -eq 0 ]
    # every setosa row gone: the other two classes keep their ids (re-derived
    # from the data they became 0 and 1, and accuracy fell to a few percent)
    grep -v setosa "$ROOT/data/iris.csv" > data.csv
    run "$DLC" eval run --json
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq .examples)" -eq 30 ]
    echo "$output" | jq -e '.accuracy > 0.85'
    run "$DLC" eval run
    [ "$status" -eq 0 ]
    [[ "$output" == *setosa* ]]
    # a label the model never saw: an error naming file and line, or skipped
    echo "5.0,3.0,1.5,0.2,unicorn" >> data.csv
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.csv:102: column 'species': label \"unicorn\" is not one of the 3 classes"* ]]
    run "$DLC" eval run --unknown-labels skip --json
    [ "$status" -eq 0 ]
    [[ "$output" == *"skipped 1 examples whose label the model was not trained on"* ]]
    run "$DLC" eval run --unknown-labels maybe
    [ "$status" -eq 2 ]
}

@test "two trainings into one run folder: the second exits 2 naming the first's pid" {
    iris_copy 100000
    "$DLC" train iris.yaml --out run --quiet > /dev/null 2>&1 &
    holder=$!
    for _ in $(seq 100); do
        [ -s run/.lock ] && break
        sleep 0.1
    done
    [ "$(cat run/.lock)" = "$holder" ]
    run timeout 60 "$DLC" train iris.yaml --out run --force --quiet
    [ "$status" -eq 2 ]
    [[ "$output" == *"run is in use by another dlc process (pid $holder)"* ]]
    run timeout 60 "$DLC" train iris.yaml --out run --resume --quiet
    [ "$status" -eq 2 ]
    [[ "$output" == *"pid $holder"* ]]
    kill -9 "$holder"
    wait "$holder" || true
    # the kernel released the killed holder's lock
    sed -i 's/epochs: 100000/epochs: 3/' iris.yaml
    run "$DLC" train iris.yaml --out run --force --quiet
    [ "$status" -eq 0 ]
}

@test "the run folder's lock, deterministically: a stopped holder keeps it, the second exits 2 naming folder and pid and touches nothing; a killed holder's is taken over; a held lock naming a dead pid is not blamed on it" {
    iris_copy 100000
    "$DLC" train iris.yaml --out run --quiet > /dev/null 2>&1 &
    holder=$!
    for _ in $(seq 200); do
        [ "$(cat run/.lock 2> /dev/null)" = "$holder" ] && [ -s run/checkpoint.safetensors ] && break
        sleep 0.05
    done
    [ "$(cat run/.lock)" = "$holder" ] && [ -s run/checkpoint.safetensors ]
    # stopped (SIGSTOP): it holds the folder but cannot finish, write or race
    kill -STOP "$holder"
    before=$(cd run && ls -l --time-style=+%s.%N . errors | md5sum)
    for how in --force --resume ""; do
        run timeout 60 "$DLC" train iris.yaml --out run $how --quiet
        [ "$status" -eq 2 ]
        [[ "$output" == *"dlc: error: run is in use by another dlc process (pid $holder); wait for it to finish, or use another --out"* ]]
    done
    # --force's removal comes after the lock: nothing of the holder's run was touched
    [ "$(cd run && ls -l --time-style=+%s.%N . errors | md5sum)" = "$before" ]
    kill -CONT "$holder"
    kill -INT "$holder"
    wait "$holder" && status=0 || status=$?
    [ "$status" -eq 130 ] # it was the one that trained: stopped as Ctrl-C stops it
    # killed with -9 while holding it: the file still names it, and the next run takes over
    "$DLC" train iris.yaml --out run --resume --quiet > /dev/null 2>&1 &
    holder=$!
    for _ in $(seq 200); do [ "$(cat run/.lock 2> /dev/null)" = "$holder" ] && break; sleep 0.05; done
    kill -9 "$holder"
    wait "$holder" || true
    dead=$holder
    [ "$(cat run/.lock)" = "$dead" ]
    sed -i 's/epochs: 100000/epochs: 3/' iris.yaml
    "$DLC" train iris.yaml --out run --force --quiet > /dev/null &
    holder=$!
    wait "$holder"
    [ "$(cat run/.lock)" = "$holder" ] && [ -s run/model.safetensors ]
    # a lock held (here by this shell, on fd 9) while the file still names the dead pid, as in
    # the moment between a new holder's flock and its writing its pid: not blamed on the dead one
    echo "$dead" > run/.lock
    exec 9< run/.lock
    flock -n 9
    run "$DLC" train iris.yaml --out run --force --quiet 9<&-
    exec 9<&-
    [ "$status" -eq 2 ]
    [[ "$output" == *"run is in use by another process (its lock, run/.lock, is held, but names no live process)"* ]]
    [[ "$output" != *"pid $dead"* ]]
    # two started at once into a new folder: exactly one trains, the other exits 2 naming it
    sed -i 's/epochs: 3/epochs: 100000/' iris.yaml
    "$DLC" train iris.yaml --out race --quiet > a.txt 2>&1 &
    a=$!
    "$DLC" train iris.yaml --out race --quiet > b.txt 2>&1 &
    b=$!
    holder=$a
    for _ in $(seq 200); do ! kill -0 "$a" 2> /dev/null || ! kill -0 "$b" 2> /dev/null && break; sleep 0.05; done
    if kill -0 "$a" 2> /dev/null; then winner=$a loser=$b out=b.txt; else winner=$b loser=$a out=a.txt; fi
    holder=$winner
    wait "$loser" && status=0 || status=$?
    [ "$status" -eq 2 ]
    grep -qF "race is in use by another dlc process (pid $winner)" "$out"
    kill -0 "$winner"
    kill -INT "$winner"
    wait "$winner" && status=0 || status=$?
    [ "$status" -eq 130 ]
}

@test "temporaries of killed runs are removed when a run starts or resumes" {
    iris_copy 3
    dead=$(sh -c 'echo $$')
    mkdir -p run/errors
    echo partial > "run/checkpoint.safetensors.tmp.$dead"
    echo partial > "run/errors/err_1.png.tmp.$dead"
    echo busy > "run/model.safetensors.tmp.$$"     # a live process's: kept
    echo mine > "run/notes.tmp.txt"                 # not a temporary's name: kept
    run "$DLC" train iris.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"removed 2 temporary files left by killed runs in run"* ]]
    [ ! -e "run/checkpoint.safetensors.tmp.$dead" ]
    [ ! -e "run/errors/err_1.png.tmp.$dead" ]
    [ -e "run/model.safetensors.tmp.$$" ]
    [ -e run/notes.tmp.txt ]
    echo partial > "run/checkpoint.safetensors.tmp.$dead"
    sed -i 's/epochs: 3/epochs: 4/' iris.yaml
    run "$DLC" train iris.yaml --out run --resume --quiet
    [ "$status" -eq 0 ]
    [ ! -e "run/checkpoint.safetensors.tmp.$dead" ]
}

@test "arguments longer than their buffers are errors, never cut" {
    iris_copy 3
    long=$(printf 'd%.0s' $(seq 3000))
    run "$DLC" train iris.yaml --out "$long"
    [ "$status" -eq 2 ]
    [[ "$output" == *"the run folder's path is 3000 characters long; at most 2047"* ]]
    [ ! -e "$(printf 'd%.0s' $(seq 2047))" ]
    run "$DLC" train iris.yaml --seed "$(printf '1%.0s' $(seq 120))"
    [ "$status" -eq 2 ]
    [[ "$output" == *"--seed"* ]]
    run "$DLC" eval "$(printf 'r%.0s' $(seq 5000))"
    [ "$status" -eq 2 ]
    [[ "$output" == *"5000 characters long; at most 4095"* ]]
    # an option's value too, which was let through
    run "$DLC" analyze run --tags "$(printf 't%.0s' $(seq 5000))"
    [ "$status" -eq 2 ]
    [[ "$output" == *"argument 3 is 5000 characters long; at most 4095"* ]]
    # a message quoting a long argument keeps what is wrong with it, at its end
    # (it used to be the argument alone: a path of 3,000 characters filled it)
    run "$DLC" train "/tmp/$long.yaml"
    [ "$status" -eq 2 ]
    [[ "$output" == "dlc: error: /tmp/ddd"*"ddd ... ddd"*"ddd.yaml: cannot open: File name too long" ]]
    run "$DLC" train iris.yaml --out run --set "name=$long"
    [ "$status" -eq 2 ]
    [[ "$output" == *"--set name=ddd"*"... (3005 characters): key 'name': too long (at most 127 characters)"* ]]
    run "$DLC" leaderboard "$ROOT/configs/sweeps/softmax_iris_grid.yaml" --dir "$long"
    [ "$status" -eq 2 ]
    [[ "$output" == *"--dir is 3000 characters long"* ]]
    # a config whose file name is too long to name the run must say so
    name=$(printf 'n%.0s' $(seq 200))
    cp iris.yaml "$name.yaml"
    sed -i '/^name:/d' "$name.yaml"
    run "$DLC" summary "$name.yaml"
    [ "$status" -eq 2 ]
    [[ "$output" == *"too long to name the run"* ]]
}

# st_set_meta FILE KEY VALUE: sets (or, with VALUE "-", removes) a metadata
# entry of a safetensors file in place (the header is rewritten with jq).
st_set_meta() {
    local f=$1 key=$2 val=$3 n hdr new len
    n=$(od -An -tu8 -N8 "$f" | tr -d ' ')
    hdr=$(head -c $((8 + n)) "$f" | tail -c "$n")
    if [ "$val" = "-" ]; then
        new=$(printf '%s' "$hdr" | jq -c --arg k "$key" 'del(.__metadata__[$k])')
    else
        new=$(printf '%s' "$hdr" | jq -c --arg k "$key" --arg v "$val" '.__metadata__[$k] = $v')
    fi
    len=$(printf '%s' "$new" | LC_ALL=C wc -c)
    {
        printf "$(printf '\\%03o' $((len & 255)) $((len >> 8 & 255)) $((len >> 16 & 255)) $((len >> 24 & 255)) 0 0 0 0)"
        printf '%s' "$new"
        tail -c +$((9 + n)) "$f"
    } > "$f.new"
    mv "$f.new" "$f"
}

@test "checkpoint counters out of range are refused, not trained on" {
    iris_copy 4
    run "$DLC" train iris.yaml --out run --quiet
    [ "$status" -eq 0 ]
    cp run/checkpoint.safetensors good.safetensors
    for bad in "epoch 5" "epoch 2147483648" "epoch 99999999999" "step 100000" "optim_t 99999" \
        "best_epoch 7" "bad_epochs -1" "stopped_early 2" "best_metric nonsense" "epoch -3"; do
        cp good.safetensors run/checkpoint.safetensors
        st_set_meta run/checkpoint.safetensors ${bad% *} "${bad#* }"
        run timeout 60 "$DLC" train iris.yaml --out run --resume --quiet
        echo "$bad: $output"
        [ "$status" -eq 2 ]
        [[ "$output" == *checkpoint.safetensors* ]]
    done
    # the untouched checkpoint still resumes (the test's rewriting is sound)
    cp good.safetensors run/checkpoint.safetensors
    st_set_meta run/checkpoint.safetensors epoch 4
    run "$DLC" train iris.yaml --out run --resume --quiet
    [ "$status" -eq 0 ]
}

@test "model file metadata is checked: shape, classes, missing parts" {
    iris_copy 3
    run "$DLC" train iris.yaml --out run --quiet
    [ "$status" -eq 0 ]
    cp run/model.safetensors good.safetensors
    check() { # KEY VALUE EXPECTED-MESSAGE (the classes as files before "heads" held them)
        cp good.safetensors run/model.safetensors
        st_set_meta run/model.safetensors heads -
        st_set_meta run/model.safetensors "$1" "$2"
        run "$DLC" eval run
        echo "$1=$2: $output"
        [ "$status" -eq 2 ]
        [[ "$output" == *"$3"* ]]
    }
    check data_shape '[1e300]' "metadata 'data_shape' size 0 is not a whole number"
    check data_shape '[4.5]' "metadata 'data_shape'"
    check data_shape '"four"' "metadata 'data_shape' is not a list"
    check classes '["a","b","a"]' "metadata names the class 'a' twice"
    check config - "without its 'config' metadata"
    check format - "not a dlc model file"
}

@test "class names and tokens carrying terminal escapes are printed escaped" {
    {
        echo "x,y,label"
        for i in $(seq 1 40); do
            printf '%d,%d,%s\n' "$i" $((i % 7)) $'\e]0;pwned\a'
            printf '%d,%d,plain\n' $((i + 50)) $((i % 5))
        done
    } > esc.csv
    cat > esc.yaml <<YAML
name: esc
data: {format: csv, train: {file: esc.csv}, label: label, split: {dev: 0.25}}
model: {layers: [{type: dense, units: 2, activation: softmax}]}
train: {epochs: 2, batch_size: 16}
YAML
    run "$DLC" train esc.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" != *$'\e'* ]]
    [[ "$output" == *'\x1b]0;pwned\x07'* ]]
    run "$DLC" eval run --split dev
    [ "$status" -eq 0 ]
    [[ "$output" != *$'\e'* ]]
    [[ "$output" == *'\x1b]0;pwned\x07'* ]]
    # in an error message too: a label the model does not know
    printf '1,2,\e[8mhidden\n' >> esc.csv
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" != *$'\e'* ]]
    [[ "$output" == *'\x1b[8mhidden'* ]]
}

@test "a character language model's newline and space tokens are visible in its per-class table" {
    for i in $(seq 1 30); do echo "ab ba ab"; done > text.txt
    cat > lm.yaml <<YAML
name: lm
data: {format: text, train: {file: text.txt}, split: {dev: 0.2}, text: {task: lm, tokens: chars, seq_len: 8}}
model: {layers: [{type: embedding, units: 4}, {type: rnn, units: 8}, {type: dense, units: auto}]}
train: {epochs: 1, batch_size: 4}
YAML
    run "$DLC" train lm.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *$'\n\\n '* ]]      # the newline token's row: \n
    [[ "$output" == *$'\n\xe2\x90\xa0 '* ]]   # the space token's row: U+2420
}

# nan_weights FILE [norm]: every tensor of a safetensors file but the
# normalization (norm.*; with "norm": only those) becomes NaN (0xffffffff), in place.
nan_weights() {
    local f=$1 n hdr want=false
    [ "${2:-}" = norm ] && want=true
    n=$(od -An -tu8 -N8 "$f" | tr -d ' ')
    hdr=$(head -c $((8 + n)) "$f" | tail -c "$n")
    printf '%s' "$hdr" | jq -r --argjson want "$want" 'to_entries[] | select(.key != "__metadata__" and ((.key | startswith("norm.")) == $want))
                                | "\(.value.data_offsets[0]) \(.value.data_offsets[1])"' |
        while read -r a b; do
            head -c $((b - a)) /dev/zero | tr '\0' '\377' |
                dd of="$f" bs=65536 seek=$((8 + n + a)) oflag=seek_bytes conv=notrunc status=none
        done
}

@test "NaN weights: every JSON dlc writes parses, with null and a warning, never nan" {
    iris_copy 3
    run "$DLC" train iris.yaml --out run --quiet
    [ "$status" -eq 0 ]
    nan_weights run/model.safetensors
    nan_weights run/checkpoint.safetensors
    # eval --json
    run "$DLC" eval run --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.loss == null and .accuracy == null and .metric.value == null'
    echo "$output" | jq -e '.warnings | length > 0 and (.[0] | test("loss is NaN"))'
    # a NaN normalization is refused when the model loads
    cp run/model.safetensors nan.safetensors
    nan_weights run/model.safetensors norm
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" == *"normalization value 0 is not finite"* ]]
    cp nan.safetensors run/model.safetensors
    # report.json: a finished run resumed with NaN weights evaluates them
    run "$DLC" train iris.yaml --out run --resume --quiet
    [ "$status" -eq 0 ]
    jq -e '.splits.dev.loss == null and .splits.dev.accuracy == null' run/report.json
    jq -e '.warnings | length >= 3' run/report.json
    jq -e '.diagnosis.errors.dev == null' run/report.json
    # analyze --json on that run
    run "$DLC" analyze run --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.dev_error == null and (.warnings | length) == 1'
    # predict --json on an image model
    cat > cnn.yaml <<YAML
name: cnn
data: {format: image_folder, train: {dir: $ROOT/tests/data/images/train}}
model: {input: [1, 28, 28], layers: [{type: flatten}, {type: dense, units: 5, activation: softmax}]}
train: {epochs: 1, batch_size: 8}
YAML
    run "$DLC" train cnn.yaml --out img --quiet
    [ "$status" -eq 0 ]
    nan_weights img/model.safetensors
    run "$DLC" predict img "$ROOT/tests/data/images/test/8-bag" --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '[.predictions[].top[].probability] | all(. == null)'
    echo "$output" | jq -e '.warnings[0] | test("not finite")'
    # and with finite weights the warnings are empty
    run "$DLC" train cnn.yaml --out img --force --quiet
    run "$DLC" predict img "$ROOT/tests/data/images/test/8-bag" --json
    echo "$output" | jq -e '.warnings == [] and ([.predictions[].top[].probability] | all(. >= 0))'
}

@test "configs and models that are not regular files, or too large, are refused at once" {
    iris_copy 3
    run timeout 20 "$DLC" train /dev/zero
    [ "$status" -eq 2 ]
    [[ "$output" == *"/dev/zero: is a character device, not a regular file"* ]]
    mkfifo pipe.yaml
    run timeout 20 "$DLC" train pipe.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"pipe.yaml: is a FIFO (named pipe), not a regular file"* ]]
    mkdir folder.yaml
    run "$DLC" train folder.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"folder.yaml: is a folder, not a regular file"* ]]
    ln -s missing.yaml broken.yaml
    run "$DLC" train broken.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"broken.yaml: a broken symbolic link"* ]]
    truncate -s 65M big.yaml
    run "$DLC" summary big.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"big.yaml: too large"* ]]
    # a folder where the model file should be
    mkdir -p run/model.safetensors
    run "$DLC" eval run
    [ "$status" -eq 2 ]
    [[ "$output" == *"model.safetensors: is a folder, not a regular file"* ]]
}

@test "hostile image files: refused by content with a reason, none hangs; FIFOs and broken links are bad files" {
    cat > cnn.yaml <<YAML
name: cnn
data: {format: image_folder, train: {dir: imgs}, bad_files: fail}
model: {input: [1, 28, 28], layers: [{type: flatten}, {type: dense, units: 2, activation: softmax}]}
train: {epochs: 1, batch_size: 4}
YAML
    mkdir -p imgs/a imgs/b
    cp "$ROOT"/tests/data/images/train/0-tshirt_top/*.png imgs/a/
    cp "$ROOT"/tests/data/images/train/8-bag/*.png imgs/b/
    run "$DLC" train cnn.yaml --out run --quiet
    [ "$status" -eq 0 ]
    f=$(ls imgs/a/*.png | head -1)
    # a Radiance HDR file named .png: refused by content (its decoder looped)
    printf '#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 2\n\002\002\000\002' > hdr.png
    run timeout 20 "$DLC" predict run hdr.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"hdr.png: a Radiance HDR image; dlc reads PNG, JPEG, BMP and GIF"* ]]
    # a 12-byte PGM of height 0 (it aborted in the resizer)
    printf 'P5\n4 0\n255\n' > zero.pgm
    run timeout 20 "$DLC" predict run zero.pgm
    [ "$status" -eq 2 ]
    # half a PNG
    head -c $(($(stat -c %s "$f") / 2)) "$f" > half.png
    run "$DLC" predict run half.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"half.png: PNG image is truncated"* ]]
    # in a training folder: a FIFO, a broken link and a link loop named like images
    mkfifo imgs/b/fifo.png
    ln -s nowhere.png imgs/b/broken.png
    ln -s loop.png imgs/b/loop.png
    run timeout 60 "$DLC" train cnn.yaml --out run --force --quiet
    [ "$status" -eq 2 ]
    [[ "$output" == *"broken.png: a broken symbolic link (set data.bad_files: skip"* ]]
    run timeout 60 "$DLC" train cnn.yaml --out run --force --set data.bad_files=skip
    [ "$status" -eq 0 ]
    [[ "$output" == *"skipped 3 unreadable image files"* ]]
    [[ "$output" == *"fifo.png: is a FIFO (named pipe), not a regular file"* ]]
    [[ "$output" == *"broken.png: a broken symbolic link"* ]]
    [[ "$output" == *"loop.png: a symbolic link loop"* ]]
    # a size limit from the config
    run timeout 60 "$DLC" train cnn.yaml --out run --force --set data.bad_files=skip --set data.max_image_pixels=100
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.max_image_pixels"* ]]
}

# layers_config FILE N: a chain of N layers (N-1 activations, a dense output)
layers_config() {
    {
        echo "name: big"
        echo "data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species}"
        echo "model:"
        echo "  input: [4]"
        echo "  layers:"
        yes "    - {type: activation, activation: relu}" | head -n $(($2 - 1))
        echo "    - {type: dense, units: 3, activation: softmax}"
    } > "$1"
}

# cpu_ms CMD...: runs CMD (output to out.txt) and prints its CPU time (user +
# system) in ms: the machine is shared, so wall time says little.
cpu_ms() {
    local TIMEFORMAT='%3U %3S'
    { time "$@" > out.txt 2>&1; } 2> cpu.txt || true
    awk '{printf "%d\n", ($1 + $2) * 1000}' cpu.txt
}

@test "a config of 40,000 layers loads in linear time; more than 100,000 are refused" {
    layers_config big.yaml 40000
    ms=$(cpu_ms "$DLC" summary big.yaml)
    echo "40,000 layers: $ms ms of CPU"
    grep -q "total params: 15" out.txt
    [ "$ms" -lt 6000 ]   # 15 s of CPU before; 0.3 s after (1.5 s under AddressSanitizer)
    # the same count through a block repeated 100 times (400 layers each, named)
    {
        echo "name: blocks"
        echo "data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species}"
        echo "model:"
        echo "  input: [4]"
        echo "  blocks:"
        echo "    many:"
        echo "      layers:"
        for i in $(seq 400); do echo "        - {name: a$i, type: activation, activation: relu}"; done
        echo "  layers:"
        echo "    - {type: block, block: many, repeat: 100}"
        echo "    - {type: dense, units: 3, activation: softmax}"
    } > blocks.yaml
    ms=$(cpu_ms "$DLC" summary blocks.yaml)
    echo "40,000 layers from a block: $ms ms of CPU"
    grep -q "total params: 15" out.txt
    [ "$ms" -lt 6000 ]
    layers_config huge.yaml 100001
    run "$DLC" summary huge.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"100001 layers (blocks expanded"*"at most 100000 are allowed"* ]]
    sed -i 's/repeat: 100}/repeat: 300}/' blocks.yaml
    run "$DLC" summary blocks.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"expands the model past 100000 layers"* ]]
}

#!/usr/bin/env bats
# task_trial.bats - a new user's trial of the task-specific commands: object
# detection, style transfer, word vectors and text models, each with the
# input a new user gets wrong (the wrong kind of run, of file, of corpus).
load helpers

# words.txt: 400 lines of six words over a vocabulary of 10, one of them
# with backspaces in it, as fortune files underline ("_\b_\bn").
corpus_with_controls() {
    awk 'BEGIN { srand(2); split("red green blue one two three cat dog sun", w, " ");
        for (l = 0; l < 400; l++) { s = ""; for (k = 0; k < 6; k++) s = s (k ? " " : "") w[int(rand() * 9) + 1];
            if (l % 3 == 0) s = s " _\b_\bn"; print s } }' > words.txt
    cat > emb.yaml <<YAML
name: words
seed: 1
threads: 1
data:
  format: text
  train: {file: words.txt}
  text: {tokens: words}
embed: {method: skipgram, dim: 8, window: 2, negatives: 3, sample: 0, epochs: 2}
YAML
}

@test "embed: words with control bytes are read back from every file and escaped on the terminal; a word in another case is named" {
    corpus_with_controls
    "$DLC" embed emb.yaml --out run --quiet
    grep -q $'^_\b_\bn ' run/vectors.txt
    for f in run run/vectors.txt run/vectors.bin run/glove.txt; do
        run "$DLC" embed "$f" --neighbours red --top-k 3
        [ "$status" -eq 0 ]
        # (words drawn at random do not part: the warning that says so is left out)
        [ "$(echo "$output" | grep -vc '^dlc: warning: .*the vectors have not separated yet')" -eq 3 ]
    done
    # the word itself, escaped on the terminal
    run "$DLC" embed run/vectors.txt --neighbours $'_\b_\bn' --top-k 1
    [ "$status" -eq 0 ]
    run "$DLC" embed run --neighbours red --top-k 9
    [ "$status" -eq 0 ]
    [[ "$output" == *'_\x08_\x08n '* ]]
    ! printf '%s' "$output" | grep -q $'\b' || false
    run "$DLC" embed run --analogy red $'_\b_\bn' blue
    [ "$status" -eq 0 ]
    [[ "$output" == *'red is to _\x08_\x08n as blue is to:'* ]]
    # a word in another case: the one the vectors have is named
    run "$DLC" embed run --neighbours Red
    [ "$status" -eq 2 ]
    [[ "$output" == *"'Red' is not in the vocabulary of run (10 words); 'red' is (a query matches case exactly)"* ]]
    run "$DLC" embed run --neighbours $'x\e[31m'
    [ "$status" -eq 2 ]
    [[ "$output" == *"'x\x1b[31m' is not in the vocabulary"* ]]
}

@test "a run of the wrong kind, or a config file, is named for what it is (exit 2)" {
    corpus_with_controls
    "$DLC" embed emb.yaml --out vec --quiet
    echo "1 2 3" > row.txt
    for cmd in "eval vec" "predict vec row.txt" "predict vec --prompt hi" "summary vec" "verify vec a.png b.png" "analyze vec"; do
        run "$DLC" $cmd
        [ "$status" -eq 2 ]
        [[ "$output" == *"vec holds word vectors learned by dlc embed, not a model: dlc ${cmd%% *} takes the run folder of a trained model"* ]]
        [[ "$output" == *"dlc embed vec --neighbours WORD"* ]]
    done
    iris_config
    "$DLC" train iris.yaml --out iris --quiet
    run "$DLC" embed iris --neighbours red
    [ "$status" -eq 2 ]
    [[ "$output" == *"iris is a run of dlc train, not of dlc embed: it has no word vectors"* ]]
    # a config where a run is meant: the run's own config names its folder
    run "$DLC" eval iris.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"iris.yaml is a config file; dlc eval takes a run folder"* ]]
    run "$DLC" predict iris/config.yaml "$ROOT/data/iris.csv"
    [ "$status" -eq 2 ]
    [[ "$output" == *"iris/config.yaml is a run's config file; dlc predict takes the run folder: dlc predict iris"* ]]
    # summary takes configs
    run "$DLC" summary iris/config.yaml
    [ "$status" -eq 0 ]
    # sliding windows on a model of rows: the model is named, not the image
    run "$DLC" predict iris "$ROOT/tests/data/images/other/sneaker_rgb_56.png" --windows
    [ "$status" -eq 2 ]
    [[ "$output" == *"iris is not a model of images (channels, height, width): --windows slides an image classifier"* ]]
}

# A small LSTM language model on the fables: FILE, tokens (chars | words),
# the split's contents, and more text keys (", min_count: 1").
fables_lm() {
    cat > "$1" <<YAML
name: lm
seed: 2
data:
  format: text
  train: {file: $ROOT/tests/data/text/fables.txt}
  split: {$3}
  text: {task: lm, tokens: $2, seq_len: 8$4}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: lstm, units: 8}
    - {type: dense, units: auto}
train: {epochs: 1, batch_size: 8}
YAML
}

# A small YOLO run on a generated shapes set (seconds).
yolo_run() {
    "$MAKE_SHAPES" shapes --train 32 --dev 8 --test 4 > /dev/null
    cat > yolo.yaml <<YAML
name: yolo
seed: 2
data:
  format: detection
  train: {dir: shapes/train}
  dev: {dir: shapes/dev}
  test: {dir: shapes/test}
  detection: {names: shapes/shapes.names, max_objects: 6}
model:
  input: [3, 64, 64]
  layers:
    - {type: conv2d, filters: 8, kernel: 3, padding: same, activation: relu}
    - {type: maxpool, kernel: 8}
    - {name: grid, type: conv2d, filters: 16, kernel: 1}
  outputs:
    - {layer: grid, loss: yolo, anchors: [[0.2, 0.2], [0.4, 0.4]], score: 0.1}
train: {epochs: 1, batch_size: 16}
YAML
    "$DLC" train yolo.yaml --out yolo --quiet
}

@test "predict on a detection run: options it does not take, and a picture it cannot write, before any work (exit 2)" {
    MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"
    yolo_run
    run "$DLC" predict yolo shapes/test/00000.png --top-k 2
    [ "$status" -eq 2 ]
    [[ "$output" == *"--top-k is for classifiers: a detection model prints every box scoring at least --score"* ]]
    run "$DLC" predict yolo shapes/test/00000.png --draw boxes.jpg
    [ "$status" -eq 2 ]
    [[ "$output" == *"--draw boxes.jpg: dlc writes a PNG image; name it .png"* ]]
    [ ! -e boxes.jpg ]
    run "$DLC" predict yolo shapes/test/00000.png --draw no/such/folder/boxes.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"--draw no/such/folder/boxes.png: cannot write into no/such/folder"* ]]
    run "$DLC" predict yolo shapes/test/00000.png --draw BOXES.PNG --score 0.01
    [ "$status" -eq 0 ]
    [ -s BOXES.PNG ]
}

@test "embed: a text too small for subsampling, or with one word a line, is said, not trained as NaN" {
    corpus_with_controls
    # one word a line: skip-gram has no context anywhere (GloVe said so, skip-gram trained nothing)
    printf 'red\ngreen\nblue\none\ntwo\nred\n' > perline.txt
    run "$DLC" embed emb.yaml --out run --set data.train.file=perline.txt --set embed.negatives=2
    [ "$status" -eq 2 ]
    [[ "$output" == *"perline.txt: no line holds two words of the vocabulary: nothing to learn from"* ]]
    [[ "$output" != *nan* ]]
    run "$DLC" embed emb.yaml --out run --set data.train.file=perline.txt --set embed.negatives=2 --set embed.method=cbow
    [ "$status" -eq 2 ]
    # two words, subsampled at 1e-3: each is kept with probability 0.05 or so
    printf 'red green\n' > two.txt
    run "$DLC" embed emb.yaml --out run --set data.train.file=two.txt --set embed.negatives=1 --set embed.sample=1e-3
    [ "$status" -eq 2 ]
    [[ "$output" == *"two.txt: subsampling (embed.sample = 0.001) kept no two words of a line together in any of the 2 epochs"* ]]
    [[ "$output" != *nan* ]]
    run "$DLC" embed emb.yaml --out run --set data.train.file=two.txt --set embed.negatives=1 --set embed.sample=0
    [ "$status" -eq 0 ]
    [[ "$output" != *nan* ]]
    # a line of 13 words: some epochs train nothing; they say so, metrics.csv leaves the loss empty
    echo "the cat sat on the mat and the dog sat on the log" > one.txt
    run "$DLC" embed emb.yaml --out run --force --set data.train.file=one.txt --set embed.negatives=2 --set embed.sample=1e-3 --set embed.epochs=8
    [ "$status" -eq 0 ]
    [[ "$output" != *nan* ]]
    [[ "$output" == *"loss -  (nothing trained: subsampling kept no two words of a line"* ]]
    ! grep -q nan run/metrics.csv || false
    jq -e '.loss > 0' run/report.json
}

@test "yolo: the epoch line says found, not acc; early stopping on that figure is refused" {
    MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"
    yolo_run
    run "$DLC" train yolo.yaml --out y2
    [ "$status" -eq 0 ]
    [[ "$output" == *"epoch   1 "*"  found "*"%  dev_loss "*"  dev_found "*"%"* ]]
    [[ "$output" != *" acc "* ]]
    run "$DLC" train yolo.yaml --out y3 --set train.early_stopping.metric=dev_accuracy
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'train.early_stopping.metric': dev_accuracy of a yolo output is the share of objects"*"use dev_loss"* ]]
    sed -i 's/^train: {epochs: 1, batch_size: 16}/train: {epochs: 1, batch_size: 16, early_stopping: {metric: dev_accuracy, patience: 2}}/' yolo.yaml
    run "$DLC" train yolo.yaml --out y3
    [ "$status" -eq 2 ]
    [[ "$output" == *"yolo.yaml:17: key 'train.early_stopping.metric'"* ]]
    run "$DLC" train yolo.yaml --out y3 --set train.early_stopping.metric=dev_loss
    [ "$status" -eq 0 ]
    # eval's first line calls a yolo split's figure what it is
    run "$DLC" eval y3
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "test: 4 examples  loss "*"  mAP@0.5 0."*"  error (1 - mAP@0.5) "*"%" ]]
    [[ "${lines[0]}" != *accuracy* ]]
}

@test "detection: images of another size than model.input are resized, and the note says how many" {
    MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"
    yolo_run
    "$MAKE_SHAPES" big --size 96 --train 3 --dev 0 --test 0 > /dev/null
    for f in big/train/*.png; do
        b=$(basename "$f" .png)
        cp "$f" "shapes/train/big_$b.png"
        cp "big/train/$b.txt" "shapes/train/big_$b.txt"
    done
    run "$DLC" train yolo.yaml --out y2
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: 3 of 47 images resized to 64 x 64, 0 converted to RGB"* ]]
}

@test "predict on a language model: a prompt's unknown characters are said; options of --text are refused" {
    fables_lm lm.yaml chars "dev: 0.1"
    "$DLC" train lm.yaml --out lm --quiet
    run "$DLC" predict lm --prompt $'\u20ac\u20ac the' --length 3
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: 2 of the prompt's 6 characters are not in the model's vocabulary: the model reads them as <unk>"* ]]
    run "$DLC" predict lm --prompt "the" --length 3
    [ "$status" -eq 0 ]
    [[ "$output" != *"note:"* ]]
    run "$DLC" predict lm --prompt "the" --top-k 2
    [ "$status" -eq 2 ]
    [[ "$output" == *"--top-k goes with --text"* ]]
    run "$DLC" predict lm --text "the" --temperature 0.5
    [ "$status" -eq 2 ]
    [[ "$output" == *"--length and --temperature go with --prompt"* ]]
}

@test "predict on a text classifier: an empty text is refused, words it never saw are counted" {
    awk 'BEGIN { srand(3); split("red green blue pink", c, " "); split("one two three four", n, " ");
        print "label	text";
        for (l = 0; l < 200; l++) { s = ""; for (w = 0; w < 6; w++) s = s (w ? " " : "") (l % 2 ? n[int(rand() * 4) + 1] : c[int(rand() * 4) + 1]);
            print (l % 2 ? "number" : "colour") "	" s } }' > topics.tsv
    cat > cls.yaml <<YAML
name: cls
data:
  format: text
  train: {file: topics.tsv}
  label: label
  split: {dev: 0.2}
  text: {task: classify, tokens: words, seq_len: 8, column: text}
model:
  layers:
    - {type: embedding, units: 4}
    - {type: time_avgpool}
    - {type: dense, units: auto}
train: {epochs: 1, batch_size: 16}
YAML
    "$DLC" train cls.yaml --out cls --quiet
    for t in "" "   "; do
        run "$DLC" predict cls --text "$t"
        [ "$status" -eq 2 ]
        [[ "$output" == *"--text: the text has no words to read"* ]]
    done
    run "$DLC" predict cls --text "red zebra blue"
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: 1 of the text's 3 words is not in the model's vocabulary: the model reads it as <unk>"* ]]
    run "$DLC" predict cls --text "red blue"
    [ "$status" -eq 0 ]
    [[ "$output" != *"note:"* ]]
}

@test "detection: a split of background images only says why its mAP is null" {
    MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"
    yolo_run
    mkdir bg
    cp shapes/test/00000.png shapes/test/00001.png bg/
    run "$DLC" eval yolo --set data.test.dir=bg
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: split test has no objects (2 background images): its mAP is undefined (null); its figure is the "*" false positives at score 0.1"* ]]
    "$DLC" eval yolo --set data.test.dir=bg --json | jq -e '.detection.map50 == null and (.warnings | length) == 1'
    # with objects, no such warning
    "$DLC" eval yolo --json | jq -e '[.warnings[] | select(test("no objects"))] | length == 0'
    # object slots other than the model's: said, with both sides
    run "$DLC" eval yolo --set data.detection.max_objects=9
    [ "$status" -eq 2 ]
    [[ "$output" == *"the data no longer matches the model: 12288 values and 45 targets per example, where the model takes 12288 and 30 (a detection model's object slots are as trained"* ]]
}

@test "text: the share of train tokens read as <unk> is said, and warned of when it is large" {
    fables_lm wl.yaml words "dev: 0.1" ", min_count: 1"
    run "$DLC" train wl.yaml --out a
    [ "$status" -eq 0 ]
    [[ "$output" == *"text: vocabulary of "*" tokens; "* ]]
    [[ "$output" != *"are <unk>"* ]]
    run "$DLC" train wl.yaml --out b --set data.text.min_count=8
    [ "$status" -eq 0 ]
    [[ "$output" =~ text:\ vocabulary\ of\ [0-9]+\ tokens\ \(([0-9.]+)%\ of\ the\ train\ tokens\ are\ \<unk\>\) ]]
    share=${BASH_REMATCH[1]}
    [[ "$output" == *"warning: "*"% of the train tokens are rarer than data.text.min_count = 8 (or past max_vocab) and read as <unk>: the accuracy counts predicting <unk> as right"* ]]
    awk -v s="$share" 'BEGIN { exit !(s >= 25 && s < 100) }'
    # by hand: with every word rare, all 318 words of the 30 lines are <unk>, the 30 line ends not
    sed -i '/split:/d' wl.yaml
    run "$DLC" train wl.yaml --out c --set data.text.min_count=100000
    [ "$status" -eq 0 ]
    [[ "$output" == *"text: vocabulary of 3 tokens (91.4% of the train tokens are <unk>)"* ]]
}

@test "text: a split too short for one example is said to be empty" {
    fables_lm lm.yaml words "dev: 0.001, test: 0.3"
    run "$DLC" train lm.yaml --out a --set data.text.seq_len=20
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: data.split.dev = 0.001 of this text is shorter than one example (seq_len 20): the dev split is empty, so the report has no dev figures"* ]]
    [[ "$output" != *"data.split.test"* ]]
}

@test "detection names: an empty line between names is refused; a class added says the channels it needs" {
    MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"
    yolo_run
    printf 'circle\n\nsquare\ntriangle\n' > gap.names
    run "$DLC" train yolo.yaml --out y2 --set data.detection.names=gap.names
    [ "$status" -eq 2 ]
    [[ "$output" == *"gap.names:2: an empty line among the class names"* ]]
    printf '\ncircle\nsquare\ntriangle\n\n' > ok.names
    run "$DLC" train yolo.yaml --out y2 --set data.detection.names=ok.names
    [ "$status" -eq 0 ]
    printf 'circle\nsquare\ntriangle\nstar\n' > four.names
    run "$DLC" train yolo.yaml --out y3 --set data.detection.names=four.names
    [ "$status" -eq 2 ]
    [[ "$output" == *"yolo needs anchors x (5 + classes) channels"*"(here 2 anchors x (5 + 4 classes) = 18)"* ]]
}

@test "embed: a split nothing reads is refused (window_lm reads a dev part, nothing a test part: it left text unread)" {
    corpus_with_controls
    run "$DLC" embed emb.yaml --out run --set data.split.dev=0.5
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.split': skipgram learns from the train part and reads no dev or test part: the split would leave 50% of the text unread"* ]]
    run "$DLC" embed emb.yaml --out run --set data.split.dev=0.2 --set embed.method=glove
    [ "$status" -eq 2 ]
    # dev and test files likewise
    echo "red green blue" > other.txt
    run "$DLC" embed emb.yaml --out run --set data.dev.file="$PWD/other.txt"
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.dev': skipgram reads no dev text (only window_lm scores one): nothing would read "*"other.txt"* ]]
    run "$DLC" embed emb.yaml --out run --set data.test.file="$PWD/other.txt" --set embed.method=window_lm
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.test': dlc embed reads no test text"* ]]
    # window_lm scores a dev part, but nothing reads a test part
    run "$DLC" embed emb.yaml --out run --set data.split.test=0.25 --set embed.method=window_lm
    [ "$status" -eq 2 ]
    [[ "$output" == *"window_lm learns from the train part, scores the dev part and reads no test part: the split would leave 25% of the text unread; remove split.test"* ]]
    run "$DLC" embed emb.yaml --out run --set data.split.dev=0.2 --set embed.method=window_lm
    [ "$status" -eq 0 ]
    # a vocabulary cut by max_vocab below the negatives: the advice names max_vocab
    run "$DLC" embed emb.yaml --out small --set data.text.max_vocab=3
    [ "$status" -eq 2 ]
    [[ "$output" == *"the vocabulary has 3 words, too few to draw embed.negatives = 3 negatives"*"raise max_vocab"* ]]
    # the run's own config.yaml (every key resolved) runs again
    run "$DLC" embed run/config.yaml --out again
    [ "$status" -eq 0 ]
}

@test "detection: a box under one pixel of the model's input is refused (or its image skipped), naming it" {
    MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"
    yolo_run
    cp shapes/train/00001.txt keep.txt
    echo "0 0.5 0.5 0.000001 0.2" >> shapes/train/00001.txt
    n=$(grep -c . shapes/train/00001.txt)
    run "$DLC" train yolo.yaml --out y2
    [ "$status" -eq 2 ]
    [[ "$output" == *"shapes/train/00001.txt: box $n is 6.4e-05 x 12.8 pixels at the model's 64 x 64 input"* ]]
    run "$DLC" train yolo.yaml --out y2 --set data.bad_files=skip
    [ "$status" -eq 0 ]
    [[ "$output" == *"skipped 1 "* ]]
    # a box at the border clipped to a sliver inside is the same
    cp keep.txt shapes/train/00001.txt
    echo "1 1.0 0.5 0.02 0.3" >> shapes/train/00001.txt
    run "$DLC" train yolo.yaml --out y3
    [ "$status" -eq 2 ]
    [[ "$output" == *"box $n is 0.64 x 19.2 pixels"* ]]
    # one pixel is enough
    cp keep.txt shapes/train/00001.txt
    echo "1 0.5 0.5 0.015625 0.015625" >> shapes/train/00001.txt
    run "$DLC" train yolo.yaml --out y4
    [ "$status" -eq 0 ]
}

@test "eval --set data.test.file on a run that carved its test split: the file is scored, train and dev as trained" {
    iris_config
    "$DLC" train iris.yaml --out iris --quiet
    head -31 "$ROOT/data/iris.csv" > new.csv
    run "$DLC" eval iris --set data.test.file="$PWD/new.csv" --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.split == "test" and .examples == 30'
    # train and dev are the ones training used: the same figures as without the file
    "$DLC" eval iris --split dev --json > dev0.json
    "$DLC" eval iris --split dev --set data.test.file="$PWD/new.csv" --json > dev1.json
    jq -e --slurpfile a dev0.json '.examples == $a[0].examples and .loss == $a[0].loss' dev1.json
    "$DLC" eval iris --split train --json > tr0.json
    "$DLC" eval iris --split train --set data.test.file="$PWD/new.csv" --json > tr1.json
    jq -e --slurpfile a tr0.json '.examples == $a[0].examples and .loss == $a[0].loss' tr1.json
    # a text model likewise
    fables_lm lm.yaml chars "dev: 0.1, test: 0.1"
    "$DLC" train lm.yaml --out lm --quiet
    head -5 "$ROOT/tests/data/text/fables.txt" > five.txt
    run "$DLC" eval lm --set data.test.file="$PWD/five.txt"
    [ "$status" -eq 0 ]
    [[ "$output" == "test: "* ]]
}

@test "pretrained vectors: a dlc embed folder, vectors of another size, vocab.txt: each said for what it is" {
    corpus_with_controls
    "$DLC" embed emb.yaml --out vec --quiet
    cat > tag.yaml <<YAML
name: lm
data:
  format: text
  train: {file: words.txt}
  text: {task: lm, tokens: words, seq_len: 6}
model:
  layers:
    - {type: embedding, units: 4, pretrained: vec/vectors.txt}
    - {type: dense, units: auto}
train: {epochs: 1, batch_size: 16}
YAML
    run "$DLC" train tag.yaml --out t
    [ "$status" -eq 2 ]
    [[ "$output" == *"vec/vectors.txt:1: the header says 8 dimensions, expected 4 (the embedding's units: set units: 8 to use them)"* ]]
    # glove.txt has no header: its words (one with backspaces) and numbers, not "not a text file"
    run "$DLC" train tag.yaml --out t --set model.layers.0.pretrained=vec/glove.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *"vec/glove.txt:1: word '"*"' has 8 numbers, expected 4"* ]]
    run "$DLC" train tag.yaml --out t --set model.layers.0.units=8 --set model.layers.0.pretrained=vec/glove.txt
    [ "$status" -eq 0 ]
    run "$DLC" train tag.yaml --out t2 --set model.layers.0.units=8 --set model.layers.0.pretrained=vec
    [ "$status" -eq 2 ]
    [[ "$output" == *"vec: a folder (dlc embed's run folder?); pretrained: takes one of its files: vec/vectors.txt, vectors.bin or glove.txt"* ]]
    # a word listed twice: the first vector counts, and a note says so
    printf 'red 1 0 0\nblue 0 1 0\nred 0 0 1\ngreen 1 1 0\n' > dup.txt
    run "$DLC" embed dup.txt --neighbours red --top-k 3
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: dup.txt lists 1 word again; the first vector of each is used"* ]]
    [ "$(echo "$output" | grep -c '^red ')" -eq 0 ]
    # a zero vector: every similarity would read 0
    printf 'red 0 0 0\nblue 0 1 0\ngreen 1 1 0\n' > zero.txt
    run "$DLC" embed zero.txt --neighbours red
    [ "$status" -eq 2 ]
    [[ "$output" == *"zero.txt: 'red' has a zero vector, which no word is near or far from"* ]]
    # vocab.txt ("word count") read as vectors of one number: every similarity 1
    run "$DLC" embed vec/vocab.txt --neighbours red
    [ "$status" -eq 2 ]
    [[ "$output" == *"vec/vocab.txt: one number per word, not vectors"* ]]
}

@test "detection: eval's mAP@0.5 and mAP@0.5:0.95 are predict's boxes scored by hand; its NMS is torchvision's batched_nms" {
    MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"
    yolo_run
    "$MAKE_SHAPES" more --train 0 --dev 0 --test 16 --seed 9 > /dev/null
    "$DLC" train yolo.yaml --out y2 --quiet --set train.epochs=40 --set train.optimizer.lr=0.01 \
        --set model.outputs.0.score=0.3 > /dev/null
    "$DLC" eval y2 --set data.test.dir="$PWD/more/test" --json > eval.json
    "$DLC" predict y2 more/test --score 0.01 --json > pred.json
    read -r m50 m < <(python3 "$ROOT/tests/detect/map_check.py" pred.json 3)
    echo "map50 $m50 map $m"
    jq -e --argjson a "$m50" --argjson b "$m" \
        '(.detection.map50 - $a | fabs) < 1e-5 and (.detection.map - $b | fabs) < 1e-5 and .detection.map50 > 0.01' eval.json
    # non-max suppression: predict at --iou 0.5 keeps what torchvision's batched_nms keeps of
    # every box (--iou 1: none suppressed)
    if /usr/bin/python3 -c 'import torchvision' 2> /dev/null; then
        "$DLC" predict y2 more/test --score 0.05 --iou 1 --json > all.json
        "$DLC" predict y2 more/test --score 0.05 --iou 0.5 --json > kept.json
        [ "$(jq '[.predictions[].boxes[]] | length' all.json)" -gt "$(jq '[.predictions[].boxes[]] | length' kept.json)" ]
        /usr/bin/python3 "$ROOT/tests/detect/nms_check.py" all.json kept.json 0.5
    fi
}

@test "detection: Ultralytics' images/ and labels/ folders are read; a train folder with no label file at all is refused" {
    MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"
    yolo_run
    mkdir -p ds/images/train ds/labels/train ds/images/val ds/labels/val
    cp shapes/train/*.png ds/images/train/ && cp shapes/train/*.txt ds/labels/train/
    cp shapes/dev/*.png ds/images/val/ && cp shapes/dev/*.txt ds/labels/val/
    objects=$(cat shapes/train/*.txt | grep -c .)
    sed -e 's|{dir: shapes/train}|{dir: ds/images/train}|; s|{dir: shapes/dev}|{dir: ds/images/val/}|; /test: {dir/d' yolo.yaml > u.yaml
    run "$DLC" train u.yaml --out u
    [ "$status" -eq 0 ]
    jq -e --argjson n "$objects" '.metrics.train.detection.objects == $n' u/report.json
    # the images alone: every one would be background
    mkdir bare && cp shapes/train/*.png bare/
    sed -e 's|{dir: shapes/train}|{dir: bare}|' yolo.yaml > b.yaml
    run "$DLC" train b.yaml --out b
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.train: none of the 32 images in "*"bare has a label file"* ]]
    # a dev or test folder of background images is fine
    mkdir bg && cp shapes/test/*.png bg/
    run "$DLC" eval yolo --set data.test.dir="$PWD/bg"
    [ "$status" -eq 0 ]
}

@test "predict: when the box output finds no object, the landmarks of none are not printed or drawn" {
    MAKE_SHAPES="${MAKE_SHAPES:-$ROOT/build/make_shapes}"
    "$MAKE_SHAPES" tri --mode landmarks --train 48 --dev 8 --test 4 > /dev/null
    cat > lm.yaml <<YAML
name: lm
data:
  format: detection
  train: {dir: tri/train}
  dev: {dir: tri/dev}
  detection: {names: tri/shapes.names, landmarks: 3, max_objects: 1}
model:
  input: [3, 64, 64]
  layers:
    - {type: conv2d, filters: 8, kernel: 5, stride: 4, activation: relu}
    - {name: trunk, type: flatten}
    - {name: box, type: dense, units: 6, inputs: [trunk]}
    - {name: points, type: dense, units: 6, inputs: [trunk]}
  outputs:
    - {layer: box, loss: localize}
    - {layer: points, loss: landmarks}
train: {epochs: 1, batch_size: 16}
YAML
    "$DLC" train lm.yaml --out run --quiet > /dev/null
    f=tri/test/00000.png
    # a threshold no box reaches: "no object", and no landmarks line
    run "$DLC" predict run "$f" --score 1
    [ "$status" -eq 0 ]
    [ "$output" = "$f: no object" ]
    "$DLC" predict run "$f" --score 1 --json | jq -e '.predictions[0] | (.boxes | length) == 0 and (.landmarks | length) == 3 and .p_obj != null'
    # a box found: its landmarks follow
    run "$DLC" predict run "$f" --score 0
    [ "$status" -eq 0 ]
    [[ "${lines[1]}" == "$f: landmarks "* ]]
    # mirrored in training without flip_index: said (the corners would trade places)
    run "$DLC" train lm.yaml --out flip --set data.augment.hflip=true
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: data.augment.hflip mirrors the 3 landmarks, and without data.detection.flip_index each keeps its index"* ]]
    run "$DLC" train lm.yaml --out flip2 --set data.augment.hflip=true --set 'data.detection.flip_index=[0, 2, 1]'
    [ "$status" -eq 0 ]
    [[ "$output" != *"flip_index each keeps"* ]]
}

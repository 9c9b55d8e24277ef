#!/usr/bin/env bats
# Sequence models from the command line: a character language model, a
# tagger and a text classifier train, evaluate and predict; text data errors
# are clear.  The data is tiny and committed (tests/data/text) or written here.
load helpers

FABLES="$ROOT/tests/data/text/fables.txt"

# A small character LSTM language model on the fables, 3 epochs.
charlm_config() {
    cat > "${1:-lm.yaml}" <<YAML
name: charlm
seed: 2
data:
  format: text
  train: {file: $FABLES}
  split: {dev: 0.1}
  text: {task: lm, tokens: chars, seq_len: 16}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: ${2:-lstm}, units: 24}
    - {type: dense, units: auto}
train:
  epochs: ${3:-3}
  batch_size: 8
  optimizer: {type: adam, lr: 0.01}
  clip_norm: 5
YAML
}

@test "a character LSTM language model trains and reports perplexity and bits per character" {
    charlm_config lm.yaml lstm 4
    run "$DLC" train lm.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"text: vocabulary of"*"tokens"* ]]
    [ "$(head -1 run/metrics.csv)" = "epoch,lr,train_loss,train_accuracy,dev_loss,dev_accuracy,seconds,samples_per_s,train_perplexity,dev_perplexity,train_bits_per_char,dev_bits_per_char" ]
    bpc=$(json_figure run/report.json dev bits_per_char)
    ppl=$(json_figure run/report.json dev perplexity)
    loss=$(json_figure run/report.json dev loss)
    awk -v b="$bpc" -v l="$loss" 'BEGIN {d = b - l / log(2); exit !(d < 1e-5 && d > -1e-5)}'
    awk -v p="$ppl" -v l="$loss" 'BEGIN {d = p - exp(l); exit !(d < 1e-3 && d > -1e-3)}'
    # the first epoch's loss falls by the last
    first=$(awk -F, 'NR == 2 {print $3}' run/metrics.csv)
    last=$(awk -F, 'END {print $3}' run/metrics.csv)
    gt "$first" "$last"
    # eval repeats report.json's dev figure (the state carried the same way)
    run "$DLC" eval run --split dev --json
    [ "$status" -eq 0 ]
    got=$(echo "$output" | sed 's/.*"loss": \([0-9.e+-]*\).*/\1/')
    awk -v a="$got" -v b="$loss" 'BEGIN {exit !((a - b) < 1e-5 && (b - a) < 1e-5)}'
}

@test "a word-level language model reports bits per word and samples words" {
    charlm_config lm.yaml lstm 8
    run "$DLC" train lm.yaml --out run --set data.text.tokens=words --set data.text.lowercase=true \
        --set data.text.seq_len=6 --set data.split.dev=0.2
    [ "$status" -eq 0 ]
    vocab=$(sed -n 's/.*text: vocabulary of \([0-9]*\) tokens.*/\1/p' <<< "$output")
    [ "$vocab" -gt 20 ]
    bpw=$(json_figure run/report.json train bits_per_word)
    ppl=$(json_figure run/report.json train perplexity)
    ! grep -q bits_per_char run/report.json || false
    # better than guessing uniformly over the vocabulary
    gt "$vocab" "$ppl"
    awk -v b="$bpw" -v p="$ppl" 'BEGIN {d = b - log(p) / log(2); exit !(d < 1e-4 && d > -1e-4)}'
    run "$DLC" predict run --prompt "the fox" --length 12 --seed 3
    [ "$status" -eq 0 ]
    [[ "$output" == "the fox "* ]]
    [ "$(wc -w <<< "$output")" -ge 8 ]
}

@test "GRU (both forms) and RNN language models train" {
    for cell in gru rnn; do
        charlm_config lm.yaml $cell 1
        run "$DLC" train lm.yaml --out run_$cell
        [ "$status" -eq 0 ]
    done
    run "$DLC" train lm.yaml --out run_simple --set model.layers.1.type=gru \
        --set model.layers.1.variant=simplified
    [ "$status" -eq 0 ]
    run "$DLC" summary run_simple
    [ "$status" -eq 0 ]
    [[ "$output" == *"gru"* ]]
}

@test "sampling from a language model is deterministic per seed" {
    charlm_config lm.yaml lstm 2
    "$DLC" train lm.yaml --out run --quiet
    run "$DLC" predict run --prompt "The fox" --length 80 --seed 7
    [ "$status" -eq 0 ]
    [[ "$output" == "The fox"* ]]
    a="$output"
    run "$DLC" predict run --prompt "The fox" --length 80 --seed 7
    [ "$output" = "$a" ]
    run "$DLC" predict run --prompt "The fox" --length 80 --seed 8
    [ "$output" != "$a" ]
    # temperature 0: the most likely characters, the same whatever the seed
    g1=$("$DLC" predict run --prompt "The" --length 30 --temperature 0 --seed 1)
    g2=$("$DLC" predict run --prompt "The" --length 30 --temperature 0 --seed 2)
    [ "$g1" = "$g2" ]
    [ "${#g1}" -eq 33 ]
    # an empty prompt starts as after a line end
    run "$DLC" predict run --prompt "" --length 20
    [ "$status" -eq 0 ]
}

@test "predict refuses the wrong mode and bad options" {
    charlm_config lm.yaml lstm 1
    "$DLC" train lm.yaml --out run --quiet
    run "$DLC" predict run --text "hello"
    [ "$status" -eq 2 ]
    [[ "$output" == *"is a language model: use --prompt"* ]]
    run "$DLC" predict run --prompt "a" --temperature -1
    [ "$status" -eq 2 ]
    [[ "$output" == *"--temperature needs a number"* ]]
    run "$DLC" predict run --prompt "a" --text "b"
    [ "$status" -eq 2 ]
    run "$DLC" predict run --prompt "a" --json
    [ "$status" -eq 2 ]
    [[ "$output" == *"--json goes with input files: --prompt and --text print plain text (for a classifier's or tagger's JSON give the text as a file, or on the standard input: echo TEXT | dlc predict RUN - --json)"* ]]
    run "$DLC" predict run
    [ "$status" -eq 2 ]
    echo "x" > some.png
    run "$DLC" predict run some.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"is a text model: give --prompt TEXT"* ]]
    run "$DLC" predict run --prompt $'bad \xff'
    [ "$status" -eq 2 ]
    [[ "$output" == *"invalid UTF-8"* ]]
}

@test "a stateful language model resumes exactly" {
    charlm_config lm.yaml lstm 3
    "$DLC" train lm.yaml --out full --threads 1 --quiet
    "$DLC" train lm.yaml --out part --threads 1 --quiet --set train.epochs=1
    "$DLC" train lm.yaml --out part --threads 1 --quiet --resume
    diff <(metrics_no_time full/metrics.csv) <(metrics_no_time part/metrics.csv)
    cmp full/model.safetensors part/model.safetensors
}

@test "a two-layer bidirectional LSTM tagger learns the tags and tags new text" {
    tagged_data tags.txt
    cat > tag.yaml <<YAML
name: tagger
data:
  format: text
  train: {file: tags.txt}
  split: {test: 0.1}
  text: {task: tag, tokens: words, seq_len: 8}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: lstm, units: 12, bidirectional: true}
    - {type: lstm, units: 12, bidirectional: true}
    - {type: dense, units: auto}
train:
  epochs: 8
  batch_size: 16
  optimizer: {type: adam, lr: 0.02}
YAML
    run "$DLC" train tag.yaml --out run
    [ "$status" -eq 0 ]
    acc=$(json_figure run/report.json test accuracy)
    gt "$acc" 0.95
    run "$DLC" predict run --text "the wolf heard a cat ."
    [ "$status" -eq 0 ]
    [ "$output" = "the/DET wolf/NOUN heard/VERB a/DET cat/NOUN ./PUNCT" ]
    # a file of sentences, one a line: each tagged as --text tags it (a long one in pieces)
    printf 'the wolf heard a cat .\n\nthe fox saw a crow . the dog ate a boy .\n' > s.txt
    long=$("$DLC" predict run --text "the fox saw a crow . the dog ate a boy .")
    run "$DLC" predict run s.txt --quiet
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "s.txt:1: the/DET wolf/NOUN heard/VERB a/DET cat/NOUN ./PUNCT" ]
    [ "${lines[1]}" = "s.txt:3: $long" ]
    [ "${#lines[@]}" -eq 2 ]
    # the standard input, as -
    run bash -c "'$DLC' predict run - --quiet < s.txt"
    [ "${lines[1]}" = "-:3: $long" ]
    # --json: each text's tokens, as written, with their tags and probabilities
    "$DLC" predict run s.txt --json > s.json
    [[ "$(tr -d '\n' < s.json)" == *'"predictions": [    {"file": "s.txt", "row": 1, "line": 1, "tokens": [{"token": "the", "tag": "DET", "id": '*', "probability": 0.'*'}, {"token": "wolf", "tag": "NOUN", '* ]]
    if [ -x /usr/bin/python3 ]; then
        /usr/bin/python3 - "$long" <<'PY'
import json, sys
d = json.load(open("s.json"))
p = d["predictions"]
assert [(x["row"], x["line"]) for x in p] == [(1, 1), (2, 3)], p
for x in p:
    for t in x["tokens"]:
        assert 0.2 < t["probability"] <= 1.0, t
assert " ".join(t["token"] + "/" + t["tag"] for t in p[1]["tokens"]) == sys.argv[1]
assert " ".join(t["token"] + "/" + t["tag"] for t in p[0]["tokens"]) == "the/DET wolf/NOUN heard/VERB a/DET cat/NOUN ./PUNCT"
PY
    fi
    run "$DLC" gradcheck tag.yaml --batch 2 --samples 8
    [ "$status" -eq 0 ]
}

@test "a text classifier reads CSV, beats the majority class and ranks classes" {
    weather_texts
    classifier_config cls.yaml '    - {type: embedding, units: 8}
    - {type: gru, units: 12, return_sequences: false}'
    run "$DLC" train cls.yaml --out run
    [ "$status" -eq 0 ]
    acc=$(json_figure run/report.json test accuracy)
    gt "$acc" 0.9
    run "$DLC" predict run --text "wind and rain on the hill" --top-k 2
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == weather* ]]
    [ "${#lines[@]}" -eq 2 ]
}

@test "text classifiers that pool over time: word vectors averaged, GRU states max-pooled" {
    weather_texts
    for form in avg max; do
        if [ $form = avg ]; then
            layers='    - {type: embedding, units: 8}
    - {type: time_avgpool}'
        else
            layers='    - {type: embedding, units: 8}
    - {type: gru, units: 12, return_sequences: true}
    - {type: time_maxpool}'
        fi
        classifier_config cls.yaml "$layers" 8 0.05
        run "$DLC" summary cls.yaml
        [ "$status" -eq 0 ]
        [[ "$output" == *"time_${form}pool"* ]]
        run "$DLC" train cls.yaml --out run-$form
        [ "$status" -eq 0 ]
        acc=$(json_figure run-$form/report.json test accuracy)
        gt "$acc" 0.9
        run "$DLC" predict run-$form --text "wind and rain on the hill" --top-k 2
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == weather* ]]
    done
    # a time pool needs (steps, features)
    cat > bad.yaml <<YAML
name: bad
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species}
model:
  layers:
    - {type: time_maxpool}
    - {type: dense, units: auto}
YAML
    run "$DLC" train bad.yaml --out run-bad
    [ "$status" -eq 2 ]
    [[ "$output" == *"bad.yaml:5"*"time_maxpool"*"(steps, features)"* ]]
}

@test "bad corpora and text configs get clear errors" {
    : > empty.txt
    charlm_config lm.yaml
    run "$DLC" train lm.yaml --out run --set data.train.file=empty.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *"empty.txt: empty file"* ]]
    printf 'good line\nna\xefve\n' > latin1.txt
    run "$DLC" train lm.yaml --out run --set data.train.file=latin1.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *"latin1.txt:2:3: invalid UTF-8 (byte 0xef)"* ]]
    run "$DLC" train lm.yaml --out run --set data.text.task=poem
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.text.task"*"lm, tag, classify"* ]]
    run "$DLC" train lm.yaml --out run --set loss=mse
    [ "$status" -eq 2 ]
    [[ "$output" == *"softmax_cross_entropy"* ]]
    run "$DLC" train lm.yaml --out run --set model.layers.0.type=lstm
    [ "$status" -eq 2 ]
    [[ "$output" == *"expects a sequence (T, D)"* ]]
    # a classifier's CSV whose text column has another name: the key that names it
    weather_texts
    sed -i '1s/text,label/review,label/' texts.csv
    classifier_config cls.yaml '    - {type: embedding, units: 8}
    - {type: time_avgpool}'
    run "$DLC" train cls.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"texts.csv: text column 'text' is not in the header (its 2 columns: 'review', 'label') (data.text.column names it)"* ]]
    run "$DLC" train cls.yaml --out run --set data.text.column=review --set data.label=labels
    [ "$status" -eq 2 ]
    [[ "$output" == *"texts.csv: label column 'labels' is not in the header (did you mean 'label'?) (data.label names it)"* ]]
}

@test "sequence_loss sum and truncated BPTT train" {
    charlm_config lm.yaml lstm 1
    run "$DLC" train lm.yaml --out run --set train.sequence_loss=sum --set model.layers.1.bptt=4
    [ "$status" -eq 0 ]
    grep -q "sequence_loss: sum" run/config.yaml
    grep -q "bptt: 4" run/config.yaml
}

@test "an embedding starts from a vectors file and can be frozen" {
    charlm_config lm.yaml lstm 1
    printf '3 8\ne 1 2 3 4 5 6 7 8\nt 0 0 0 0 0 0 0 1\n@ 9 9 9 9 9 9 9 9\n' > vec.txt
    run "$DLC" train lm.yaml --out run --set model.layers.0.pretrained=vec.txt \
        --set model.layers.0.trainable=false
    [ "$status" -eq 0 ]
    [[ "$output" == *"layer 'embedding_1' (embedding): 2 of "*" vectors from vec.txt"* ]]
    run "$DLC" summary run
    [[ "$output" == *"embedding_1"*"(frozen)"* ]]
    printf 'e 1 2\n' > short.txt
    run "$DLC" train lm.yaml --out run2 --set model.layers.0.pretrained=short.txt
    [ "$status" -eq 2 ]
    [[ "$output" == *"short.txt:1: word 'e' has 2 numbers, expected 8"* ]]
}

@test "an ELMo-style biLM: forward and reverse LSTM stacks share the embedding and one softmax" {
    cat > bilm.yaml <<YAML
name: bilm
seed: 1
data:
  format: text
  train: {file: $FABLES}
  split: {dev: 0.1}
  text: {task: bilm, tokens: words, seq_len: 24}
model:
  layers:
    - {name: emb, type: embedding, units: 8}
    - {name: fwd1, type: lstm, units: 8}
    - {name: bwd1, type: lstm, units: 8, reverse: true, inputs: emb}
    - {name: both, type: concat, axis: 0, inputs: [fwd1, bwd1]}
    - {name: softmax, type: dense, units: auto}
train: {epochs: 2, batch_size: 8, optimizer: {type: adam, lr: 0.01}}
YAML
    run "$DLC" train bilm.yaml --out run
    [ "$status" -eq 0 ]
    run "$DLC" summary run
    [[ "$output" == *"both"*"concat"*"(48, 8)"* ]]
    [ "$(jq '.splits.dev.loss < 10' run/report.json)" = true ]
    # a biLM is a language model: perplexity exp(loss) per split and per epoch
    [ "$(jq '.splits.dev.perplexity - (.splits.dev.loss | exp) | fabs < 1e-3' run/report.json)" = true ]
    [ "$(head -1 run/metrics.csv | cut -d, -f9,10)" = "train_perplexity,dev_perplexity" ]
    awk -F, 'NR > 1 { d = $10 - exp($5); if (d < -1e-3 || d > 1e-3) exit 1 }' run/metrics.csv
    # a forward language model must not read backwards
    charlm_config lm.yaml lstm 1
    run "$DLC" train lm.yaml --out run2 --set model.layers.1.reverse=true
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'model.layers.1.reverse': a language model (data.text.task lm) predicts each next token; a reverse layer"* ]]
}

@test "ELMo-style features: a tagger mixes a frozen biLM's layers with scalar_mix (configs/brown_pos_elmo.yaml in small)" {
    awk 'BEGIN { srand(1); split("red green blue yellow pink", c, " "); split("one two three four five", n, " ");
        for (l = 0; l < 200; l++) { s = ""; for (w = 0; w < 6; w++) s = s (w ? " " : "") (l % 2 ? n[int(rand() * 5) + 1] : c[int(rand() * 5) + 1]); print s } }' > topics.txt
    awk '{ for (i = 1; i <= NF; i++) print $i, ($i ~ /^(one|two|three|four|five)$/ ? "NUM" : "COL"); print "" }' topics.txt > tagged.txt
    head -160 topics.txt > text_train.txt # the tagger's train split (test: 0.2)
    tail -40 topics.txt > text_test.txt   # its test split, the biLM's held-out text
    # the biLM reads shorter sequences than the tagger, as the shipped configs do
    sed -e "s|data/brown/text_train.txt|text_train.txt|; s|data/brown/text_test.txt|text_test.txt|; s/units: 64/units: 8/g; s/seq_len: 40/seq_len: 6/; s/epochs: 2/epochs: 1/" \
        "$ROOT/configs/brown_bilm.yaml" > bilm.yaml
    sed -e "s|data/brown/tagged.txt|tagged.txt|; s|runs/brown_bilm|bilm|; s/units: [0-9][0-9]*/units: 8/g; s/seq_len: 180/seq_len: 8/; s/epochs: 6/epochs: 2/; s/test: 0.1/test: 0.2/" \
        "$ROOT/configs/brown_pos_elmo.yaml" > elmo.yaml
    run "$DLC" train bilm.yaml --out bilm --quiet
    [ "$status" -eq 0 ]
    # the held-out source is the biLM's dev split, and the vocabulary the train source's
    [ "$(jq '.splits.dev.examples' bilm/report.json)" -eq 40 ]
    [ "$(jq '.splits.train.examples' bilm/report.json)" -eq 160 ]
    [ "$(jq '.splits.dev.perplexity > 1' bilm/report.json)" = true ]
    run "$DLC" train elmo.yaml --out elmo
    [ "$status" -eq 0 ]
    [[ "$output" == *"init_from: weights from"*"bilm"* ]]
    run "$DLC" summary elmo
    [[ "$output" == *"fwd2"*"(frozen)"* ]]
    [[ "$output" == *"elmo"*"scalar_mix"*"(8, 16)"*"4"*"layer0, layer1, layer2"* ]]
    [ "$(jq '.splits.test.accuracy > 0.6' elmo/report.json)" = true ]
}

@test "every ingredient at once: characters, word2vec start and a frozen biLM (configs/brown_pos_best.yaml in small)" {
    awk 'BEGIN { srand(1); split("red green blue yellow pink", c, " "); split("one two three four five", n, " ");
        for (l = 0; l < 200; l++) { s = ""; for (w = 0; w < 6; w++) s = s (w ? " " : "") (l % 2 ? n[int(rand() * 5) + 1] : c[int(rand() * 5) + 1]); print s } }' > topics.txt
    awk '{ for (i = 1; i <= NF; i++) print $i, ($i ~ /^(one|two|three|four|five)$/ ? "NUM" : "COL"); print "" }' topics.txt > tagged.txt
    head -160 topics.txt > text_train.txt
    tail -40 topics.txt > text_test.txt
    printf '2 8\nred 1 0 0 0 0 0 0 0\none 0 1 0 0 0 0 0 0\n' > vec.txt
    sed -e "s|data/brown/text_train.txt|text_train.txt|; s|data/brown/text_test.txt|text_test.txt|; s/units: 64/units: 8/g; s/seq_len: 40/seq_len: 6/; s/epochs: 2/epochs: 1/" \
        "$ROOT/configs/brown_bilm.yaml" > bilm.yaml
    sed -e "s|data/brown/tagged.txt|tagged.txt|; s|runs/brown_bilm|bilm|; s|runs/brown_word2vec/vectors.bin|vec.txt|; s/units: [0-9][0-9]*/units: 8/g; s/filters: 50/filters: 8/; s/seq_len: 180/seq_len: 8/; s/epochs: 6/epochs: 2/; s/test: 0.1/test: 0.2/" \
        "$ROOT/configs/brown_pos_best.yaml" > best.yaml
    run "$DLC" train bilm.yaml --out bilm --quiet
    [ "$status" -eq 0 ]
    run "$DLC" train best.yaml --out best
    [ "$status" -eq 0 ]
    [[ "$output" == *"init_from: weights from"*"bilm"* ]]
    [[ "$output" == *"layer 'words' (word_chars): 2 of "*" vectors from vec.txt"* ]]
    run "$DLC" summary best
    # the biLM reads the word ids alone, word_chars the ids and the bytes
    [[ "$output" == *"ids"*"flatten"*"(8)"* ]]
    [[ "$output" == *"emb"*"(8, 8)"*"ids  (frozen)"* ]]
    [[ "$output" == *"words"*"word_chars"*"(8, 16)"*"input"* ]]
    [[ "$output" == *"features"*"concat"*"(8, 32)"*"words, elmo"* ]]
    [ "$(jq '.splits.test.accuracy > 0.6' best/report.json)" = true ]
}

@test "a tagger with character features tells unknown words by their spelling (configs/brown_pos_chars.yaml in small)" {
    # words seen once are <unk>; whether a word ends in -ing is its tag
    awk 'BEGIN { srand(3); for (l = 0; l < 300; l++) { for (w = 0; w < 6; w++) { s = sprintf("w%d", int(rand() * 1000));
        if (rand() < 0.5) print s "ing VBG"; else print s "ed VBD" } print "" } }' > tagged.txt
    sed -e "s|data/brown/tagged.txt|tagged.txt|; s/units: 100/units: 8/; s/units: 128/units: 8/g; s/filters: 50/filters: 8/; s/seq_len: 180/seq_len: 6/; s/epochs: 6/epochs: 6/; s/test: 0.1/test: 0.2/; s/lr: 0.002/lr: 0.01/" \
        "$ROOT/configs/brown_pos_chars.yaml" > chars.yaml
    run "$DLC" train chars.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(jq '.splits.test.accuracy > 0.9' run/report.json)" = true ]
    run "$DLC" summary run
    [[ "$output" == *"word_chars"*"(6, 16)"* ]]
    # the same tagger without its character features guesses
    sed -i 's/chars: 20}/chars: 0}/; s/type: word_chars, units: 8, filters: 8, kernel: 3, char_units: 16/type: embedding, units: 8/' chars.yaml
    run "$DLC" train chars.yaml --out words
    [ "$status" -eq 0 ]
    [ "$(jq '.splits.test.accuracy < 0.8' words/report.json)" = true ]
    run "$DLC" predict run --text "w1ing w2ed"
    [ "$status" -eq 2 ]
    [[ "$output" == *"reads each word with its bytes"* ]]
}

@test "a text classifier's limit draws its rows from the whole file: a CSV sorted by class keeps every class" {
    {
        echo "text,label"
        for c in sports weather politics; do for i in $(seq 1 30); do echo "\"$c news item $i\",$c"; done; done
    } > sorted.csv
    cat > t.yaml <<YAML
name: t
seed: 1
data:
  format: text
  train: {file: sorted.csv, limit: 30}
  label: label
  text: {task: classify, tokens: words, seq_len: 4}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: time_avgpool}
    - {type: dense, units: auto}
train: {epochs: 1, batch_size: 8}
YAML
    # the first 30 rows were all 'sports': one class, an error
    run "$DLC" train t.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"data: train 30, "*", 3 classes"* ]]
    # the same seed draws the same rows
    "$DLC" train t.yaml --out again --quiet
    [ "$(jq -c .splits run/report.json)" = "$(jq -c .splits again/report.json)" ]
}

@test "conv1d on a sequence (embedding or recurrent output) is refused with the recipe for a convolution over time, and the recipe learns" {
    reviews_config k.yaml "    - {type: conv1d, filters: 8, kernel: 3, activation: relu}
    - {type: flatten}"
    run "$DLC" train k.yaml --out k --quiet
    [ "$status" -eq 2 ]
    [[ "$output" == *"k.yaml:"*"'conv1d_1'"*"is a sequence (10 steps, 4 features)"*"reshape to [1, 10, 4]"*"kernel [K, 4]"* ]]
    # the recipe: a conv2d whose kernel spans the features slides over time
    sed -i 's/    - {type: conv1d, filters: 8, kernel: 3, activation: relu}/    - {type: reshape, shape: [1, 10, 4]}\n    - {type: conv2d, filters: 8, kernel: [3, 4], activation: relu}\n    - {type: maxpool, kernel: [8, 1]}/' k.yaml
    run "$DLC" train k.yaml --out k --quiet
    [ "$status" -eq 0 ]
    [ "$(jq '.splits.dev.accuracy > 0.9' k/report.json)" = true ]
}

@test "batchnorm on a sequence normalizes each feature over the valid steps (Keras's BatchNormalization(axis=-1)), and a text classifier with it learns" {
    reviews_config bn.yaml "    - {type: batchnorm, activation: relu}
    - {type: lstm, units: 6}
    - {type: batchnorm}
    - {type: time_avgpool}"
    run "$DLC" summary bn.yaml
    echo "$output"
    [ "$status" -eq 0 ]
    # gamma and beta per feature (4 and 6 of them), not per step (10)
    [[ "$output" =~ batchnorm_1\ +batchnorm\+relu\ +\(10,\ 4\)\ +8\  ]]
    [[ "$output" =~ batchnorm_2\ +batchnorm\ +\(10,\ 6\)\ +12\  ]]
    run "$DLC" train bn.yaml --out bn --quiet
    [ "$status" -eq 0 ]
    [ "$(jq '.splits.dev.accuracy > 0.9' bn/report.json)" = true ]
    # one text alone, normalized by the running statistics
    run "$DLC" predict bn --text "the day was awful and grim and sad"
    [ "$status" -eq 0 ]
    [[ "$output" == *neg* ]]
}

@test "maxpool, avgpool and global_avgpool on a sequence are refused naming the time pools (they would pool each step's features); a concat of features stays a sequence" {
    reviews_config gap.yaml "    - {type: global_avgpool}"
    run "$DLC" train gap.yaml --out gap --quiet
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"gap.yaml:"*"layer 'global_avgpool_1' (global_avgpool): its input 'embedding_1' is a sequence (10 steps, 4 features)"*"giving (10) instead of (4)"*"use time_avgpool"* ]]
    [ ! -e gap/model.safetensors ]
    reviews_config mp.yaml "    - {type: maxpool, kernel: 2}
    - {type: flatten}"
    run "$DLC" summary mp.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"'maxpool_1' (maxpool)"*"is a sequence"*"use time_maxpool"*"reshape to [1, 10, 4] and use a maxpool with kernel [K, 1]"* ]]
    reviews_config ap.yaml "    - {type: avgpool, kernel: 3}
    - {type: flatten}"
    run "$DLC" summary ap.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"'avgpool_1' (avgpool)"*"use time_avgpool"*"an avgpool with kernel [K, 1]"* ]]
    # the recipes: the mean over time (Keras's GlobalAveragePooling1D), and a join of features
    reviews_config ok.yaml "    - {name: d, type: dense, units: 4, activation: tanh}
    - {name: twice, type: concat, axis: 1, inputs: [embedding_1, d]}
    - {type: time_avgpool}"
    run "$DLC" summary ok.yaml
    [ "$status" -eq 0 ]
    [[ "$output" =~ twice\ +concat\ +\(10,\ 8\) ]]
    run "$DLC" train ok.yaml --out ok --quiet
    [ "$status" -eq 0 ]
    [ "$(jq '.splits.dev.accuracy > 0.9' ok/report.json)" = true ]
}

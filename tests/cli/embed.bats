#!/usr/bin/env bats
# dlc embed: word vectors learned from a small corpus (two topics that never
# share a line), the run folder, queries, the files other tools read, and
# every bad input named with its file and line.
load helpers

# topics.txt: 1200 lines of 8 words, colours on even lines, numbers on odd.
topic_corpus() {
    awk 'BEGIN { srand(1); split("red green blue yellow pink", c, " "); split("one two three four five", n, " ");
        for (l = 0; l < 1200; l++) { s = ""; for (w = 0; w < 8; w++) s = s (w ? " " : "") (l % 2 ? n[int(rand() * 5) + 1] : c[int(rand() * 5) + 1]); print s } }' > topics.txt
}

embed_config() {
    cat > "${1:-emb.yaml}" <<YAML
name: topics
seed: 1
threads: 1
data:
  format: text
  train: {file: ${2:-topics.txt}}
  text: {tokens: words}
embed:
  method: ${3:-skipgram}
  dim: 16
  window: 3
  negatives: 3
  sample: 0
  epochs: 3
YAML
}

@test "dlc embed learns skip-gram vectors and writes the run folder" {
    topic_corpus
    embed_config
    run "$DLC" embed emb.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"epoch   3"*"10 words x 16 in "*"run folder run"* ]]
    for f in config.yaml vectors.txt vectors.bin glove.txt vocab.txt metrics.csv report.json; do
        [ -s "run/$f" ]
    done
    [ "$(head -1 run/vectors.txt)" = "10 16" ]
    [ "$(head -c 6 run/vectors.bin)" = "10 16"$'\n'"" ] || [ "$(head -1 run/vectors.bin | head -c 5)" = "10 16" ]
    [ "$(wc -l < run/glove.txt)" -eq 10 ]
    [ "$(jq -r .method run/report.json)" = skipgram ]
    [ "$(jq -r .vocabulary run/report.json)" = 10 ]
    [ "$(jq -r .words run/report.json)" = 9600 ]
    [ "$(sed -n 1p run/metrics.csv)" = "epoch,lr,loss,dev_loss,seconds,words_per_s" ]
    [ "$(wc -l < run/metrics.csv)" -eq 4 ]
    # the rate falls linearly to min_lr (0.0001) by the last word: it stopped
    # a line end per line short (at 0.0029 here, 0.0035 on the fortunes)
    awk -F, 'NR == 4 && $2 > 0.00011 {exit 1}' run/metrics.csv
    awk -F, 'NR == 2 && ($2 < 0.0165 || $2 > 0.0169) {exit 1}' run/metrics.csv
    grep -q '^embed:$' run/config.yaml
    ! grep -q '^model:' run/config.yaml || false
    # the neighbours of a colour are colours
    run "$DLC" embed run --neighbours red --top-k 4
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 4 ]
    for l in "${lines[@]}"; do [[ "$l" =~ ^(green|blue|yellow|pink)\  ]]; done
    run "$DLC" embed run --analogy one two red
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "one is to two as red is to:" ]]
    [ "${#lines[@]}" -eq 8 ] # the ten words less the three asked
    run "$DLC" embed --analogy "one two red" run/vectors.txt --top-k 2
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    # the same seed on one thread gives the same vectors
    run "$DLC" embed emb.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"run already holds vectors; use --force"* ]]
    run "$DLC" embed emb.yaml --out run --force --quiet
    [ "$status" -eq 0 ]
    cp run/vectors.bin first.bin
    "$DLC" embed emb.yaml --out run --force --quiet
    cmp first.bin run/vectors.bin
}

@test "CBOW, GloVe and the window models learn the topics too" {
    topic_corpus
    embed_config
    for m in "cbow" "glove --set embed.lr=0.05" "window_lm --set embed.context=last --set embed.combine=concat" \
             "window_lm --set embed.context=both --set embed.lr=0.05" "window_lm --set embed.context=nearby"; do
        run "$DLC" embed emb.yaml --out "run" --force --quiet --set embed.method=$m
        [ "$status" -eq 0 ]
        run "$DLC" embed run --neighbours two --top-k 1
        [[ "$output" =~ ^(one|three|four|five)\  ]]
    done
    # the window model reports held-out perplexity when there is a dev part
    run "$DLC" embed emb.yaml --out wl --set embed.method=window_lm --set data.split.dev=0.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"dev_perplexity"* ]]
    [ "$(jq '.dev_perplexity > 1' wl/report.json)" = true ]
}

@test "GloVe's rate is in pairs a second (its epochs visit the co-occurring pairs, not the text): on 9,600 words of 10 it read 6.8 billion words/s" {
    topic_corpus
    embed_config
    run "$DLC" embed emb.yaml --out g --set embed.method=glove --set embed.epochs=2
    [ "$status" -eq 0 ]
    pairs=$(jq .pairs g/report.json)
    [ "$pairs" -eq 50 ]
    [[ "$output" == *"epoch   1  lr "*"pairs/s"* ]]
    [[ "$output" != *"words/s"* ]]
    [[ "$output" == *" pairs/s over 50 co-occurring pairs an epoch, 1 thread); run folder g"* ]]
    [ "$(sed -n 1p g/metrics.csv)" = "epoch,lr,loss,dev_loss,seconds,pairs_per_s" ]
    # the rate is the pairs over the epochs' seconds (metrics.csv's to the millisecond)
    jq -e --argjson p "$pairs" '.words_per_s == null and (.pairs_per_s - $p * .epochs / .seconds | fabs) < 1e-3 * .pairs_per_s' g/report.json
    # the word methods still count words
    "$DLC" embed emb.yaml --out s --quiet --set embed.epochs=1
    [ "$(sed -n 1p s/metrics.csv)" = "epoch,lr,loss,dev_loss,seconds,words_per_s" ]
    jq -e '.words_per_s > 0 and .pairs_per_s == null' s/report.json
}

@test "vectors not yet apart are said so, with the similarity measured, where they are made and queried" {
    # 30 words drawn at random: no structure to learn, so after an epoch every
    # vector points the same way (the 1-epoch fortunes' neighbours at 0.9998)
    awk 'BEGIN { srand(2); for (l = 0; l < 1200; l++) { s = ""; for (w = 0; w < 8; w++) s = s (w ? " " : "") "w" int(rand() * 30); print s } }' > flat.txt
    embed_config emb.yaml flat.txt
    run "$DLC" embed emb.yaml --out flat --set embed.epochs=1 --quiet
    [ "$status" -eq 0 ]
    # (said under --quiet too, as dlc train --quiet says its warnings)
    [[ "$output" == *"warning: flat: the vectors have not separated yet: the 30 most frequent words' nearest neighbours have a median cosine similarity of 0.99"*", and the 30 most frequent words a mean of 0.99"*"to each other"*"embed.epochs"* ]]
    [ "$(jq '.mean_cosine > 0.99 and .nearest_cosine > 0.99 and .separated == false' flat/report.json)" = true ]
    run "$DLC" embed flat --neighbours w1 --top-k 2
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "dlc: warning: flat: the vectors have not separated yet"* ]]
    [ "${#lines[@]}" -eq 3 ]
    # a query's --quiet gives the answer alone, as dlc predict --quiet does
    run "$DLC" embed flat --neighbours w1 --top-k 2 --quiet
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    [[ "$output" != *"warning"* ]]
    # two topics part at once: nothing to say
    topic_corpus
    embed_config
    run "$DLC" embed emb.yaml --out topics --set embed.epochs=1
    [ "$status" -eq 0 ]
    [[ "$output" != *"warning"* ]]
    # (their nearest neighbours score near 1, red's are the other colours: that says something)
    [ "$(jq '.mean_cosine < 0.6 and .nearest_cosine > 0.99 and .separated' topics/report.json)" = true ]
    run "$DLC" embed topics --neighbours red
    [[ "$output" != *"warning"* ]]
}

@test "a gzip-compressed text (as /usr/share/doc keeps them) is read as its text, alone or in a folder" {
    topic_corpus
    embed_config
    "$DLC" embed emb.yaml --out plain --quiet
    mkdir docs
    gzip -c topics.txt > docs/topics.gz
    run "$DLC" embed emb.yaml --out gz --quiet --set data.train.file=docs/topics.gz
    [ "$status" -eq 0 ]
    cmp plain/vectors.bin gz/vectors.bin
    head -600 topics.txt > docs/a.txt
    tail -600 topics.txt | gzip -c > docs/b.txt.gz
    rm docs/topics.gz
    run "$DLC" embed emb.yaml --out dir --quiet --set data.train.file=docs
    [ "$status" -eq 0 ]
    cmp plain/vectors.bin dir/vectors.bin
    # cut short, or not gzip's data after its magic: named, exit 2
    head -c 300 docs/b.txt.gz > docs/cut.gz
    run "$DLC" embed emb.yaml --out x --set data.train.file=docs/cut.gz
    [ "$status" -eq 2 ]
    [[ "$output" == "dlc: error: "*"docs/cut.gz: truncated gzip data" ]]
    printf '\x1f\x8bnot gzip data at all' > docs/bad.gz
    run "$DLC" embed emb.yaml --out x --set data.train.file=docs/bad.gz
    [ "$status" -eq 2 ]
    [[ "$output" == "dlc: error: "*"docs/bad.gz: corrupt gzip data: unknown compression method" ]]
}

@test "a folder as fortune's: a file linked again (art.u8 -> art) is read once, a binary index is named" {
    topic_corpus
    embed_config
    "$DLC" embed emb.yaml --out plain --quiet
    mkdir f
    cp topics.txt f/topics
    ln -s topics f/topics.u8
    run "$DLC" embed emb.yaml --out linked --quiet --set data.train.file=f
    [ "$status" -eq 0 ]
    [ "$(jq .words linked/report.json)" = 9600 ]
    cmp plain/vectors.bin linked/vectors.bin
    printf 'abc\0\0\0\1' > f/topics.dat
    run "$DLC" embed emb.yaml --out x --set data.train.file=f
    [ "$status" -eq 2 ]
    [[ "$output" == *"f/topics.dat:1:4: NUL byte (not a text file?) (in the folder "*"f, whose files are all read: give a folder of text files only, or one file)" ]]
}

@test "on a terminal the progress line says the time left" {
    command -v script >/dev/null || skip "no script(1) to give dlc a terminal"
    topic_corpus
    embed_config
    run script -qc "'$DLC' embed emb.yaml --out run" /dev/null
    [ "$status" -eq 0 ]
    [[ "$output" =~ %\ \ lr\ 0\.[0-9]+\ \ [0-9]+\ words/s\ \ ETA\ [0-9]+s ]]
}

@test "gensim reads the three files dlc embed writes, with the same vectors" {
    if ! /usr/bin/python3 -c 'import gensim' 2>/dev/null; then
        skip "gensim is not installed for /usr/bin/python3 (apt-get install python3-gensim)"
    fi
    topic_corpus
    embed_config
    "$DLC" embed emb.yaml --out run --quiet
    run /usr/bin/python3 "$ROOT/tests/embed/gensim_check.py" run red
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "gensim reads 10 words x 16 in all three files, equal" ]]
    # gensim's nearest word is dlc's
    [ "${lines[1]}" = "$("$DLC" embed run --neighbours red --top-k 1 | cut -d' ' -f1)" ]
}

@test "a tagger's embedding starts from dlc's vectors in any of the three formats" {
    topic_corpus
    embed_config
    "$DLC" embed emb.yaml --out run --quiet
    awk '{ for (i = 1; i <= NF; i++) print $i, ($i ~ /^(one|two|three|four|five)$/ ? "NUM" : "COL"); print "" }' topics.txt | head -600 > tagged.txt
    cat > tag.yaml <<YAML
name: tag
data:
  format: text
  train: {file: tagged.txt}
  split: {test: 0.2}
  text: {task: tag, tokens: words, seq_len: 8}
model:
  layers:
    - {type: embedding, units: 16, trainable: false}
    - {type: dense, units: auto}
train: {epochs: 2, batch_size: 16}
YAML
    for f in vectors.txt vectors.bin glove.txt; do
        run "$DLC" train tag.yaml --out "t-$f" --set model.layers.0.pretrained=run/$f
        [ "$status" -eq 0 ]
        [[ "$output" == *"10 of 12 vectors from run/$f"* ]]
    done
    # vectors that keep case, a vocabulary lowercased: the words missed so are counted
    sed 's/^red /Red /' run/vectors.txt > cased.txt
    run "$DLC" train tag.yaml --out t-cased --set model.layers.0.pretrained=cased.txt --set data.text.lowercase=true
    [ "$status" -eq 0 ]
    [[ "$output" == *"9 of 12 vectors from cased.txt; 1 more of the vocabulary's words are there in another case only"*"data.text.lowercase lowers the text's"* ]]
}

@test "bad input to dlc embed: clear errors naming the file and line (exit 2)" {
    topic_corpus
    : > empty.txt
    embed_config emb.yaml empty.txt
    run "$DLC" embed emb.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"empty.txt: empty file"* ]]

    echo "a b c a b c" > tiny.txt
    embed_config emb.yaml tiny.txt
    run "$DLC" embed emb.yaml --out run --set embed.negatives=5
    [ "$status" -eq 2 ]
    [[ "$output" == *"tiny.txt: the vocabulary has 3 words, too few to draw embed.negatives = 5 negatives"* ]]

    embed_config emb.yaml
    run "$DLC" embed emb.yaml --out run --set embed.window=0
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'embed.window': expected an integer in [1, 1000], got 0"* ]]
    sed -i 's/window: 3/window: 0/' emb.yaml
    run "$DLC" embed emb.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"emb.yaml:11: key 'embed.window': expected an integer in [1, 1000], got 0"* ]]

    embed_config emb.yaml
    sed -i 's/tokens: words/tokens: chars/' emb.yaml
    run "$DLC" embed emb.yaml --out run
    [ "$status" -eq 2 ]
    [[ "$output" == *"tokens: words"* ]]

    # a config for dlc train is not one for dlc embed, and the other way round
    iris_config
    run "$DLC" embed iris.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"iris.yaml has no embed: section"* ]]
    embed_config emb.yaml
    run "$DLC" train emb.yaml --out t
    [ "$status" -eq 2 ]
    [[ "$output" == *"the config has no model: its embed: section learns word vectors (run dlc embed)"* ]]
    printf 'model: {layers: [{type: dense, units: 2}]}\n' >> emb.yaml
    run "$DLC" embed emb.yaml --out t
    [ "$status" -eq 2 ]
    [[ "$output" == *"emb.yaml:15: key 'model': a config with an embed: section learns word vectors"* ]]

    # malformed vector files, for queries and for an embedding's pretrained:
    printf '2 3\nred 1 2 3\nblue 1 2\n' > bad.txt
    run "$DLC" embed bad.txt --neighbours red
    [ "$status" -eq 2 ]
    [[ "$output" == *"bad.txt:3: word 'blue' has 2 numbers, expected 3"* ]]
    printf 'red 1 2 3\nblue 1 x 3\n' > bad.txt
    run "$DLC" embed bad.txt --neighbours red
    [ "$status" -eq 2 ]
    [[ "$output" == *"bad.txt:2: expected numbers after the word 'blue', got \"x\""* ]]
    printf '2 3\nred \x01\x02\x03\x04\x05\x06' > bad.bin
    run "$DLC" embed bad.bin --neighbours red
    [ "$status" -eq 2 ]
    [[ "$output" == *"bad.bin: record 1 (byte 4): the file ends inside the vector of 'red'"* ]]
    printf 'red 1 2 3\nblue 1 2 3\n' > ok.txt
    run "$DLC" embed ok.txt --neighbours purple
    [ "$status" -eq 2 ]
    [[ "$output" == *"'purple' is not in the vocabulary of ok.txt (2 words)"* ]]
    run "$DLC" embed ok.txt --neighbours red --analogy a
    [ "$status" -eq 2 ]
    run "$DLC" embed ok.txt --analogy a b
    [ "$status" -eq 2 ]
    [[ "$output" == *"--analogy needs three words"* ]]
}

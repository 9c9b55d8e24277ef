#!/usr/bin/env bats
# sources.bats - several data sources with roles (data.sources): what each
# split takes from each, train-dev from the training mix, weights, synthesis
# on chosen sources, the per-source report, and every bad source config.
load helpers

# two sources of Fashion-MNIST images: "web" (train only) and "phone" (split)
sources_config() {
    cat > s.yaml <<YAML
name: s
seed: 4
data:
  format: idx
  sources:
    - {name: web, domain: out,
       train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: 2000}}
    - {name: phone, weight: ${1:-1},
       train: {images: $FMNIST/t10k-images-idx3-ubyte.gz, labels: $FMNIST/t10k-labels-idx1-ubyte.gz, limit: 1000},
       use: {train: 0.4, dev: 0.3, test: 0.3}}
  split: {train_dev: 0.1}
model:
  input: [1, 28, 28]
  layers:
    - {type: flatten}
    - {type: dense, units: 32, activation: relu}
    - {type: dense, units: 10}
train: {epochs: 2, batch_size: 64}
YAML
}

@test "sources: dev and test from the target only, train-dev from the training mix, counts in every file" {
    sources_config
    run "$DLC" train s.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"source web: train "*" train_dev "* ]]
    [[ "$output" == *"source phone: train "*" dev 300 test 300"* ]]
    j=runs/s/report.json
    # train 2000 + 400 less the 240 of train-dev; dev and test 300 phone examples each
    [ "$(jq '.splits.train.examples + .splits.train_dev.examples' $j)" -eq 2400 ]
    [ "$(jq '.splits.train_dev.examples' $j)" -eq 240 ]
    jq -e '.sources.dev == [{"source": "web", "examples": 0, "error": null}, .sources.dev[1]]' $j
    jq -e '.sources.dev[1].examples == 300 and .sources.test[1].examples == 300' $j
    jq -e '(.sources.train | map(.examples) | add) == .splits.train.examples' $j
    # the error per source agrees with the split's
    jq -e '((.sources.dev[1].error - .splits.dev.error) | fabs) < 1e-9' $j
    grep -q 'id="sources"' runs/s/report.html
    [[ "$output" == *"error per data source"* ]]
    # normalization from the training mix: the same statistics as the config says nothing else
    jq -e '.diagnosis.gaps.data_mismatch != null' $j
}

@test "sources: without a train-dev split, a variance gap from a source dev lacks is said to hold data mismatch too" {
    sources_config
    run "$DLC" train s.yaml --set data.split.train_dev=0 --set train.epochs=1 --set report.human_level_error=0.9
    echo "$output"
    [ "$status" -eq 0 ]
    # human-level error 90%: avoidable bias is negative, variance the gap named
    jq -e '.diagnosis.largest == "variance" or .diagnosis.within_noise == "variance"' runs/s/report.json
    jq -e '.diagnosis.untold_mismatch_source == "web"' runs/s/report.json
    [[ "$output" == *"note: dev has no examples of source 'web', which train draws on: the variance gap holds their data mismatch too; a train-dev split (data.split.train_dev) tells the two apart"* ]]
    grep -q 'id="untold-mismatch"' runs/s/report.html
    # with train-dev the gaps are told apart: no note
    run "$DLC" train s.yaml --out told --set train.epochs=1 --set report.human_level_error=0.9
    [ "$status" -eq 0 ]
    jq -e '.diagnosis.untold_mismatch_source == null' told/report.json
    [[ "$output" != *"holds their data mismatch"* ]]
    # nor when every training source feeds dev too
    sed -i 's/domain: out,/use: {train: 0.8, dev: 0.2},/' s.yaml
    run "$DLC" train s.yaml --out fed --set data.split.train_dev=0 --set train.epochs=1 --set report.human_level_error=0.9
    [ "$status" -eq 0 ]
    jq -e '.diagnosis.untold_mismatch_source == null' fed/report.json
}

@test "sources: a weight draws a source's examples more often in the training mix" {
    sources_config 8
    run "$DLC" train s.yaml --set train.epochs=1
    [ "$status" -eq 0 ]
    [[ "$output" == *"phone"*"(sampling weight set)"* ]]
    # same splits as without weights; the epoch is as long
    sources_config 1
    "$DLC" train s.yaml --out plain --quiet --set train.epochs=1
    [ "$(jq .splits.train.examples runs/s/report.json)" -eq "$(jq .splits.train.examples plain/report.json)" ]
}

@test "sources: synthesis applies to the sources named and trains" {
    sources_config
    cat >> s.yaml <<YAML
YAML
    sed -i 's/^  split: {train_dev: 0.1}/  split: {train_dev: 0.1}\n  augment: {sources: [web], blur: {p: 0.5}, noise: {p: 0.5, max: 8}, contrast: {p: 0.5}, rotate: {p: 0.3, min: -8, max: 8}, jpeg: {p: 0.3}}/' s.yaml
    run "$DLC" train s.yaml --set train.epochs=1
    [ "$status" -eq 0 ]
    grep -q 'sources: \[web\]' runs/s/config.yaml
}

@test "sources: bad configs name the file, line and key (exit 2)" {
    sources_config
    sed 's/- {name: web, domain: out,/- {domain: out,/' s.yaml > a.yaml
    run "$DLC" train a.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"a.yaml:"*"key 'data.sources.0.name': missing (required)"* ]]
    sed 's/name: phone,/name: web,/' s.yaml > b.yaml
    run "$DLC" train b.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.sources.1.name': two sources are named 'web'"* ]]
    sed 's/use: {train: 0.4, dev: 0.3, test: 0.3}/use: {train: 0.6, dev: 0.3, test: 0.3}/' s.yaml > c.yaml
    run "$DLC" train c.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.sources.1.use': train + dev + test take 1.2 of source 'phone': at most 1"* ]]
    sed 's/use: {train: 0.4, dev: 0.3, test: 0.3}/use: {train: 0.4, test: 0.3}/' s.yaml > d.yaml
    run "$DLC" train d.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.sources': no source feeds the dev split"* ]]
    sed 's/- {name: web, domain: out,/- {name: web, domain: out, use: {train: 0.9, dev: 0.1},/' s.yaml > e.yaml
    run "$DLC" train e.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.sources.0.use.dev': source 'web' is of another domain (domain: out)"* ]]
    run "$DLC" train e.yaml --set data.allow_out_of_domain_eval=true --set train.epochs=1
    [ "$status" -eq 0 ]
    sed "s|  split: {train_dev: 0.1}|  split: {train_dev: 0.1}\n  train: {images: a.gz, labels: b.gz}|" s.yaml > f.yaml
    run "$DLC" train f.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.train': data.sources names the data"* ]]
    sed 's/  split: {train_dev: 0.1}/  split: {dev: 0.1}/' s.yaml > g.yaml
    run "$DLC" train g.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.split': with data.sources, each source's use: says what dev and test take"* ]]
    sed 's/  split: {train_dev: 0.1}/  split: {train_dev: 0.1}\n  augment: {sources: [webb], blur: {p: 1}}/' s.yaml > h.yaml
    run "$DLC" train h.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.augment.sources': no source is named 'webb'"* ]]
}

@test "sources: another shape or other classes are clear errors" {
    iris_config
    cat > m.yaml <<YAML
data:
  format: csv
  label: species
  sources:
    - {name: a, train: {file: $ROOT/data/iris.csv}}
    - {name: b, train: {file: short.csv}, use: {train: 0.5, dev: 0.5}}
model: {layers: [{type: dense, units: 3}]}
YAML
    printf 'sepal_length,sepal_width,petal_length,species\n1,2,3,setosa\n2,3,4,setosa\n' > short.csv
    run "$DLC" train m.yaml
    [ "$status" -eq 2 ]
    # read by source a's column names: the missing one is named
    [[ "$output" == *"data.sources.1 (b): $TMP/short.csv: feature column 'petal_width' is not in the header"* ]]
    # a class only source b has is a class of the model (as in one file): 3 units are too few
    printf 'sepal_length,sepal_width,petal_length,petal_width,species\n1,2,3,4,rose\n2,3,4,5,setosa\n' > short.csv
    run "$DLC" train m.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"4 classes"*"m.yaml:"*"has 3 output units but the data has 4 classes (set units: 4)"* ]]
}

@test "sources: a source may lack classes another has: the classes are every source's, numbered as in one file" {
    # the digits: source web lacks the 0s and 9s, which only the target has; ids must
    # follow the names' order (0 first) as if the classes had been listed
    awk -F, 'NR == 1 || ($NF != 0 && $NF != 9 && NR % 2)' "$ROOT/data/digits.csv" > web.csv
    awk -F, 'NR == 1 || !(NR % 2)' "$ROOT/data/digits.csv" > target.csv
    cat > d.yaml <<YAML
name: d
seed: 2
data:
  format: csv
  label: digit
  sources:
    - {name: web, domain: out, train: {file: web.csv}}
    - {name: target, train: {file: target.csv}, use: {train: 0.4, dev: 0.3, test: 0.3}}
  split: {train_dev: 0.1}
  normalize: standard
model:
  layers:
    - {type: dense, units: 16, activation: relu}
    - {type: dense, units: 10}
train: {epochs: 3, batch_size: 32}
YAML
    run "$DLC" train d.yaml --out merged --threads 1
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"10 classes"* ]]
    jq -e '.classes == ["0","1","2","3","4","5","6","7","8","9"]' merged/report.json
    "$DLC" train d.yaml --out listed --threads 1 --quiet --set 'data.classes=[0,1,2,3,4,5,6,7,8,9]' > /dev/null
    cmp <(metrics_no_time merged/metrics.csv) <(metrics_no_time listed/metrics.csv)
    cmp merged/model.safetensors listed/model.safetensors || "${ST_COMPARE:-$ROOT/build/tests/st_compare}" merged/model.safetensors listed/model.safetensors 0
    # a binary (sigmoid) label cannot tell its negative class from one source's one value: the
    # message says where to name both
    head -1 "$ROOT/data/breast_cancer.csv" > benign.csv
    grep ',benign$' "$ROOT/data/breast_cancer.csv" | head -40 >> benign.csv
    cat > b.yaml <<YAML
data:
  format: csv
  label: diagnosis
  sources:
    - {name: some, train: {file: benign.csv}, use: {train: 0.5, dev: 0.5}}
    - {name: all, train: {file: $ROOT/data/breast_cancer.csv}, use: {train: 0.6, dev: 0.2, test: 0.2}}
model: {layers: [{type: dense, units: 1}]}
loss: sigmoid_bce
train: {epochs: 1}
YAML
    run "$DLC" train b.yaml --out b
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.sources.0 (some): $TMP/benign.csv: only one label value \"benign\" found; binary targets need 2: list both in data.classes (the negative class first)"* ]]
    run "$DLC" train b.yaml --out b --set 'data.classes=[benign, malignant]'
    [ "$status" -eq 0 ]
}

@test "sources: a CSV source with the first one's columns in another order is read by name" {
    # iris with its columns reversed (read by position, the second source's
    # flowers had their petal and sepal sizes swapped, in silence), and with
    # an extra column too (ignored)
    awk -F, 'BEGIN { OFS = "," } { print $5, $4, $3, $2, $1 }' "$ROOT/data/iris.csv" > reversed.csv
    awk -F, 'BEGIN { OFS = "," } NR == 1 { print "note", $0; next } { print "x", $0 }' reversed.csv > extra.csv
    cp "$ROOT/data/iris.csv" same.csv
    for f in same reversed extra; do
        cat > $f.yaml <<YAML
name: $f
seed: 3
data:
  format: csv
  label: species
  sources:
    - {name: a, train: {file: $ROOT/data/iris.csv}}
    - {name: b, train: {file: $f.csv}, use: {train: 0.5, dev: 0.5}}
model: {layers: [{type: dense, units: 8, activation: relu}, {type: dense, units: 3}]}
train: {epochs: 3, batch_size: 32}
YAML
        "$DLC" train $f.yaml --out $f --quiet
    done
    a=$(jq -c '.splits' same/report.json)
    b=$(jq -c '.splits' reversed/report.json)
    [ "$a" = "$b" ]
    [ "$a" = "$(jq -c '.splits' extra/report.json)" ]
    # a missing column is an error naming the source, the file and the column
    cut -d, -f1-4 reversed.csv > reversed2.csv && mv reversed2.csv reversed.csv
    run "$DLC" train reversed.yaml --out short
    [ "$status" -eq 2 ]
    [[ "$output" == *"data.sources.1 (b): "*"reversed.csv: feature column 'sepal_length' is not in the header"* ]]
}

# Two text sources for a classifier: "web" texts (train only) and "phone"
# texts whose dev and test parts hold a word ("zebra") its train part lacks.
text_sources() {
    {
        echo "text,label"
        for i in $(seq 1 40); do
            echo "\"the fox ran into the wood $i\",animal"
            echo "\"rain fell on the hill $i\",weather"
        done
    } > web.csv
    {
        echo "text,label"
        for i in $(seq 1 20); do
            echo "\"a fox by the river\",animal"
            echo "\"sun and wind today\",weather"
        done
    } > phone.csv
    cat > ts.yaml <<YAML
name: text_sources
seed: 4
data:
  format: text
  sources:
    - {name: web, domain: out, train: {file: web.csv}, use: {train: 1.0}}
    - {name: phone, train: {file: phone.csv}, use: {train: 0.5, dev: 0.25, test: 0.25}, weight: 2}
  label: label
  split: {train_dev: 0.1}
  text: {task: classify, tokens: words, seq_len: 8}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: time_avgpool}
    - {type: dense, units: auto}
train:
  epochs: 3
  batch_size: 16
  optimizer: {type: adam, lr: 0.02}
YAML
}

@test "text sources: a classifier's splits per source, the vocabulary from the training mix, errors per source" {
    text_sources
    run "$DLC" train ts.yaml --out run
    echo "$output"
    [ "$status" -eq 0 ]
    # web: 80 texts, train only; phone: 40 texts, 10 dev, 10 test, 20 train;
    # train-dev: 10% of the training mix of 100
    [[ "$output" == *"source web: train "*" train_dev "* ]]
    [[ "$output" == *"source phone: train "*" dev 10 test 10 (sampling weight set)"* ]]
    [ "$(jq '[.sources.train[].examples] | add' run/report.json)" -eq 90 ]
    [ "$(jq '[.sources.train_dev[].examples] | add' run/report.json)" -eq 10 ]
    [ "$(jq '.sources.dev[] | select(.source == "web") | .examples' run/report.json)" -eq 0 ]
    [ "$(jq '.sources.test[] | select(.source == "phone") | .examples' run/report.json)" -eq 10 ]
    jq -e '.sources.dev[] | select(.source == "phone") | .error | type == "number"' run/report.json
    jq -e '.sources.train[] | select(.source == "web") | .error | type == "number"' run/report.json
    # the vocabulary counts the training mix only: a word ("zebra") in texts
    # that the phone source gives to dev and test alone is not in it; once
    # half of phone trains, it is
    {
        echo "text,label"
        for i in $(seq 1 20); do echo "\"a fox by the river\",animal"; echo "\"sun and wind today\",weather"; done
    } > phone.csv
    sed 's/use: {train: 0.5, dev: 0.25, test: 0.25}, weight: 2/use: {train: 0, dev: 0.5, test: 0.5}/' ts.yaml > eval_only.yaml
    vocab_of() { # CONFIG OUT -> the vocabulary size the run reports
        "$DLC" train "$1" --out "$2" --set train.epochs=1 2>&1 | sed -n 's/.*vocabulary of \([0-9]*\) tokens.*/\1/p'
    }
    local eval_only trains
    eval_only=$(vocab_of eval_only.yaml v1)
    trains=$(vocab_of ts.yaml v2)
    [ -n "$eval_only" ]
    [ "$trains" -gt "$eval_only" ]
    for i in $(seq 1 20); do echo "\"zebra zebra\",animal"; done >> phone.csv
    [ "$(vocab_of eval_only.yaml v3)" -eq "$eval_only" ]
    [ "$(vocab_of ts.yaml v4)" -eq $((trains + 1)) ]
}

@test "text sources: a language model carves each source's tokens in order; a tagger's sentences by source" {
    head -c 800 "$ROOT/tests/data/text/fables.txt" > a.txt
    tail -c 700 "$ROOT/tests/data/text/fables.txt" > b.txt
    cat > lm.yaml <<YAML
name: lm_sources
seed: 2
data:
  format: text
  sources:
    - {name: web, domain: out, train: {file: a.txt}, use: {train: 1.0}}
    - {name: phone, train: {file: b.txt}, use: {train: 0.5, dev: 0.25, test: 0.25}}
  split: {train_dev: 0.1}
  text: {task: lm, tokens: chars, seq_len: 16, stateful: false}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: lstm, units: 16}
    - {type: dense, units: auto}
train:
  epochs: 2
  batch_size: 4
  optimizer: {type: adam, lr: 0.01}
YAML
    run "$DLC" train lm.yaml --out lm
    echo "$output"
    [ "$status" -eq 0 ]
    # phone: 700 characters, 175 for dev and 175 for test (11 sequences of
    # 16 each); web trains only
    [[ "$output" == *"source phone: train "*" dev 11 test 11"* ]]
    [[ "$output" == *"175 dev, 175 test tokens"* ]] || [[ "$output" == *"174 dev, 174 test tokens"* ]]
    jq -e '.sources.test[] | select(.source == "phone") | .error | type == "number"' lm/report.json
    tagged_data tags_a.txt
    tagged_data tags_b.txt
    cat > tag.yaml <<YAML
name: tag_sources
seed: 3
data:
  format: text
  sources:
    - {name: a, domain: out, train: {file: tags_a.txt}, use: {train: 1.0}}
    - {name: b, train: {file: tags_b.txt}, use: {train: 0.5, dev: 0.25, test: 0.25}}
  text: {task: tag, tokens: words, seq_len: 8}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: lstm, units: 8, bidirectional: true}
    - {type: dense, units: auto}
train:
  epochs: 2
  batch_size: 16
  optimizer: {type: adam, lr: 0.02}
YAML
    run "$DLC" train tag.yaml --out tag
    echo "$output"
    [ "$status" -eq 0 ]
    # 120 sentences each; b: 30 dev, 30 test, 60 train
    [[ "$output" == *"source a: train 120"* ]]
    [[ "$output" == *"source b: train 60 dev 30 test 30"* ]]
}

@test "text sources: text and table sources cannot be mixed (file, line and key)" {
    text_sources
    sed 's|    - {name: web, domain: out, train: {file: web.csv}, use: {train: 1.0}}|    - {name: web, domain: out, format: csv, train: {file: web.csv}, use: {train: 1.0}}|' ts.yaml > mixed.yaml
    run "$DLC" train mixed.yaml
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"mixed.yaml:"*"key 'data.sources.0.format': csv: text sources and table sources"*"cannot be mixed"* ]]
}

@test "sources: the diagnosis names data mismatch for a target domain that differs (inverted digits), and not for one that does not" {
    # web: half the digits; target: the other half, as they are or inverted (16 - x)
    awk -F, 'NR == 1 || NR % 2' "$ROOT/data/digits.csv" > web.csv
    awk -F, 'NR == 1 || !(NR % 2)' "$ROOT/data/digits.csv" > same.csv
    awk -F, -v OFS=, 'NR == 1 { print; next } !(NR % 2) { for (i = 1; i < NF; i++) $i = 16 - $i; print }' \
        "$ROOT/data/digits.csv" > inverted.csv
    for target in same inverted; do
        cat > $target.yaml <<YAML
name: $target
seed: 1
data:
  format: csv
  label: digit
  sources:
    - {name: web, domain: out, train: {file: web.csv}}
    - {name: target, train: {file: $target.csv}, use: {train: 0.2, dev: 0.4, test: 0.4}}
  split: {train_dev: 0.1}
  normalize: standard
model:
  layers:
    - {type: dense, units: 64, activation: relu}
    - {type: dense, units: 10}
train: {epochs: 30, batch_size: 32, optimizer: {type: adam, lr: 0.003}}
report: {human_level_error: 0.01}
YAML
        run "$DLC" train $target.yaml --threads 1
        [ "$status" -eq 0 ]
    done
    # (seeds 1-3: a mismatch gap of 4.5 to 8.1 points inverted, -0.6 to 1.2 points the same)
    jq -e '.diagnosis.largest == "data_mismatch" and .diagnosis.gaps.data_mismatch > 0.04' runs/inverted/report.json
    [[ "$(cat runs/inverted/report.html)" == *'data-largest="data_mismatch"'* ]]
    jq -e '.diagnosis.largest != "data_mismatch" and .diagnosis.gaps.data_mismatch < 0.03' runs/same/report.json
}

@test "sources: data.missing and data.categorical apply to every source (the first source's categories)" {
    # iris with holes in the second source, and a text column in both
    awk -F, -v OFS=, 'NR == 1 { print $0, "site"; next } { print $0, (NR % 2 ? "north" : "south") }' "$ROOT/data/iris.csv" > a.csv
    awk -F, -v OFS=, 'NR > 1 && NR % 5 == 0 { $2 = "NA" } { print }' a.csv > b.csv
    cat > s.yaml <<YAML
seed: 3
data:
  format: csv
  label: species
  categorical: auto
  missing: mean
  sources:
    - {name: a, train: {file: $PWD/a.csv}}
    - {name: b, train: {file: $PWD/b.csv}, use: {train: 0.5, dev: 0.5}}
model: {layers: [{type: dense, units: 3}]}
train: {epochs: 3, batch_size: 32}
YAML
    run "$DLC" train s.yaml --out run
    [ "$status" -eq 0 ]
    # the holes are filled (no NaN reaches the loss), and said over the mix
    [[ "$output" == *"data.sources: 30 missing feature values filled with the train split's mean of the column (data.missing: mean)"* ]]
    [ "$(jq '.metrics.train.loss | isnormal' run/report.json)" = true ]
    run "$DLC" summary run
    [[ "$output" == *"input features (6): sepal_length, sepal_width, petal_length, petal_width, site=north, site=south"* ]]
}

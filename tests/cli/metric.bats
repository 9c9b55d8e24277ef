#!/usr/bin/env bats
# Metric learning and verification: triplet and pair models on the shipped
# digits and on Fashion-MNIST PNG folders with classes held out of training;
# the verification figures in report.json, report.html and dlc eval;
# dlc verify on pairs of inputs and --embed; bad input (exit 2, file, line, key).
load helpers

IMAGES="$ROOT/tests/data/images"   # Fashion-MNIST PNGs: 5 classes, 8 train / 3 test each

# Two CSV files of digit rows: a.csv rows (5, 6), b.csv rows (5, 8).
digit_rows() {
    head -1 "$ROOT/data/digits.csv" > a.csv
    cp a.csv b.csv
    grep -m1 ',5$' "$ROOT/data/digits.csv" >> a.csv
    grep -m1 ',6$' "$ROOT/data/digits.csv" >> a.csv
    grep ',5$' "$ROOT/data/digits.csv" | sed -n 2p >> b.csv
    grep -m1 ',8$' "$ROOT/data/digits.csv" >> b.csv
}

@test "triplet training on 5 digits: held-out digits are the test split, verified in report.json" {
    triplet_config
    run "$DLC" train tri.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"loss+"*"loss_all"*"active"* ]]
    [[ "$output" == *"verification (distance squared_l2 of embedding 'emb', 16 values; threshold"*"chosen on dev"* ]]
    [ "$(jq -r .task run/report.json)" = embedding ]
    [ "$(jq -r .verification.distance run/report.json)" = squared_l2 ]
    [ "$(jq -r .verification.threshold_from run/report.json)" = dev ]
    # test: the 5 held-out digits, 896 examples; dev: digits 0-4
    [ "$(jq .splits.test.examples run/report.json)" -eq 896 ]
    [ "$(jq .verification.splits.test.classes run/report.json)" -eq 5 ]
    [ "$(jq .verification.splits.dev.classes run/report.json)" -eq 5 ]
    jq -e '.verification.splits.test | .auc > 0.5 and .auc <= 1 and .eer > 0 and .eer < 0.5
           and .one_shot_3way > 0.34 and .one_shot_5way > 0.2 and .pairs == 6000' run/report.json
    jq -e '.verification.histogram | (.same | add) == 3000 and (.different | add) == 3000 and .split == "test"' run/report.json
    # both means of the triplet loss are reported
    jq -e '.metrics.train | .loss_all_triplets <= .loss and .active_triplets > 0' run/report.json
    # the default metric of an embedding is the verification AUC on dev
    jq -e '.metric.name == "auc" and .metric.value == .verification.splits.dev.auc' run/report.json
    # report.html has the section and the histogram
    grep -q '<h2>Verification</h2>' run/report.html
    grep -q 'Distances of test pairs' run/report.html
    grep -q 'data-key="verification.splits.test.auc"' run/report.html
}

@test "dlc eval gives the run's verification figures again; dlc verify uses its threshold" {
    triplet_config
    "$DLC" train tri.yaml --out run --quiet
    run "$DLC" eval run --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e --slurpfile r run/report.json \
        '.verification.auc == $r[0].verification.splits.test.auc and .verification.one_shot_5way == $r[0].verification.splits.test.one_shot_5way'
    run "$DLC" eval run
    [[ "$output" == *"verification (distance squared_l2"* ]]
    digit_rows
    run "$DLC" verify run a.csv b.csv --json
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 2 ]
    thr="$(jq .verification.threshold run/report.json)"
    echo "${lines[0]}" | jq -e --argjson t "$thr" '.threshold == $t and .measure == "squared_l2" and .a == "a.csv:1" and .b == "b.csv:1"'
    echo "${lines[1]}" | jq -e '(.same == (.distance < .threshold))'
    run "$DLC" verify run a.csv b.csv
    [[ "${lines[0]}" == "a.csv:1 b.csv:1: distance "*", threshold "*": "* ]]
    # --threshold overrides: 0 calls every pair different, a huge one the same
    run "$DLC" verify run a.csv b.csv --threshold 0
    [[ "${lines[0]}" == *": different" && "${lines[1]}" == *": different" ]]
    run "$DLC" verify run a.csv b.csv --threshold 1e9 --json
    echo "${lines[1]}" | jq -e '.same == true'
}

@test "dlc verify --embed writes one row of embedding values per input" {
    triplet_config
    "$DLC" train tri.yaml --out run --quiet
    digit_rows
    run "$DLC" verify run --embed a.csv b.csv --out emb.csv
    [ "$status" -eq 0 ]
    [ "$(wc -l < emb.csv)" -eq 5 ]
    [ "$(head -1 emb.csv)" = "input,e0,e1,e2,e3,e4,e5,e6,e7,e8,e9,e10,e11,e12,e13,e14,e15" ]
    [ "$(sed -n 2p emb.csv | cut -d, -f1)" = "a.csv:1" ]
    # l2normalize: each row has unit length; the distance of rows 1 and 3 is dlc verify's
    awk -F, 'NR > 1 { s = 0; for (i = 2; i <= NF; i++) s += $i * $i; if (s < 0.999 || s > 1.001) exit 1 }' emb.csv
    d="$(awk -F, 'NR == 2 { for (i = 2; i <= NF; i++) a[i] = $i } NR == 4 { s = 0; for (i = 2; i <= NF; i++) s += (a[i] - $i)^2; printf "%.5f", s }' emb.csv)"
    run "$DLC" verify run a.csv b.csv --json
    [ "$(echo "${lines[0]}" | jq '.distance * 100000 | round / 100000' )" = "$(echo "$d" | awk '{ printf "%g", $1 }')" ]
    # to standard output without --out
    run "$DLC" verify run --embed a.csv
    [ "${#lines[@]}" -eq 3 ]
}

@test "a siamese pair model (shared encoder, logistic unit on |e1 - e2|) trains and verifies" {
    pairs_config
    run "$DLC" train pairs.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(jq -r .task run/report.json)" = binary ]
    [ "$(jq -r .verification.distance run/report.json)" = "1 - p(same)" ]
    [ "$(jq -r .verification.embedding run/report.json)" = emb ]
    [ "$(jq .params.trainable run/report.json)" -eq $((64 * 32 + 32 + 32 * 16 + 16 + 16 + 1)) ]
    # the classes are "different" and "same"; pairs are stacked: (128) inputs
    [ "$(jq -c .classes run/report.json)" = '["different","same"]' ]
    jq -e '.verification.splits.test.classes == 5 and .verification.splits.dev.classes == 5' run/report.json
    digit_rows
    run "$DLC" verify run a.csv b.csv --json
    [ "$status" -eq 0 ]
    echo "${lines[0]}" | jq -e '.measure == "1 - p(same)" and .distance >= 0 and .distance <= 1'
    run "$DLC" verify run --embed a.csv
    [ "$status" -eq 0 ]
    [ "$(head -1 <<< "$output" | tr ',' '\n' | wc -l)" -eq 17 ]
    # --embedding: the encoder's own distances instead of the logistic unit's
    run "$DLC" eval run --embedding emb --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.verification.distance == "squared_l2" and .verification.auc > 0'
    run "$DLC" verify run a.csv b.csv --embedding emb --json
    echo "${lines[0]}" | jq -e '.measure == "squared_l2" and .threshold == null and .same == null'
    # a pair model takes pairs: dlc predict sends to dlc verify
    run "$DLC" predict run a.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"compares examples (metric learning): dlc verify RUN A B"* ]]
    run "$DLC" eval run --embedding nope
    [ "$status" -eq 2 ]
    [[ "$output" == *"--embedding: the model has no layer 'nope'"* ]]
}

@test "the chi-square variant and the contrastive loss train as pair models" {
    pairs_config chi.yaml chi
    run "$DLC" train chi.yaml --out chi
    [ "$status" -eq 0 ]
    jq -e '.verification.splits.test.auc > 0' chi/report.json
    pairs_config con.yaml
    # contrastive on the difference vector itself
    run "$DLC" train con.yaml --out con --set model.outputs='[{layer: diff, loss: contrastive, margin: 2}]'
    [ "$status" -eq 0 ]
    [ "$(jq -r .verification.distance con/report.json)" = "contrastive |v|^2" ]
    [ "$(jq -r .task con/report.json)" = embedding ]
    run "$DLC" gradcheck con.yaml --set model.outputs='[{layer: diff, loss: contrastive}]'
    [ "$status" -eq 0 ]
}

@test "pair models export to ONNX (chi_square as Sub, Mul, Abs, Add, Div) and agree with dlc predict --values" {
    need_onnx
    pairs_config chi.yaml chi
    run "$DLC" train chi.yaml --out run --quiet
    [ "$status" -eq 0 ]
    run "$ROOT/tests/onnx/check.sh" "$DLC" run gen:6
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"full check passed"* ]]
    [[ "$output" == *"probabilities: max abs diff"* ]]
    # --values takes the stacked pair (128 values) and gives p(same)
    sed -n 2p "$ROOT/data/digits.csv" | cut -d, -f1-64 > one.txt
    paste -d, one.txt one.txt > pair.txt
    run "$DLC" predict run --values pair.txt
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    awk '{ exit !($1 >= 0 && $1 <= 1) }' <<< "${lines[0]}"
    # and scripts/dlc_torch.py builds the same network in torch.nn
    if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' 2> /dev/null; then
        # ten pairs: rows 2-11 of the digits beside rows 40-49 (64 pixels each)
        paste -d, <(cut -d, -f1-64 "$ROOT/data/digits.csv" | sed -n 2,11p) \
                  <(cut -d, -f1-64 "$ROOT/data/digits.csv" | sed -n 40,49p) > v.txt
        "$DLC" predict run --values v.txt --logits > dlc.txt
        /usr/bin/python3 "$ROOT/scripts/dlc_torch.py" run --values v.txt --logits > torch.txt
        paste dlc.txt torch.txt | awk '{ d = $1 - $2; d = d < 0 ? -d : d; if (d > m) m = d }
            END { printf "torch vs dlc: max abs diff %.3g over %d pairs\n", m, NR; exit !(NR == 10 && m <= 1e-4) }'
    fi
}

@test "gradcheck passes on triplet models with every mining" {
    for mining in random hard semi_hard; do
        triplet_config tri.yaml $mining
        run "$DLC" gradcheck tri.yaml
        [ "$status" -eq 0 ]
    done
}

@test "triplets on image folders with held-out classes; dlc verify compares two PNG files" {
    image_triplets img > img.yaml
    cat >> img.yaml <<YAML
    - {type: dense, units: 8}
    - {name: emb, type: l2normalize}
loss: triplet
train: {epochs: 2, optimizer: {type: adam, lr: 0.01}}
YAML
    run "$DLC" train img.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"train 24, train-dev 0, dev 0, test 6"* ]]
    # no dev split: the threshold comes from train
    [ "$(jq -r .verification.threshold_from run/report.json)" = train ]
    jq -e '.verification.splits.test.classes == 2 and .verification.splits.test.one_shot_3way == null' run/report.json
    a="$(ls "$IMAGES"/test/8-bag/*.png | head -1)"
    b="$(ls "$IMAGES"/test/7-sneaker/*.png | head -1)"
    run "$DLC" verify run "$a" "$b"
    [ "$status" -eq 0 ]
    [[ "$output" == "$a $b: distance "*", threshold "*": "* ]]
    run "$DLC" verify run --embed "$IMAGES/test/8-bag" --out emb.csv
    [ "$status" -eq 0 ]
    [ "$(wc -l < emb.csv)" -eq 4 ]
    run "$DLC" verify run "$a" nothere.png
    [ "$status" -eq 2 ]
    [[ "$output" == *"nothere.png"* ]]
}

@test "a joint loss: triplets on the embedding and a softmax head share the one class label" {
    image_triplets joint > joint.yaml
    cat >> joint.yaml <<YAML
    - {name: hidden, type: dense, units: 8, activation: relu}
    - {type: dense, units: 8}
    - {name: emb, type: l2normalize}
    - {name: cls, type: dense, units: auto, activation: softmax, inputs: [hidden]}
  outputs: [{layer: emb, loss: triplet, margin: 0.2}, {layer: cls, loss: softmax_cross_entropy, weight: 0.5}]
train: {epochs: 3, optimizer: {type: adam, lr: 0.01}}
YAML
    run "$DLC" train joint.yaml --out run
    [ "$status" -eq 0 ]
    jq -e '[.heads[] | .loss] == ["triplet", "softmax_cross_entropy"] and .heads[1].weight == 0.5' run/report.json
    # the embedding is the primary output: verification of the held-out classes
    jq -e '.verification.splits.test.classes == 2 and .metric.name == "auc"' run/report.json
    # the softmax head learnt the seen classes from the same labels (ln 5 = 1.61 at chance)
    head -1 run/metrics.csv | grep -q 'train_cls_loss,train_cls_accuracy'
    awk -F, 'NR == 4 { exit !($13 < 1.3 && $14 > 0.5) }' run/metrics.csv
    # the total is 1 x triplet + 0.5 x cross-entropy; gradcheck checks its gradient
    run "$DLC" gradcheck joint.yaml
    [ "$status" -eq 0 ]
    run "$DLC" verify run "$(ls "$IMAGES"/test/8-bag/*.png | head -1)" "$(ls "$IMAGES"/test/7-sneaker/*.png | head -1)"
    [ "$status" -eq 0 ]
    # a head of another kind of target cannot share the class label
    sed -i 's/loss: softmax_cross_entropy, weight: 0.5/loss: mse/' joint.yaml
    run "$DLC" train joint.yaml --out run2
    [ "$status" -eq 2 ]
    [[ "$output" == *"joint.yaml:"*"key 'model.outputs': data.format image_folder gives one label per example"* ]]
}

@test "bad metric-learning input: file, line and key, exit 2" {
    triplet_config
    # a class the data does not have
    run "$DLC" train tri.yaml --set 'data.class_split.test=["5", "six"]'
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.class_split.test': no class 'six' in the data"* ]]
    # a test class that is also a train class: in the file, and from --set
    sed 's/test: \["5"/test: ["4", "5"/' tri.yaml > both.yaml
    run "$DLC" train both.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"both.yaml:7: key 'data.class_split.test.0': class '4' is also in data.class_split.train"* ]]
    run "$DLC" train tri.yaml --set 'data.class_split.test=["4", "5"]'
    [ "$status" -eq 2 ]
    [[ "$output" == *"--set data.class_split.test="*": key 'data.class_split.test.0': class '4' is also in data.class_split.train"* ]]
    # P x K larger than the data
    run "$DLC" train tri.yaml --set data.sampler.per_class=200
    [ "$status" -eq 2 ]
    [[ "$output" == *"tri.yaml:10: key 'data.sampler': classes_per_batch 5 x per_class 200 = 1000 examples per batch, but the train split has 721"* ]]
    run "$DLC" train tri.yaml --set data.sampler.classes_per_batch=6
    [ "$status" -eq 2 ]
    [[ "$output" == *"classes_per_batch 6: only 5 of the train split's 5 classes have per_class 6 examples; lower classes_per_batch to 5" ]]
    # a class short of per_class is named, with the two ways out
    run "$DLC" train tri.yaml --set data.sampler.per_class=144
    [ "$status" -eq 2 ]
    [[ "$output" == *"classes_per_batch 5: only 2 of the train split's 5 classes have per_class 144 examples ('2' has 142, '3' has 141, '4' has 142); lower classes_per_batch to 2, or per_class to 141" ]]
    run "$DLC" train tri.yaml --set data.sampler.per_class=142
    [[ "$output" == *"only 4 of the train split's 5 classes have per_class 142 examples ('3' has 141); lower classes_per_batch to 4, or per_class to 141" ]]
    # a test class without examples in the test file
    head -1 "$ROOT/data/digits.csv" > test.csv
    grep -E ',(5|6)$' "$ROOT/data/digits.csv" >> test.csv
    run "$DLC" train tri.yaml --set data.test.file="$TMP/test.csv"
    [ "$status" -eq 2 ]
    [[ "$output" == *"tri.yaml:7: key 'data.class_split.test': class '7' has no examples in $TMP/test.csv"* ]]
    # the held-out classes are the test split
    run "$DLC" train tri.yaml --set data.split.test=0.1
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.split.test': the test split is the held-out classes"* ]]
    run "$DLC" train tri.yaml --set loss=mse
    [ "$status" -eq 2 ]
    [[ "$output" == *"tri.yaml:16: key 'model.outputs.0.margin': loss mse takes no margin"* ]]
    run "$DLC" train tri.yaml --set data.sampler.mining=hardest
    [ "$status" -eq 2 ]
    [[ "$output" == *"key 'data.sampler.mining': expected one of random, hard, semi_hard"* ]]
    # the triplet loss compares vectors
    run "$DLC" train tri.yaml --set model.layers.2.type=reshape --set 'model.layers.2.shape=[4, 4]'
    [ "$status" -eq 2 ]
    [[ "$output" == *"does not suit loss triplet: it compares vectors"* ]]
}

@test "dlc verify refuses a model that does not compare, and bad usage (exit 2)" {
    iris_config
    "$DLC" train iris.yaml --out iris --quiet
    run "$DLC" verify iris "$ROOT/data/iris.csv" "$ROOT/data/iris.csv"
    [ "$status" -eq 2 ]
    [[ "$output" == *"no embedding to compare examples with: name a layer (a classifier's last hidden layer, say: dlc summary lists them) with --embedding LAYER or in model.embedding"* ]]
    # a classifier's hidden layer can be the embedding (the baseline)
    run "$DLC" train iris.yaml --out iris2 --quiet --set model.embedding=dense_1
    [ "$status" -eq 0 ]
    jq -e '.verification.embedding == "dense_1" and .verification.splits.test.classes == 3' iris2/report.json
    run "$DLC" verify iris2 --embed "$ROOT/data/iris.csv" --out e.csv
    [ "$status" -eq 0 ]
    [ "$(wc -l < e.csv)" -eq 151 ]
    run "$DLC" verify iris2 "$ROOT/data/iris.csv"
    [ "$status" -eq 2 ]
    [[ "$output" == *"expected a RUN and two inputs"* ]]
    run "$DLC" verify iris2 a b --threshold x
    [ "$status" -eq 2 ]
    run "$DLC" train iris.yaml --out iris3 --quiet --set model.embedding=nope
    [ "$status" -eq 2 ]
    [[ "$output" == *"model.embedding: no layer is named 'nope'"* ]]
}

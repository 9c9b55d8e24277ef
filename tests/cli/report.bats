#!/usr/bin/env bats
# The reports a run ends with: report.json (old fields kept, new ones added),
# confusion.csv, report.html, the error sample, the single-number metric, the
# diagnosis on the terminal, dlc eval, and dlc analyze on tagged files.
load helpers

# A JSON value from a file by jq path: jv FILE PATH
jv() {
    jq -r "$2" "$1"
}

# Writes a tagged copy of an errors.csv: row k (0-based) gets mislabeled when
# k < m, blurry when k < b, and the word "dark" when k is odd.
tag_errors() {
    awk -F, -v OFS=, -v m="$3" -v b="$4" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print; next }
        { k = NR - 2
          if (k < m) $col["mislabeled"] = "x"
          if (k < b && ("blurry" in col)) $col["blurry"] = "x"
          if (k % 2 == 1) $col["tags"] = "dark"
          print }' "$1" > "$2"
}

@test "train writes report.json with the old fields and the new ones, confusion.csv and report.html" {
    iris_config iris.yaml 20
    printf 'report:\n  human_level_error: 0.02\n' >> iris.yaml
    run "$DLC" train iris.yaml --out run --threads 2
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .threads)" = 2 ]
    grep -q '2 threads' run/report.html
    for f in report.json confusion.csv report.html errors/errors.csv; do
        [ -s "run/$f" ]
    done
    # fields other tools read stay where they were
    [ "$(jv run/report.json .format)" = "dlc-report-1" ]
    [ "$(jv run/report.json .name)" = "iris" ]
    [ "$(jv run/report.json .epochs_run)" = 20 ]
    for k in best_epoch stopped_early seconds params.trainable params.frozen; do
        [ "$(jv run/report.json ".$k")" != null ]
    done
    for s in train dev test; do
        for k in examples loss accuracy error; do
            [ "$(jv run/report.json ".splits.$s.$k")" != null ]
        done
    done
    [ -n "$(json_figure run/report.json dev accuracy)" ]
    # new: per-class figures, confusion, diagnosis, metric, cost
    [ "$(jv run/report.json .task)" = classification ]
    [ "$(jv run/report.json '.classes | length')" = 3 ]
    [ "$(jv run/report.json '.metrics.dev.per_class | length')" = 3 ]
    [ "$(jv run/report.json '.metrics.dev.confusion | flatten | add')" = 30 ]
    [ "$(jv run/report.json .diagnosis.human_level_error)" = 0.02 ]
    # 1 error of 30 dev examples against 1 of 90 train: the variance gap is
    # within its sampling noise, so no gap is named and no remedy given
    [ "$(jv run/report.json .diagnosis.largest)" = null ]
    [ "$(jv run/report.json .diagnosis.within_noise)" = variance ]
    [ "$(jv run/report.json '.diagnosis.noise.variance > .diagnosis.gaps.variance')" = true ]
    [ "$(jv run/report.json '.diagnosis.remedies | length')" = 0 ]
    [ "$(jv run/report.json .metric.name)" = accuracy ]
    [ "$(jv run/report.json .metric.split)" = dev ]
    [ "$(jv run/report.json '.metric.value == .splits.dev.accuracy')" = true ]
    [ "$(jv run/report.json .metric.constraints_met)" = true ]
    [ "$(jv run/report.json '.cost.latency_ms > 0')" = true ]
    [ "$(jv run/report.json '.cost.params')" = "$(jv run/report.json '.params.trainable')" ]
    [ "$(jv run/report.json '.cost.size_mb > 0')" = true ]
    # confusion.csv: every split, every pair; counts add up to the split sizes
    [ "$(head -1 run/confusion.csv)" = "split,true,predicted,count" ]
    [ "$(grep -c '^dev,' run/confusion.csv)" -eq 9 ]
    [ "$(awk -F, '$1 == "test" {n += $4} END {print n}' run/confusion.csv)" -eq 30 ]
    # the terminal shows the per-class table, the metric and the diagnosis
    [[ "$output" == *"per class (dev):"* ]]
    [[ "$output" == *"macro avg"* ]]
    [[ "$output" == *"metric: accuracy on dev ="* ]]
    [[ "$output" == *"bias / variance (error):"* ]]
    [[ "$output" == *"human-level      2.00%"* ]]
    [[ "$output" == *"within noise (+-"* ]]
    [[ "$output" == *"diagnosis: no gap stands out from sampling noise: the largest, variance"* ]]
    [[ "$output" == *"report: run/report.html"* ]]
}

@test "report.json values agree with the counts in its own confusion matrix" {
    iris_config iris.yaml 10
    "$DLC" train iris.yaml --out run --quiet
    # accuracy = trace / total; recall of class k = diagonal / row sum
    [ "$(jv run/report.json '(.metrics.test.confusion | [range(length) as $i | .[$i][$i]] | add) / 30
                              - .splits.test.accuracy | fabs < 1e-8')" = true ]
    [ "$(jv run/report.json '.metrics.dev.per_class[0] as $c | .metrics.dev.confusion[0] as $r
                              | ($r[0] / ($r | add)) - $c.recall | fabs < 1e-8')" = true ]
}

@test "satisficing constraints: met, and not met, in report.json and on the terminal" {
    iris_config iris.yaml 5
    run "$DLC" train iris.yaml --out run --set report.metric.satisfice.params=1000000 \
        --set report.metric.satisfice.latency_ms.max=1000
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .metric.constraints_met)" = true ]
    [ "$(jv run/report.json '.metric.constraints | length')" = 2 ]
    [[ "$output" == *"constraints met: latency_ms"* ]]
    run "$DLC" train iris.yaml --out run --force --set report.metric.satisfice.params=10
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .metric.constraints_met)" = false ]
    [ "$(jv run/report.json '.metric.constraints[0].name')" = params ]
    [ "$(jv run/report.json '.metric.constraints[0].max')" = 10 ]
    [ "$(jv run/report.json '.metric.constraints[0].met')" = false ]
    [[ "$output" == *"constraints NOT met: params"*"(fails)"* ]]
}

@test "a weighted single-number metric: accuracy - 0.5 * latency in seconds" {
    iris_config iris.yaml 5
    run "$DLC" train iris.yaml --out run --set report.metric.optimize=weighted \
        --set report.metric.weights.accuracy=1 --set report.metric.weights.latency_ms=-0.0005
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .metric.name)" = weighted ]
    [ "$(jv run/report.json .metric.higher_is_better)" = true ]
    [ "$(jv run/report.json '.metric.value - (.splits.dev.accuracy - 0.0005 * .cost.latency_ms) | fabs < 1e-9')" = true ]
    [ "$(jv run/report.json '.metric.weights.latency_ms')" = -0.0005 ]
}

@test "the single-number metric can be the loss: the metric split's loss, lower is better" {
    iris_config iris.yaml 5
    run "$DLC" train iris.yaml --out run --set report.metric.optimize=loss --set report.metric.split=test
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .metric.name)" = loss ]
    [ "$(jv run/report.json .metric.higher_is_better)" = false ]
    [ "$(jv run/report.json '.metric.value == .splits.test.loss and .metric.value > 0')" = true ]
    [[ "$output" == *"metric: loss on test = "* ]]
}

@test "report.html's learning curves: their epoch ticks are the run's epochs, inside the chart" {
    iris_config iris.yaml 5
    "$DLC" train iris.yaml --out run --quiet
    epochs=$(jv run/report.json .epochs_run)
    [ "$(grep -o '<svg class="chart" viewBox="0 0 460 ' run/report.html | wc -l)" -ge 2 ]
    # ticks: <text class="xt" x="X" y="Y">EPOCH</text>; every chart has epochs 1..5
    grep -o 'class="xt" x="[0-9.]*" y="[0-9]*">[0-9.]*<' run/report.html | tr '"<>' '   ' |
        awk -v e="$epochs" '{ x = $4; v = $7 + 0; n++
                              if (v < 1 || v > e || x < 0 || x > 460) { print "tick " v " at " x; bad = 1 } }
                            END { exit bad || n % e != 0 || n == 0 }'
}

@test "binary task: ROC AUC; the metric can be auc on the test split" {
    cp "$ROOT/configs/logistic_regression_breast_cancer.yaml" bc.yaml
    run "$DLC" train bc.yaml --out run --set data.train.file="$ROOT/data/breast_cancer.csv" \
        --set train.epochs=20 --set report.metric.optimize=auc --set report.metric.split=test
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .task)" = binary ]
    [ "$(jv run/report.json '.classes')" = "$(printf '[\n  "benign",\n  "malignant"\n]')" ]
    [ "$(jv run/report.json '.metrics.dev.auc > 0.9 and .metrics.dev.auc <= 1')" = true ]
    [ "$(jv run/report.json '.metric.value == .metrics.test.auc')" = true ]
    [ "$(jv run/report.json .metric.split)" = test ]
    [[ "$output" == *"ROC AUC 0."* ]]
}

@test "multi-label sigmoid outputs: per-task figures, unknown labels left out" {
    awk 'BEGIN { srand(3); print "x1,x2,a,b"
                 for (i = 0; i < 200; i++) { x = rand() - 0.5; y = rand() - 0.5
                     b = (i % 5 == 0) ? "" : ((y > 0) ? 1 : 0)
                     printf "%.3f,%.3f,%d,%s\n", x, y, (x > 0) ? 1 : 0, b } }' > ml.csv
    cat > ml.yaml <<YAML
name: ml
data: {format: csv, train: {file: ml.csv}, label: [a, b], split: {dev: 0.25}}
model: {layers: [{type: dense, units: 2, activation: sigmoid}]}
loss: sigmoid_bce
train: {epochs: 15, batch_size: 16, optimizer: {type: adam, lr: 0.05}}
YAML
    run "$DLC" train ml.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .task)" = multilabel ]
    [ "$(jv run/report.json '.metrics.dev.tasks | map(.task) | join(",")')" = "a,b" ]
    [ "$(jv run/report.json '.metrics.dev.tasks[0].known')" = 50 ]
    [ "$(jv run/report.json '.metrics.dev.tasks[1].known < 50')" = true ]
    [ "$(jv run/report.json '.metrics.dev.tasks[0].auc > 0.5')" = true ]
    [ "$(jv run/report.json .error_analysis)" = null ]
    [[ "$output" == *"per task (dev):"* ]]
}

@test "regression: MSE and MAE per split, no avoidable bias without a human-level figure" {
    cat > reg.yaml <<YAML
name: reg
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: petal_width,
       features: [sepal_length, petal_length], split: {dev: 0.2, test: 0.2}}
model: {layers: [{type: dense, units: 1}]}
loss: mse
train: {epochs: 20, batch_size: 16, optimizer: {type: adam, lr: 0.05}}
report: {metric: mae}
YAML
    run "$DLC" train reg.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .task)" = regression ]
    [ "$(jv run/report.json '.metrics.dev.mse - .splits.dev.loss | fabs < 1e-6')" = true ]
    [ "$(jv run/report.json '.metrics.dev.mae > 0')" = true ]
    [ "$(jv run/report.json '.metric.value == .metrics.dev.mae')" = true ]
    [ "$(jv run/report.json .metric.higher_is_better)" = false ]
    [ "$(jv run/report.json .diagnosis.gaps.avoidable_bias)" = null ]
    [ "$(jv run/report.json .diagnosis.error_measure)" = mse ]
    [ ! -e run/confusion.csv ]
    # the error sample: the dev examples with the largest errors
    [ "$(jv run/report.json .error_analysis.kind)" = largest_errors ]
    head -1 run/errors/errors.csv | grep -q '^id,true,predicted,abs_error,'
    # each row's error is |predicted - true|, largest first
    tail -n +2 run/errors/errors.csv | awk -F, '
        { d = $3 - $2; d = d < 0 ? -d : d
          if ((d - $4) ^ 2 > 1e-8 || (NR > 1 && $4 > prev)) { print "row " NR ": " $0; bad = 1 }
          prev = $4 }
        END { exit bad || NR < 2 }'
    [[ "$output" == *"bias / variance (mse):"* ]]
}

# y = 2x + noise (sd 1) rows from awk's seeded generator: reg_rows SEED N [SHIFT]
reg_rows() {
    awk -v seed="$1" -v n="$2" -v shift="${3:-0}" 'BEGIN { srand(seed); print "x,y"
        for (i = 0; i < n; i++) { x = rand() * 4 - 2; e = 0
            for (j = 0; j < 12; j++) e += rand()
            printf "%.4f,%.4f\n", x, 2 * x + (e - 6) + shift } }'
}

# The MSE of a run on a CSV file of x,y rows and its standard error, from
# dlc predict's values: the sample standard deviation of the squared errors
# over sqrt(n).  Prints "mse se".
mse_and_se() {
    tail -n +2 "$2" | cut -d, -f1 > x.txt
    "$DLC" predict "$1" --values x.txt > p.txt
    paste -d, <(tail -n +2 "$2" | cut -d, -f2) p.txt |
        awk -F, '{ d = $2 - $1; s = d * d; n++; S += s; SS += s * s }
                 END { m = S / n; printf "%.9g %.9g\n", m, sqrt((SS - n * m * m) / (n - 1) / n) }'
}

reg_noise_config() {
    cat > reg.yaml <<YAML
name: reg
data: {format: csv, train: {file: train.csv}, dev: {file: $1}, label: y}
model: {layers: [{type: dense, units: 1}]}
loss: mse
train: {epochs: 200, batch_size: full, optimizer: {type: adam, lr: 0.05}}
YAML
}

@test "regression gaps have a sampling noise: a dev gap within it names no variance" {
    # 60 train and 30 dev rows of one line plus noise: dev's MSE is above
    # train's by chance alone (0.32 here), and two standard errors of the
    # difference (0.53) say so; it used to name "variance" with remedies
    reg_rows 7 60 > train.csv
    reg_rows 8 30 > dev.csv
    reg_noise_config dev.csv
    run "$DLC" train reg.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .diagnosis.largest)" = null ]
    [ "$(jv run/report.json .diagnosis.within_noise)" = variance ]
    [ "$(jv run/report.json '.diagnosis.gaps.variance > 0')" = true ]
    [ "$(jv run/report.json '.diagnosis.remedies | length')" = 0 ]
    # the noise is 2 sqrt(se_train^2 + se_dev^2), each se from the examples' squared errors
    read -r mse_tr se_tr < <(mse_and_se run train.csv)
    read -r mse_dev se_dev < <(mse_and_se run dev.csv)
    [ "$(jv run/report.json ".diagnosis.errors.train - $mse_tr | fabs < 1e-5")" = true ]
    [ "$(jv run/report.json ".diagnosis.errors.dev - $mse_dev | fabs < 1e-5")" = true ]
    want=$(awk -v a="$se_tr" -v b="$se_dev" 'BEGIN { printf "%.9g", 2 * sqrt(a * a + b * b) }')
    [ "$(jv run/report.json ".diagnosis.noise.variance / $want - 1 | fabs < 1e-4")" = true ]
    # each split's own standard error is in report.json (sweeps compare dev MSEs by it)
    [ "$(jv run/report.json ".metrics.dev.mse_se / $se_dev - 1 | fabs < 1e-4")" = true ]
    [ "$(jv run/report.json ".metrics.train.mse_se / $se_tr - 1 | fabs < 1e-4")" = true ]
    [ "$(jv run/report.json '.diagnosis.noise.variance > .diagnosis.gaps.variance')" = true ]
    [ "$(jv run/report.json .diagnosis.noise.avoidable_bias)" = null ]
    [[ "$output" == *"variance (dev - train)"*"within noise (+-"* ]]
    [[ "$output" == *"diagnosis: no gap stands out from sampling noise: the largest, variance"* ]]
    [[ "$output" == *"two standard errors of the mean squared errors"* ]]
    grep -q 'No gap stands out from sampling noise' run/report.html
    # dlc eval agrees
    run "$DLC" eval run --json --split dev
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .largest_gap)" = null ]
    [ "$(echo "$output" | jq -r .gap_within_noise)" = variance ]
    # a human-level MSE (in the targets' units: above 1 is allowed, as for no error
    # rate) gives avoidable bias, whose noise is two standard errors of train's MSE
    run "$DLC" train reg.yaml --out run2 --set report.human_level_error=2.5
    [ "$status" -eq 0 ]
    [ "$(jv run2/report.json .diagnosis.human_level_error)" = 2.5 ]
    [ "$(jv run2/report.json ".diagnosis.noise.avoidable_bias / (2 * $se_tr) - 1 | fabs < 1e-4")" = true ]
}

@test "regression gaps have a sampling noise: a dev gap beyond it is variance, with remedies" {
    # the same train rows; dev's targets shifted by 3: a gap of about 9 against a noise below 1
    reg_rows 7 60 > train.csv
    reg_rows 8 30 3 > dev.csv
    reg_noise_config dev.csv
    run "$DLC" train reg.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .diagnosis.largest)" = variance ]
    [ "$(jv run/report.json .diagnosis.within_noise)" = null ]
    [ "$(jv run/report.json '.diagnosis.gaps.variance > .diagnosis.noise.variance')" = true ]
    [ "$(jv run/report.json '.diagnosis.noise.variance > 0')" = true ]
    [ "$(jv run/report.json '.diagnosis.remedies | length > 0')" = true ]
    [[ "$output" == *"diagnosis: variance is the largest gap measured"* ]]
    [[ "$output" != *"within noise"* ]]
}

@test "eval prints the report for a split and adds the metric to --json" {
    iris_config iris.yaml 10
    "$DLC" train iris.yaml --out run --quiet
    run "$DLC" eval run --split test
    [ "$status" -eq 0 ]
    [[ "$output" == test:* ]]
    [[ "$output" == *"per class (test):"* ]]
    [[ "$output" == *"bias / variance (error):"* ]]
    [[ "$output" == *"diagnosis:"* ]]
    run "$DLC" eval run --json --split dev
    [ "$status" -eq 0 ]
    echo "$output" > eval.json
    [ "$(jq --slurpfile r run/report.json '.f1_macro - ($r[0].metrics.dev.macro.f1) | fabs < 1e-9' eval.json)" = true ]
    [ "$(jq -r .metric.name eval.json)" = accuracy ]
    [ "$(jq -r .largest_gap eval.json)" = "$(jv run/report.json .diagnosis.largest)" ]
    [ "$(jq -r .gap_within_noise eval.json)" = "$(jv run/report.json .diagnosis.within_noise)" ]
}

@test "error sample: seeded, misclassified dev examples only, with PNG images for image data" {
    [ -f "$FMNIST/t10k-images-idx3-ubyte.gz" ] || skip "dataset-fashion-mnist not installed"
    fmnist_config fm.yaml 2000 2
    printf 'report: {error_analysis: {samples: 25}}\n' >> fm.yaml
    run "$DLC" train fm.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(head -1 run/errors/errors.csv)" = "id,true,predicted,confidence,image,mislabeled,blurry,tags" ]
    [ "$(tail -n +2 run/errors/errors.csv | wc -l)" -eq 25 ]
    [ "$(jv run/report.json .error_analysis.sampled)" = 25 ]
    [ "$(jv run/report.json '.error_analysis.dev_errors == (.splits.dev.error * .splits.dev.examples | round)')" = true ]
    # every row is a mistake, its image exists and is a PNG
    tail -n +2 run/errors/errors.csv | while IFS=, read -r id t p conf img rest; do
        [ "$t" != "$p" ]
        [ "$img" = "$id.png" ]
        [ "$(head -c 8 "run/errors/$img" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
    done
    [ "$(ls run/errors/*.png | wc -l)" -eq 25 ]
    # each image is its example: the model predicts from the PNG what the row says
    # it predicted for the example, class and confidence
    tail -n +2 run/errors/errors.csv | awk -F, '{print "run/errors/" $5 ": " $3 " " $4}' > want.txt
    "$DLC" predict run $(tail -n +2 run/errors/errors.csv | cut -d, -f5 | sed 's|^|run/errors/|') \
        --top-k 1 --quiet > got.txt
    diff want.txt got.txt
    # the same seed draws the same sample
    cp run/errors/errors.csv first.csv
    "$DLC" train fm.yaml --out run --force --quiet
    cmp first.csv run/errors/errors.csv
    [ "$(ls run/errors/*.png | wc -l)" -eq 25 ]
    [[ "$output" == *"25 of "*" misclassified dev examples in run/errors/errors.csv"* ]]
}

@test "analyze tallies tags by ceiling and corrects dev error for mislabeled examples" {
    iris_config iris.yaml 2
    "$DLC" train iris.yaml --out run --quiet --set train.optimizer.lr=0.001
    # a hand-made sample of 50 errors: 3 mislabeled (6%), 20 blurry, 25 "dark"
    {
        echo "id,true,predicted,confidence,image,mislabeled,blurry,tags"
        for i in $(seq 0 49); do echo "$i,setosa,virginica,0.5,,,,"; done
    } > errors.csv
    tag_errors errors.csv tagged.csv 3 20
    # dev error of the run, and the 10% example of the notes via a doctored report
    jq '.splits.dev.error = 0.1' run/report.json > r.json && mv r.json run/report.json
    run "$DLC" analyze run --tags tagged.csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"dev error 10.00%"* ]]
    # sorted by ceiling: dark 25 (5.00%), blurry 20 (4.00%), mislabeled 3 (0.60%)
    echo "$output" | grep -A3 '^tag ' | tail -3 > table
    [ "$(awk '{print $1}' table | paste -sd,)" = "dark,blurry,mislabeled" ]
    grep -q "^dark  *25  *50.0%  *5.00%" table
    grep -q "^blurry  *20  *40.0%  *4.00%" table
    grep -q "^mislabeled  *3  *6.0%  *0.60%" table
    [[ "$output" == *"(untagged)"* ]]
    [[ "$output" == *"corrected dev error 9.40%"* ]]
    [[ "$output" == *"0.60% due to mislabels + 9.40% due to other causes"* ]]
    run "$DLC" analyze run --tags tagged.csv --json
    [ "$status" -eq 0 ]
    echo "$output" > a.json
    [ "$(jq -r .corrected_dev_error a.json)" = 0.094 ]
    [ "$(jq -r '.tags[0].tag' a.json)" = dark ]
    [ "$(jq -r '.tags[0].ceiling' a.json)" = 0.05 ]
}

@test "analyze reads the run's own errors.csv and lists the most confused pairs" {
    iris_config iris.yaml 1
    "$DLC" train iris.yaml --out run --quiet --set train.optimizer.lr=0.001
    n=$(jv run/report.json .error_analysis.dev_errors)
    [ "$n" -gt 0 ]
    run "$DLC" analyze run
    [ "$status" -eq 0 ]
    [[ "$output" == *"no tags yet"* ]]
    [[ "$output" == *"most confused class pairs"* ]]
    tag_errors run/errors/errors.csv t.csv 1 0
    cp t.csv run/errors/errors.csv
    run "$DLC" analyze run
    [ "$status" -eq 0 ]
    [[ "$output" == *"mislabeled"* ]]
    [[ "$output" == *"corrected dev error"* ]]
}

# analyze_fails NAME CONTENT WANT: dlc analyze on a tag file holding CONTENT
# exits 2 with WANT in its message
analyze_fails() {
    printf "$2" > "$1"
    run "$DLC" analyze run --tags "$1"
    [ "$status" -eq 2 ]
    [[ "$output" == *"$3"* ]]
}

@test "analyze: malformed tag files and missing runs are clear errors (exit 2)" {
    iris_config iris.yaml 1
    "$DLC" train iris.yaml --out run --quiet
    analyze_fails nohead.csv 'true,predicted,blurry\na,b,x\n' "nohead.csv:1: no 'id' column"
    analyze_fails short.csv 'id,true,predicted,blurry\n1,a,b,x\n2,a,b\n' \
        "short.csv:3: 3 fields, but the header has 4"
    analyze_fails mark.csv 'id,true,predicted,blurry\n1,a,b,maybe\n' \
        "mark.csv:2: column 'blurry': 'maybe' is not a mark"
    analyze_fails quote.csv 'id,true,predicted\n1,"a,b\n' "quote.csv:2: a quoted field is never closed"
    analyze_fails dup.csv 'id,true,predicted\n1,a,b\n1,a,c\n' "id 1 appears twice"
    analyze_fails empty.csv '' "empty.csv: empty"
    head -c 300 /dev/urandom > junk.csv
    run "$DLC" analyze run --tags junk.csv
    [ "$status" -eq 2 ]
    run "$DLC" analyze run --tags missing.csv
    [ "$status" -eq 2 ]
    [[ "$output" == *"missing.csv"* ]]
    run "$DLC" analyze nowhere
    [ "$status" -eq 2 ]
    [[ "$output" == *"no report.json"* ]]
    run "$DLC" analyze
    [ "$status" -eq 2 ]
    echo '{"format": ' > run/report.json
    run "$DLC" analyze run
    [ "$status" -eq 2 ]
}

@test "bad report.metric config keys are clear errors (exit 2)" {
    iris_config iris.yaml 1
    run "$DLC" train iris.yaml --out run --set report.metric.optimize=speed
    [ "$status" -eq 2 ]
    [[ "$output" == *"report.metric.optimize"* ]]
    run "$DLC" train iris.yaml --out run --set report.metric.satisfice.accuracy.max=0.9
    [ "$status" -eq 2 ]
    [[ "$output" == *"valid here: min"* ]]
    run "$DLC" train iris.yaml --out run --set report.metric.satisfice.latency=5
    [ "$status" -eq 2 ]
    [[ "$output" == *"latency_ms"* ]]
}

@test "a tagged errors.csv is never overwritten by a later run" {
    iris_config iris.yaml 1
    "$DLC" train iris.yaml --out run --quiet --set train.optimizer.lr=0.001
    tag_errors run/errors/errors.csv t.csv 1 0
    cp t.csv run/errors/errors.csv
    run "$DLC" train iris.yaml --out run --force --set train.optimizer.lr=0.001
    [ "$status" -eq 0 ]
    [[ "$output" == *"it is kept as run/errors/errors.tagged-1.csv"* ]]
    cmp t.csv run/errors/errors.tagged-1.csv
    # an untagged sample is simply replaced
    run "$DLC" train iris.yaml --out run --force --set train.optimizer.lr=0.001
    [[ "$output" != *"kept as"* ]]
    [ ! -e run/errors/errors.tagged-2.csv ]
}

@test "more than 256 classes: per-class figures, the non-zero confusion cells, no K x K matrix" {
    {
        echo "text,label"
        for i in $(seq 1 300); do
            for j in 1 2 3 4; do echo "\"w$i w$i some words $j\",c$i"; done
        done
    } > many.csv
    cat > many.yaml <<YAML
name: many
data:
  format: text
  train: {file: many.csv}
  label: label
  split: {dev: 0.25}
  text: {task: classify, tokens: words, seq_len: 6}
model:
  layers:
    - {type: embedding, units: 16}
    - {type: time_avgpool}
    - {type: dense, units: auto}
train:
  epochs: 30
  batch_size: 32
  optimizer: {type: adam, lr: 0.02}
YAML
    run "$DLC" train many.yaml --out run
    [ "$status" -eq 0 ]
    [ "$(jv run/report.json .classes | jq length)" = 300 ]
    [ "$(jv run/report.json .metrics.dev.confusion)" = null ]
    [ "$(jv run/report.json '.metrics.dev.per_class | length')" = 300 ]
    dev_n=$(jv run/report.json .splits.dev.examples)
    [ "$(jv run/report.json '[.metrics.dev.per_class[].support] | add')" = "$dev_n" ]
    # confusion.csv: only non-zero cells; they add up to each split's examples, and the
    # diagonal to its correct ones
    rows=$(awk -F, '$1 == "dev"' run/confusion.csv | wc -l)
    [ "$rows" -le "$dev_n" ]
    [ "$(awk -F, '$1 == "dev" {s += $4} END {print s}' run/confusion.csv)" = "$dev_n" ]
    [ "$(awk -F, '$1 == "dev" && $4 == 0' run/confusion.csv | wc -l)" = 0 ]
    correct=$(awk -F, '$1 == "dev" && $2 == $3 {s += $4} END {print s + 0}' run/confusion.csv)
    [ "$(jv run/report.json '[.metrics.dev.per_class[].correct] | add')" = "$correct" ]
    acc=$(jv run/report.json .splits.dev.accuracy)
    awk -v a="$acc" -v c="$correct" -v n="$dev_n" 'BEGIN {d = a - c / n; exit !(d < 1e-6 && d > -1e-6)}'
    grep -q "too many to draw" run/report.html
    [ "$(jv run/report.json '.confused_pairs | length')" -gt 0 ]
}

@test "without a dev split, the train-test gap is diagnosed as variance with test standing in for dev" {
    # no dev split, half the rows held out as test (what a user who only
    # wants a final figure writes)
    iris_config iris.yaml 200
    sed -i 's/split: {dev: 0.2, test: 0.2}/split: {dev: 0, test: 0.5}/; s/units: 8/units: 64/' iris.yaml
    run "$DLC" train iris.yaml --out run
    [ "$status" -eq 0 ]
    jq -e '.diagnosis.errors.dev == null and .diagnosis.variance_vs == "test"' run/report.json
    jq -e '.diagnosis.gaps.variance == (.diagnosis.errors.test - .diagnosis.errors.train)' run/report.json
    jq -e '.diagnosis.gaps.dev_overfitting == null' run/report.json
    [[ "$output" == *"variance (test - train)"* ]]
    [[ "$output" == *"no dev split: test stands in for dev"* ]]
    [[ "$output" != *"nothing stands out"* ]]
    grep -q 'test &minus; train)' run/report.html
    # with a dev split variance stays dev - train and test keeps its own gap
    iris_config dev.yaml 20
    run "$DLC" train dev.yaml --out devrun
    [ "$status" -eq 0 ]
    jq -e '.diagnosis.variance_vs == "dev" and .diagnosis.gaps.dev_overfitting != null' devrun/report.json
    [[ "$output" != *"test stands in for dev"* ]]
}

@test "a classifier no better on train than always predicting the most frequent class is told so, not given a gap story" {
    # breast cancer: 63% benign; a rate too small to learn leaves the model
    # worse than the constant answer
    cat > bc.yaml <<YAML
name: bc
seed: 1
data:
  format: csv
  train: {file: $ROOT/data/breast_cancer.csv}
  label: diagnosis
  split: {dev: 0.2}
model:
  layers:
    - {type: dense, units: 1, activation: sigmoid}
loss: sigmoid_bce
train: {epochs: 1, batch_size: 32, optimizer: {type: sgd, lr: 1e-7}}
YAML
    run "$DLC" train bc.yaml --out weak
    [ "$status" -eq 0 ]
    [[ "$output" == *"diagnosis: on train the model does no better than always predicting the most frequent class,"* ]]
    [[ "$output" == *"'benign' (error "* ]]
    jq -e '.diagnosis.no_better_than_majority and .diagnosis.majority_class == "benign"' weak/report.json
    jq -e '.diagnosis.largest == "avoidable_bias" and .diagnosis.errors.train >= .diagnosis.train_majority_error' weak/report.json
    jq -e '(.diagnosis.train_majority_error - 0.37) | fabs < 0.03' weak/report.json
    grep -q 'does no better than always predicting the most frequent class, <b>benign</b>' weak/report.html
    # trained properly, it beats the constant answer and the gaps speak again
    sed -i 's/epochs: 1, batch_size: 32, optimizer: {type: sgd, lr: 1e-7}/epochs: 20, batch_size: 32, optimizer: {type: adam, lr: 0.01}/' bc.yaml
    run "$DLC" train bc.yaml --out fit
    [ "$status" -eq 0 ]
    jq -e '.diagnosis.no_better_than_majority == false and .diagnosis.errors.train < .diagnosis.train_majority_error' fit/report.json
    [[ "$output" != *"most frequent class"* ]]
}

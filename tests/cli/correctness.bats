#!/usr/bin/env bats
# correctness.bats - results that were wrong or misleading when dlc was tried
# as a new user would (issue 10), each with the check that caught it.
load helpers

FABLES="$ROOT/tests/data/text/fables.txt"

lm_config() {
    cat > "${1:-lm.yaml}" <<YAML
name: lm
seed: 2
data:
  format: text
  train: {file: $FABLES}
  split: {dev: 0.1}
  text: {task: lm, tokens: chars, seq_len: 16}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: lstm, units: 16${2:-}}
    - {type: dense, units: auto}
train: {epochs: ${3:-1}, batch_size: 8}
YAML
}

@test "a bidirectional layer in a language model is refused at load: it would see the next token" {
    lm_config lm.yaml ", bidirectional: true"
    run "$DLC" train lm.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"lm.yaml:11: key 'model.layers.1.bidirectional': a language model (data.text.task lm) predicts each next token"* ]]
    run "$DLC" summary lm.yaml
    [ "$status" -eq 2 ]
    # the same layer in a tagger is fine
    printf 'the DT\nfox NN\nran VB\n\na DT\ndog NN\n' > tags.txt
    sed -i 's/task: lm/task: tag/; s/units: auto/units: auto/' lm.yaml
    run "$DLC" summary lm.yaml --set data.train.file=tags.txt --set data.split.dev=0
    [ "$status" -eq 0 ]
}

@test "predict --prompt on a model that is not a language model says so" {
    iris_config
    "$DLC" train iris.yaml --out iris --quiet
    run "$DLC" predict iris --prompt "x"
    [ "$status" -eq 2 ]
    [[ "$output" == *"not a language model (--prompt needs one trained on data.format text, task lm)"* ]]
    [[ "$output" != *"shape"* ]]
    run "$DLC" predict iris --text "x"
    [ "$status" -eq 2 ]
    [[ "$output" == *"not a text model"* ]]
}

@test "after --resume the run's wall time covers every invocation, and the last one is reported too" {
    iris_config iris.yaml 40
    "$DLC" train iris.yaml --out part --quiet --set train.epochs=20
    run "$DLC" train iris.yaml --out part --resume
    [ "$status" -eq 0 ]
    [[ "$output" == *"in this invocation"* ]]
    j=part/report.json
    # the total holds every epoch's time (metrics.csv, both invocations); the last invocation less.
    # metrics.csv rounds each epoch to the millisecond: iris's 0.5 ms epochs sum to more than
    # they took, so the sum is taken less half a millisecond an epoch
    epochs=$(awk -F, 'NR > 1 { s += $7 - 0.0005 } END { printf "%.4f", s }' part/metrics.csv)
    jq -e --argjson e "$epochs" '.seconds >= $e and .seconds_last < .seconds and .seconds_last > 0' $j
}

@test "vanishing gradients are reported by the spread of layer norms, not only an absolute floor" {
    {
        echo "name: deep"
        echo "data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species}"
        echo "model:"
        echo "  layers:"
        for i in 1 2 3 4 5 6 7 8 9; do echo "    - {type: dense, units: 16, activation: sigmoid}"; done
        echo "    - {type: dense, units: 3, activation: softmax}"
        echo "train: {epochs: 2, batch_size: 16}"
    } > deep.yaml
    run "$DLC" train deep.yaml --out deep
    [ "$status" -eq 0 ]
    # the first layer's norm is about 1e-6: above the absolute floor (1e-7), 1e-6 of the top's
    [[ "$output" == *"warning: epoch 1: vanishing gradients: layer 'dense_1'"*"times the gradient of layer 'dense_10'"* ]]
    [[ "$output" != *"has a vanishing gradient (mean norm"* ]]
    # every batch is measured in a short epoch: 10 batches, so mean and max differ
    [ "$(sed -n 2p deep/gradnorms.csv | cut -d, -f5)" -eq 10 ]
    awk -F, 'NR == 2 { exit !($3 < $4) }' deep/gradnorms.csv
    # the same depth with relu and He initialisation is healthy
    sed -i 's/activation: sigmoid/activation: relu/' deep.yaml
    run "$DLC" train deep.yaml --out relu
    [[ "$output" != *"vanishing gradients"* ]]
    # and the threshold is the user's
    run "$DLC" train deep.yaml --out strict --set train.grad_warn.ratio=0.99
    [[ "$output" == *"gradients: layer"* ]]
}

@test "Ctrl-C stops training, says where the last checkpoint is and how to resume (exit 130)" {
    fmnist_config fm.yaml 3000 200
    "$DLC" train fm.yaml --out run --threads 1 > out.txt 2>&1 &
    pid=$!
    # wait for the first epoch's checkpoint
    for i in $(seq 1 600); do
        [ -f run/checkpoint.safetensors ] && break
        sleep 0.1
    done
    [ -f run/checkpoint.safetensors ]
    kill -INT $pid
    status=0
    wait $pid || status=$?
    [ "$status" -eq 130 ]
    grep -q "dlc: error: interrupted in epoch" out.txt
    grep -q "the last checkpoint, run/checkpoint.safetensors, holds epoch [0-9]* of 200; continue with:" out.txt
    grep -q "dlc train fm.yaml --out run --resume" out.txt
    # and the command it gives works (one epoch more than the checkpoint holds:
    # training may have gone on for some epochs before the signal came)
    held=$(sed -n 's/.*holds epoch \([0-9]*\) of 200.*/\1/p' out.txt)
    run "$DLC" train fm.yaml --out run --resume --set train.epochs=$((held + 1))
    [ "$status" -eq 0 ]
    [[ "$output" == *"resuming after epoch $held"* ]]
}

@test "no thread that computes takes SIGINT or SIGTERM: a thread of its own handles them" {
    # oneDNN 2.6's JIT sgemm points the stack pointer into the heap; a signal
    # handled on a thread inside one corrupted the heap (seen as a crash after
    # Ctrl-C in about one run in seven).  Every thread but dlc-signals must
    # block both signals (OpenBLAS, which starts threads before main, kept to
    # one thread here).
    fmnist_config fm.yaml 3000 200
    OPENBLAS_NUM_THREADS=1 "$DLC" train fm.yaml --out run --threads 2 > out.txt 2>&1 &
    pid=$!
    for i in $(seq 1 600); do
        [ -f run/checkpoint.safetensors ] && break
        sleep 0.1
    done
    blocking=0 open=0 stray=
    for task in /proc/$pid/task/*; do
        # a thread may end meanwhile (the checkpoint's writer)
        blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "$task/status" 2>/dev/null) || continue
        [ -n "$blk" ] || continue
        # SIGINT is bit 1, SIGTERM bit 14
        if (( (0x$blk & 0x4002) == 0x4002 )); then
            blocking=$((blocking + 1))
        elif [ "$(cat "$task/comm" 2>/dev/null)" = dlc-signals ]; then
            open=$((open + 1))
        else
            stray="$stray $task:$blk"
        fi
    done
    kill -TERM $pid
    status=0
    wait $pid || status=$?
    echo "threads blocking $blocking, open $open, others:$stray"
    [ -z "$stray" ]
    # main and the second worker block them; one thread takes them
    [ "$blocking" -ge 2 ]
    [ "$open" -eq 1 ]
    [ "$status" -eq 130 ]
    grep -q "dlc: error: interrupted in epoch" out.txt
}

@test "a second signal ends training at once, without waiting for the batch" {
    # batches of 2,000 through two 4,096-unit layers: each takes a second or more
    fmnist_config fm.yaml 3000 5
    sed -i 's/units: 64/units: 4096/; s/batch_size: 64/batch_size: 2000/' fm.yaml
    sed -i 's/    - {type: batchnorm}/    - {type: dense, units: 4096, activation: relu}/' fm.yaml
    "$DLC" train fm.yaml --out run --threads 1 > out.txt 2>&1 &
    pid=$!
    # the handler that sets the flag is in place once training runs (while the
    # data load, a signal ends dlc at once): after epoch 1's line
    for i in $(seq 1 1200); do
        grep -q "^epoch *1 " out.txt && break
        sleep 0.1
    done
    grep -q "^epoch *1 " out.txt
    caught() { # 1 while the process has a handler for SIGINT (bit 1)
        local cgt
        cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' /proc/$pid/status 2>/dev/null) || return 1
        [ -n "$cgt" ] && (( (0x$cgt & 0x2) != 0 ))
    }
    caught
    # the first sets the flag (the run would stop at its next batch, a second
    # or more away, saying so) and its handler leaves both signals to their
    # default action; once it has run, the second ends the process
    kill -INT $pid
    for i in $(seq 1 1000); do
        caught || break
        sleep 0.01
    done
    kill -TERM $pid
    status=0
    wait $pid || status=$?
    # ended by SIGTERM (128 + 15), not by the flag the first signal set
    [ "$status" -eq 143 ]
    ! grep -q "interrupted in epoch" out.txt || false
}

@test "a NaN loss says nan (not -nan), the step, and the first layer whose output is not finite" {
    iris_config
    run "$DLC" train iris.yaml --set train.optimizer.lr=1e30 --set train.optimizer.type=sgd --set model.layers.0.activation=relu
    [ "$status" -eq 1 ]
    [[ "$output" == *"the loss became nan ("*"is the first whose output is not finite"* || "$output" == *"the loss became inf ("* ]]
    [[ "$output" == *"(step "* ]]
    [[ "$output" != *"-nan"* ]]
}

@test "--resume into a folder that holds another model is refused, saying what differs" {
    iris_config iris.yaml 3
    "$DLC" train iris.yaml --out run --quiet --set train.epochs=2
    run "$DLC" train iris.yaml --out run --resume --set model.layers.0.units=12
    [ "$status" -eq 2 ]
    [[ "$output" == *"checkpoint.safetensors holds another model: its config has \"units: 8\" where this one has \"units: 12\""* ]]
    run "$DLC" train iris.yaml --out run --resume --set model.layers.0.activation=relu
    [ "$status" -eq 2 ]
    [[ "$output" == *"\"activation: tanh\" where this one has \"activation: relu\""* ]]
    # other settings may change: more epochs, another learning rate
    run "$DLC" train iris.yaml --out run --resume --set train.optimizer.lr=0.01
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: the config differs"* ]]
}

@test "a regression run samples the dev examples with the largest errors; dlc analyze tallies their tags" {
    cat > reg.yaml <<YAML
name: reg
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: petal_width, features: [sepal_length, sepal_width, petal_length], split: {dev: 0.3}}
model: {layers: [{type: dense, units: 8, activation: tanh}, {type: dense, units: 1}]}
loss: mse
train: {epochs: 30, optimizer: {type: adam, lr: 0.02}}
report: {error_analysis: {samples: 10}}
YAML
    run "$DLC" train reg.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"error analysis: 10 of 45 dev examples, those with the largest errors,"* ]]
    jq -e '.error_analysis.kind == "largest_errors" and .error_analysis.sampled == 10' runs/reg/report.json
    head -1 runs/reg/errors/errors.csv | grep -q '^id,true,predicted,abs_error,image,mislabeled,tags$'
    # largest first, each |true - predicted|
    awk -F, 'NR > 1 { e = $2 - $3; if (e < 0) e = -e; if ((e - $4) > 1e-4 || (e - $4) < -1e-4) exit 1;
                      if (NR > 2 && $4 > prev + 1e-9) exit 1; prev = $4 }' runs/reg/errors/errors.csv
    # tag two rows and analyze
    awk -F, 'BEGIN { OFS = "," } NR == 2 || NR == 3 { $6 = "x" } { print }' runs/reg/errors/errors.csv > t.csv
    run "$DLC" analyze runs/reg --tags t.csv
    [ "$status" -eq 0 ]
    [[ "$output" == *"mislabeled"* ]]
}

@test "dlc analyze on a multi-label run says why there is no error sample and where the figures are" {
    awk 'BEGIN { srand(5); print "a,b,t1,t2"; for (i = 0; i < 80; i++) { a = rand(); b = rand();
          printf "%.3f,%.3f,%d,%d\n", a, b, (a > 0.5), (b > 0.5) } }' > ml.csv
    cat > ml.yaml <<YAML
data: {format: csv, train: {file: ml.csv}, label: [t1, t2], split: {dev: 0.25}}
model: {layers: [{type: dense, units: 2}]}
loss: sigmoid_bce
train: {epochs: 2}
YAML
    "$DLC" train ml.yaml --quiet
    run "$DLC" analyze runs/ml
    [ "$status" -eq 2 ]
    [[ "$output" == *"a multi-label run has no error sample"*"metrics.dev.tasks"* ]]
    [[ "$output" != *"cannot open"* ]]
}

@test "dlc analyze with nothing to tag says why: no dev errors, or none sampled (not 'no tags yet')" {
    # the shipped softmax regression on iris: 100% dev accuracy
    "$DLC" train "$ROOT/configs/softmax_iris.yaml" --out good --quiet --set data.train.file="$ROOT/data/iris.csv"
    [ "$(jq '.error_analysis.dev_errors' good/report.json)" -eq 0 ]
    run "$DLC" analyze good
    [ "$status" -eq 0 ]
    [[ "$output" == *"no misclassified examples to tag: the dev split has none"* ]]
    [[ "$output" != *"no tags yet"* ]]
    iris_config iris.yaml 1
    "$DLC" train iris.yaml --out none --quiet --set train.optimizer.lr=1e-6 --set report.error_analysis.samples=0
    [ "$(jq '.error_analysis.dev_errors' none/report.json)" -gt 0 ]
    run "$DLC" analyze none
    [ "$status" -eq 0 ]
    [[ "$output" == *"nothing to tag: "*"errors.csv lists no examples"*"samples: 0"* ]]
    [[ "$output" != *"no tags yet"* ]]
}

# dlc gradcheck on a config with a small batch, a few values per tensor
gradcheck_ok() {
    run "$DLC" gradcheck "$@" --batch 2 --samples 8
    if [ "$status" -ne 0 ]; then echo "$output"; fi
    [ "$status" -eq 0 ]
    [[ "$output" == *"ok: "*" parameter tensors within relative error"* ||
       "$output" == *"ok: "*" parameter tensors pass: "*" within relative error"*" by absolute error only"* ]]
}

@test "dlc gradcheck passes on every shipped config whose data is here" {
    cd "$ROOT"
    each_shipped_config gradcheck_ok
    assert_shipped_always_checked
}

@test "dlc gradcheck passes on recurrent classifiers: float32 noise on tiny gradients is no failure" {
    {
        echo "text,label"
        for i in $(seq 1 40); do
            echo "\"the fox ran into the wood $i\",animal"
            echo "\"rain fell on the hill and the wind blew $i\",weather"
        done
    } > texts.csv
    for cell in "rnn" "gru" "gru, variant: simplified" "lstm" "lstm, bidirectional: true" "gru, bptt: 3"; do
        cat > t.yaml <<YAML
data: {format: text, train: {file: texts.csv}, label: label, text: {task: classify, tokens: words, seq_len: 12}}
model:
  layers:
    - {type: embedding, units: 16}
    - {type: ${cell%%,*}, units: 16, return_sequences: true${cell#${cell%%,*}}}
    - {type: time_maxpool}
    - {type: dense, units: auto}
YAML
        run "$DLC" gradcheck t.yaml --samples 30
        if [ "$status" -ne 0 ]; then echo "$cell: $output"; fi
        [ "$status" -eq 0 ]
    done
    # the truncated one was checked against full backpropagation, and said so
    [[ "$output" == *"checked with full backpropagation"* ]]
}

@test "dlc gradcheck covers every layer family from the command line" {
    fmnist_config fm.yaml 300
    # convolutions, pooling of each kind, add and concat (a residual and an inception-like join)
    cat > cnn.yaml <<YAML
data:
  format: idx
  train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: 100}
model:
  input: [1, 28, 28]
  layers:
    - {name: c1, type: conv2d, filters: 4, kernel: 3, padding: same, activation: tanh}
    - {name: c2, type: conv2d, filters: 4, kernel: 3, padding: same}
    - {name: sum, type: add, inputs: [c1, c2]}
    - {name: bn, type: batchnorm, activation: tanh}
    - {name: mp, type: maxpool, kernel: 2}
    - {name: ap, type: avgpool, kernel: 3, stride: 2, padding: 1, inputs: [bn]}
    - {name: cat, type: concat, axis: 0, inputs: [mp, ap]}
    - {name: c3, type: conv2d, filters: 6, kernel: [2, 3], stride: 2, activation: elu}
    - {name: gp, type: global_avgpool}
    - {name: d, type: dense, units: 10}
YAML
    gradcheck_ok cnn.yaml
    # 1-D and 3-D convolutions through reshape; dropout and leaky relu / gelu activations
    cat > conv13.yaml <<YAML
data:
  format: idx
  train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: 100}
model:
  input: [1, 28, 28]
  layers:
    - {type: reshape, shape: [28, 28]}
    - {type: conv1d, filters: 3, kernel: 5, stride: 2, activation: leaky_relu}
    - {type: reshape, shape: [1, 3, 6, 2]}
    - {type: conv3d, filters: 2, kernel: [1, 3, 2], padding: same, activation: gelu}
    - {type: flatten}
    - {type: dropout, rate: 0.2}
    - {type: dense, units: 10}
YAML
    gradcheck_ok conv13.yaml
}

@test "the default single-number metric follows the loss: accuracy, mse (lower is better), mean task AUC" {
    cat > reg.yaml <<YAML
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: petal_width, features: [sepal_length, petal_length], split: {dev: 0.3}}
model: {layers: [{type: dense, units: 1}]}
loss: mse
train: {epochs: 3}
YAML
    run "$DLC" train reg.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"metric: mse on dev = "*"(lower is better)"* ]]
    jq -e '.metric.name == "mse" and .metric.value == .metrics.dev.mse' runs/reg/report.json
    awk 'BEGIN { srand(5); print "a,b,t1,t2"; for (i = 0; i < 80; i++) { a = rand(); b = rand();
          printf "%.3f,%.3f,%d,%d\n", a, b, (a > 0.5), (b > 0.5) } }' > ml.csv
    cat > ml.yaml <<YAML
data: {format: csv, train: {file: ml.csv}, label: [t1, t2], split: {dev: 0.25}}
model: {layers: [{type: dense, units: 2}]}
loss: sigmoid_bce
train: {epochs: 2}
YAML
    "$DLC" train ml.yaml --quiet
    jq -e '.metric.name == "auc" and ((.metric.value - (.metrics.dev.tasks | map(.auc) | add / 2)) | fabs) < 1e-9' runs/ml/report.json
    iris_config
    "$DLC" train iris.yaml --quiet
    jq -e '.metric.name == "accuracy"' runs/iris/report.json
}

@test "a multi-label model keeps its task names: the model file, report.json and predict agree" {
    awk 'BEGIN { srand(5); print "a,b,wet,warm"; for (i = 0; i < 80; i++) { a = rand(); b = rand();
          printf "%.3f,%.3f,%d,%d\n", a, b, (a > 0.5), (b > 0.5) } }' > ml.csv
    cat > ml.yaml <<YAML
data: {format: csv, train: {file: ml.csv}, label: [wet, warm]}
model: {layers: [{type: dense, units: 2}]}
loss: sigmoid_bce
train: {epochs: 2}
YAML
    "$DLC" train ml.yaml --quiet
    [ "$(jq -r '.classes | join(",")' runs/ml/report.json)" = "wet,warm" ]
    printf 'a,b\n0.9,0.1\n' > one.csv
    run "$DLC" predict runs/ml one.csv --json
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.predictions[0].tasks | map(.task) == ["wet", "warm"]'
    run "$DLC" predict runs/ml one.csv
    [[ "$output" == "one.csv:2: wet "*", warm "* ]]
}

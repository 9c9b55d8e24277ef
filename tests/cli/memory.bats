#!/usr/bin/env bats
# The memory plan from the command line: dlc summary prints it for the
# configured batch, dlc train refuses a run whose plan does not fit (exit 2,
# naming the largest batch that does), and no buffer is read after its
# lifetime on the shipped configs (every buffer poisoned when it ends).
load helpers

# summary's figure for a row of the memory plan, in MiB
plan_mib() { # plan_mib "row name" (reads $output)
    printf '%s\n' "$output" | awk -v row="$1" 'index($0, "  " row) == 1 {
        sub("^  " row " *", ""); print $1; exit }'
}

@test "summary prints the memory plan for the configured batch, and --set train.batch_size changes it" {
    run "$DLC" summary "$ROOT/configs/architectures/resnet18.yaml" --set train.batch_size=8
    [ "$status" -eq 0 ]
    [[ "$output" == *"memory plan for training at batch 8"* ]]
    for row in parameters gradients "optimizer state" "activations kept for backward" \
        "activations and their gradients" workspace total; do
        [ -n "$(plan_mib "$row")" ] || { echo "no row: $row"; false; }
    done
    [ "$(plan_mib parameters)" = "44.6" ]          # 11,689,512 floats
    kept8=$(plan_mib "activations kept for backward")
    total8=$(plan_mib total)
    run "$DLC" summary "$ROOT/configs/architectures/resnet18.yaml" --set train.batch_size=32
    [ "$status" -eq 0 ]
    [[ "$output" == *"memory plan for training at batch 32"* ]]
    kept32=$(plan_mib "activations kept for backward")
    # activations grow with the batch, parameters do not
    awk -v a="$kept8" -v b="$kept32" 'BEGIN { exit !(b > 3.9 * a && b < 4.1 * a) }'
    awk -v a="$total8" -v b="$(plan_mib total)" 'BEGIN { exit !(b > a) }'
    [ "$(plan_mib parameters)" = "44.6" ]
    # the optimizer's state follows its type: adam keeps two values per parameter
    run "$DLC" summary "$ROOT/configs/architectures/resnet18.yaml" --set train.optimizer.type=adam
    awk -v p="$(plan_mib parameters)" -v o="$(plan_mib "optimizer state")" 'BEGIN { exit !(o > 1.99 * p && o < 2.01 * p) }'
    run "$DLC" summary "$ROOT/configs/architectures/resnet18.yaml" --set train.optimizer.type=sgd
    [ "$(plan_mib "optimizer state")" = "0.0" ]
    [[ "$output" == *"(sgd without momentum: none)"* ]]
    # sgd with a momentum keeps one buffer per parameter, adamw two moments
    run "$DLC" summary "$ROOT/configs/architectures/resnet18.yaml" --set train.optimizer.type=sgd \
        --set train.optimizer.momentum=0.9 --set train.optimizer.nesterov=true
    [ "$(plan_mib "optimizer state")" = "$(plan_mib parameters)" ]
    [[ "$output" == *"(sgd with nesterov momentum)"* ]]
    run "$DLC" summary "$ROOT/configs/architectures/resnet18.yaml" --set train.optimizer.type=adamw
    awk -v p="$(plan_mib parameters)" -v o="$(plan_mib "optimizer state")" 'BEGIN { exit !(o > 1.99 * p && o < 2.01 * p) }'
    # amsgrad keeps a third: the largest second moment
    run "$DLC" summary "$ROOT/configs/architectures/resnet18.yaml" --set train.optimizer.type=adamw \
        --set train.optimizer.amsgrad=true
    awk -v p="$(plan_mib parameters)" -v o="$(plan_mib "optimizer state")" 'BEGIN { exit !(o > 2.99 * p && o < 3.01 * p) }'
}

@test "summary: frozen layers plan no gradient, optimizer state, best copy or snapshot, and evaluation fits the smaller plan" {
    r18="$ROOT/configs/architectures/resnet18.yaml"
    run "$DLC" summary "$r18" --set train.optimizer.type=adam
    [ "$status" -eq 0 ]
    all_total=$(plan_mib total)
    [ "$(plan_mib gradients)" = "44.6" ]
    run "$DLC" summary "$r18" --set train.optimizer.type=adam --set freeze.all_but_last=1
    [ "$status" -eq 0 ]
    echo "$output" | grep -A12 "memory plan"
    # the head alone learns: fc, 512 x 1000 + 1000 floats = 2.0 MiB
    [ "$(plan_mib parameters)" = "44.6" ]
    [ "$(plan_mib gradients)" = "2.0" ]
    [[ "$output" == *"(none for the 42.6 MiB of frozen parameters)"* ]]
    [ "$(plan_mib "optimizer state")" = "3.9" ]
    [ "$(plan_mib "the best epoch's weights")" = "2.0" ]
    [ "$(plan_mib "checkpoint snapshot")" = "5.9" ]
    [ "$(plan_mib "activations kept for backward")" = "0.1" ]
    [[ "$output" == *"evaluation in batches of 64: "* ]]
    # 7 x 42.6 MiB of state and copies, and evaluation's share of the arena
    awk -v a="$all_total" -v b="$(plan_mib total)" 'BEGIN { exit !(a - b > 1000) }'
}

@test "train refuses a plan over the memory limit before it starts (exit 2), naming the largest batch that fits" {
    fmnist_config fm.yaml 3000
    run "$DLC" summary fm.yaml --set train.batch_size=1024
    total=$(plan_mib total)
    # a limit under the plan at 1024 (summary rounds to 0.1 MiB)
    limit=$(awk -v t="$total" 'BEGIN { printf "%.6f", t * 0.9 / 1024 }')
    run "$DLC" train fm.yaml --out run --set train.batch_size=1024 --set train.memory_limit="$limit"
    [ "$status" -eq 2 ]
    [[ "$output" == *"train.batch_size 1024: the memory plan needs"*"train.memory_limit is"* ]]
    [[ "$output" == *"the largest batch that fits is "* ]]
    [ ! -e run/metrics.csv ]
    fits=$(printf '%s\n' "$output" | sed -n 's/.*the largest batch that fits is \([0-9]*\).*/\1/p')
    [ "$fits" -ge 512 ]
    [ "$fits" -lt 1024 ]
    # that batch trains under the same limit, and one more does not
    run "$DLC" train fm.yaml --out run --quiet --set train.epochs=1 --set train.batch_size="$fits" \
        --set train.memory_limit="$limit"
    [ "$status" -eq 0 ]
    run "$DLC" train fm.yaml --out run2 --quiet --set train.epochs=1 --set train.batch_size=$((fits + 1)) \
        --set train.memory_limit="$limit"
    [ "$status" -eq 2 ]
    # a limit nothing fits in
    run "$DLC" train fm.yaml --out run3 --set train.memory_limit=0.0001
    [ "$status" -eq 2 ]
    [[ "$output" == *"even a batch of 1 does not fit"* ]]
}

@test "train says what its plan needs of the memory this machine has available, and ends with the process's time next to its epochs" {
    iris_config iris.yaml 3
    run "$DLC" train iris.yaml --out run
    [ "$status" -eq 0 ]
    [[ "$output" == *"memory: the plan needs "*"; this machine has "*" available (MemAvailable"* ]]
    line=$(printf '%s\n' "$output" | grep "this process ")
    whole=$(sed -n 's/.*this process \([0-9.]*\)s, its epochs \([0-9.]*\)s;.*/\1/p' <<< "$line")
    epochs=$(sed -n 's/.*this process \([0-9.]*\)s, its epochs \([0-9.]*\)s;.*/\2/p' <<< "$line")
    # the epochs are metrics.csv's, and the process took at least as long.
    # The line rounds their sum to 0.1 s (off by up to 0.05) and metrics.csv
    # each epoch to the millisecond (up to 0.0005 each): rounding the csv's
    # sum to 0.1 s too put the two a whole 0.1 apart when the time fell near
    # a half (0.049 -> 0.0, 0.051 -> 0.1), as a busy machine's epochs can
    sum=$(awk -F, 'NR > 1 { s += $7 } END { printf "%.4f", s }' run/metrics.csv)
    n=$(($(wc -l < run/metrics.csv) - 1))
    awk -v a="$epochs" -v b="$sum" -v n="$n" 'BEGIN { d = a - b; exit !(d <= 0.05 + n * 0.0005 + 1e-6 && -d <= 0.05 + n * 0.0005 + 1e-6) }'
    awk -v w="$whole" -v e="$epochs" 'BEGIN { exit !(w >= e) }'
}

# dlc gradcheck CONFIG [options] with every buffer in its own memory, filled
# with NaN when its lifetime ends (a NaN gradient fails the check)
poisoned_gradcheck() {
    run env DLC_PLAN=separate DLC_POISON=1 "$DLC" gradcheck "$@" --batch 2 --samples 8
    if [ "$status" -ne 0 ]; then echo "$1: $output"; fi
    [ "$status" -eq 0 ]
}

@test "no buffer is read after its lifetime: gradcheck passes on the shipped configs with every buffer poisoned when it ends" {
    cd "$ROOT"
    each_shipped_config poisoned_gradcheck
    assert_shipped_always_checked
}

@test "an embedding layer whose memory the plan would reuse is kept whole: dlc verify --embed gives what separate buffers give" {
    cd "$TMP"
    # emb (no activation) is read only by batchnorm's forward: without the
    # keep, later layers take its memory before verify reads it
    write_embedding_model() {
        cat > "$1" <<YAML
name: cls
seed: 1
data: {format: csv, train: {file: $ROOT/data/digits.csv}, label: digit, split: {dev: 0.2}, normalize: minmax}
model:
$2
  layers:
    - {name: h1, type: dense, units: 32, activation: relu}
    - {name: emb, type: dense, units: 16}
    - {name: bn, type: batchnorm, activation: relu}
    - {name: h3, type: dense, units: 16, activation: relu}
    - {name: h4, type: dense, units: 16, activation: relu}
    - {name: out, type: dense, units: 10, activation: softmax}
train: {epochs: 1}
YAML
    }
    head -1 "$ROOT/data/digits.csv" > a.csv
    sed -n 2,5p "$ROOT/data/digits.csv" >> a.csv
    write_embedding_model named.yaml "  embedding: emb"
    write_embedding_model plain.yaml ""
    run "$DLC" train named.yaml --out named --quiet
    [ "$status" -eq 0 ]
    run "$DLC" train plain.yaml --out plain --quiet
    [ "$status" -eq 0 ]
    "$DLC" verify named --embed a.csv > planned.csv
    DLC_PLAN=separate "$DLC" verify named --embed a.csv > separate.csv
    [ "$(wc -l < planned.csv)" -eq 5 ]
    cmp planned.csv separate.csv
    # --embedding names it after training
    "$DLC" verify plain --embed a.csv --embedding emb > planned.csv
    DLC_PLAN=separate "$DLC" verify plain --embed a.csv --embedding emb > separate.csv
    cmp planned.csv separate.csv
}

@test "summary with model.input given reads the data for a batch asked with --set or full, as dlc train takes it" {
    iris_config iris.yaml 2
    # model.input given: summary needs no data for shapes, and used to plan
    # batch 1000 (and say nothing of full) although dlc train takes the 90 train rows
    sed -i 's/^model:$/model:\n  input: [4]/' iris.yaml
    grep -q 'input: \[4\]' iris.yaml
    run "$DLC" summary iris.yaml --set train.batch_size=1000
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: batch_size 1000 is larger than the train split (90); dlc train uses 90"* ]]
    [[ "$output" == *"memory plan for training at batch 90 "* ]]
    run "$DLC" summary iris.yaml --set train.batch_size=full
    [ "$status" -eq 0 ]
    [[ "$output" == *"memory plan for training at batch 90 "* ]]
    # the configured batch needs no data
    sed -i "s|file: $ROOT/data/iris.csv|file: gone.csv|" iris.yaml
    run "$DLC" summary iris.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"memory plan for training at batch 16 "* ]]
    # data that cannot be read: the plan at the batch as given, saying so
    run "$DLC" summary iris.yaml --set train.batch_size=1000
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: the data could not be read ($TMP/gone.csv: cannot open"*"so the plan is for batch 1000 as given"* ]]
    [[ "$output" == *"memory plan for training at batch 1000 "* ]]
    # full needs the data
    run "$DLC" summary iris.yaml --set train.batch_size=full
    [ "$status" -eq 2 ]
    [[ "$output" == *"train.batch_size full is the train split's size, which summary reads the data for: $TMP/gone.csv: cannot open"* ]]
}

@test "summary says whether the plan fits, as dlc train would judge it, and summarizes a model too large to allocate" {
    fmnist_config fm.yaml 3000
    run "$DLC" summary fm.yaml --set train.batch_size=1024
    [ "$status" -eq 0 ]
    [[ "$output" == *"memory: the plan needs "*"available"* ]]
    total=$(plan_mib total)
    limit=$(awk -v t="$total" 'BEGIN { printf "%.6f", t * 0.9 / 1024 }')
    # over the limit: the plan, then what dlc train would say, with the same largest batch
    run "$DLC" summary fm.yaml --set train.batch_size=1024 --set train.memory_limit="$limit"
    [ "$status" -eq 0 ]
    [[ "$output" == *"memory plan for training at batch 1024"* ]]
    [[ "$output" == *"does not fit: train.batch_size 1024: the memory plan needs"*"train.memory_limit is"*"dlc train would refuse to start (exit 2)"* ]]
    fits=$(printf '%s\n' "$output" | sed -n 's/.*the largest batch that fits is \([0-9]*\).*/\1/p')
    run "$DLC" train fm.yaml --out run --set train.batch_size=1024 --set train.memory_limit="$limit"
    [ "$status" -eq 2 ]
    [[ "$output" == *"the largest batch that fits is $fits "* ]]
    # a batch that fits but dlc train refuses: batchnorm over features at batch 1
    run "$DLC" summary fm.yaml --set train.batch_size=1
    [ "$status" -eq 0 ]
    [[ "$output" == *"note: dlc train refuses train.batch_size 1 here: layer 'batchnorm_1' is batchnorm over features, which needs batches of at least 2"* ]]
    run "$DLC" summary fm.yaml --set train.batch_size=2
    [[ "$output" != *"dlc train refuses train.batch_size"* ]]
    # ten billion parameters: summary counts them without allocating 40 GB
    # (it used to fail with "out of memory", exit 1)
    cat > huge.yaml <<YAML
name: huge
data: {format: csv, train: {file: $ROOT/data/iris.csv}, label: species}
model:
  input: [4]
  layers:
    - {type: dense, units: 100000}
    - {type: dense, units: 100000}
    - {type: dense, units: 3}
loss: softmax_cross_entropy
YAML
    run "$DLC" summary huge.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *"total params: 10,000,900,003 "* ]]
    [[ "$output" == *"does not fit: train.batch_size 64: the memory plan needs "*"even a batch of 1 does not fit"* ]]
}

@test "summary of a model whose layer does not fit its input names the layer, even when the data is missing" {
    cat > odd.yaml <<YAML
name: odd
data: {format: csv, train: {file: gone.csv}, label: y}
model:
  input: [1, 8, 8]
  layers:
    - {type: conv2d, filters: 4, kernel: 9}
    - {type: dense, units: 3}
loss: softmax_cross_entropy
YAML
    run "$DLC" summary odd.yaml
    [ "$status" -eq 2 ]
    # it used to say only that gone.csv could not be opened
    [[ "$output" == *"odd.yaml:6: layer 'conv2d_1' (conv2d): output size"*"the kernel is larger than the padded input"* ]]
    # a layer's output beyond what a buffer indexes per example (as model.input's
    # limit): its plan used to wrap around (activations 17179869184 GiB of a 32544 GiB total)
    sed -i 's/filters: 4, kernel: 9/filters: 2147483647, kernel: 3/' odd.yaml
    run "$DLC" summary odd.yaml
    [ "$status" -eq 2 ]
    [[ "$output" == *"odd.yaml:6: layer 'conv2d_1' (conv2d): output of 77309411292 values per example is too large (at most 2147483647)"* ]]
}

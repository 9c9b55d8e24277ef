#!/usr/bin/env bats
# Data-parallel training on MPI (src/dist): ranks that each take a shard of
# every global batch end with the weights one process gets (to float
# summation order), rank 0 alone writes, bad input fails every rank once,
# a killed job resumes with another number of ranks, and the multi-machine
# path (a hostfile over ssh, Slurm's srun) needs no other code.  Every run
# here uses --threads 1 per rank; mpirun oversubscribes the 2 cores.
load helpers

setup() {
    command -v mpirun > /dev/null || skip "Open MPI is not installed (openmpi-bin)"
    "$DLC" --version | grep -q "MPI: Open MPI" || skip "dlc was built without MPI (libopenmpi-dev)"
    TMP="$(mktemp -d /tmp/dlc-cli.XXXXXX)"
    cd "$TMP"
    # containers often forbid the cross-memory attach Open MPI's shared
    # memory uses for large messages; plain copies work everywhere
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
    # under AddressSanitizer (make sanitize): Open MPI's plugins, unloaded at
    # MPI_Finalize, leave allocations LeakSanitizer reports from an unknown
    # module; dlc's own leaks are checked by the one-process tests and valgrind
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    ST_COMPARE="${ST_COMPARE:-$ROOT/build/tests/st_compare}"
}

# mpirun NP ARGS...: NP ranks on this machine (as root in CI)
mpi() {
    local np=$1 root=()
    shift
    [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
    mpirun "${root[@]}" --oversubscribe -np "$np" "$@"
}

# metrics.csv without the timing columns (seconds, samples/s), every number
# of A within a relative 1e-4 of B's
metrics_close() {
    paste -d'|' <(cut -d, -f1-6,9- "$1") <(cut -d, -f1-6,9- "$2") | awk -F'|' '
        NR == 1 { if ($1 != $2) { print "headers differ"; bad = 1 } next }
        { n = split($1, a, ","); m = split($2, b, ",")
          if (n != m) { print "row " NR ": " n " against " m " columns"; bad = 1; next }
          for (i = 1; i <= n; i++) {
              d = a[i] - b[i]; d = d < 0 ? -d : d; s = a[i] < 0 ? -a[i] : a[i]
              if (d > 1e-4 * (s > 1 ? s : 1)) { print "row " NR " column " i ": " a[i] " against " b[i]; bad = 1 } } }
        END { exit bad }'
}

# An MLP with dropout on 3,600 Fashion-MNIST images: 51 steps of 64, SGD
# with momentum (whose steps scale with the gradient: Adam's would hide a
# gradient summed at the wrong scale).
mlp_config() {
    cat > mlp.yaml <<YAML
name: mlp
seed: 3
data:
  format: idx
  train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: 3600}
  split: {dev: 0.1}
  normalize: standard
model:
  input: [1, 28, 28]
  layers:
    - {type: flatten}
    - {type: dense, units: 64, activation: relu}
    - {type: dropout, rate: 0.3}
    - {type: dense, units: 10, activation: softmax}
train:
  epochs: ${1:-1}
  batch_size: 64
  optimizer: {type: momentum, lr: 0.05, momentum: 0.9}
YAML
}

# A CNN with batchnorm and augmentation (flips, shifts): 50 steps of 48.
cnn_config() {
    cat > cnn.yaml <<YAML
name: cnn
seed: 4
data:
  format: idx
  train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: 2600}
  split: {dev: 0.08}
  normalize: standard
  augment: {hflip: true, crop_pad: 2}
model:
  input: [1, 28, 28]
  layers:
    - {type: conv2d, filters: 8, kernel: 3, padding: same, use_bias: false}
    - {type: batchnorm, activation: relu}
    - {type: maxpool, kernel: 2}
    - {type: conv2d, filters: 16, kernel: 3, padding: same, use_bias: false}
    - {type: batchnorm, activation: relu}
    - {type: maxpool, kernel: 2}
    - {type: flatten}
    - {type: dense, units: 32, activation: relu}
    - {type: dropout, rate: 0.2}
    - {type: dense, units: 10, activation: softmax}
train:
  epochs: 1
  batch_size: ${1:-48}
  optimizer: {type: adam, lr: 0.003}
  distributed: {sync_batchnorm: ${2:-true}}
YAML
}

# A stateful character LSTM language model on the fables: 6 epochs of 9-10 steps.
lstm_config() {
    cat > lm.yaml <<YAML
name: lm
seed: 2
data:
  format: text
  train: {file: $ROOT/tests/data/text/fables.txt}
  split: {dev: 0.1}
  text: {task: lm, tokens: chars, seq_len: 16, stateful: true}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: lstm, units: 24}
    - {type: dropout, rate: 0.2}
    - {type: dense, units: auto}
train:
  epochs: 6
  batch_size: 8
  optimizer: {type: adam, lr: 0.01}
  clip_norm: 5
YAML
}

@test "2 ranks train an MLP with dropout to the weights of one process; rank 0 alone writes and prints" {
    mlp_config
    run "$DLC" train mlp.yaml --out one --threads 1 --quiet
    [ "$status" -eq 0 ]
    # small buckets: the last layer's gradients are summed while backward
    # goes on through the first
    start=$SECONDS
    run mpi 2 "$DLC" train mlp.yaml --out two --threads 1 --set train.distributed.bucket_mb=0.05
    echo "$output"
    [ "$status" -eq 0 ]
    # the time in MPI calls is a part of the job's (it once summed clock readings)
    jq -e --argjson wall $((SECONDS - start + 1)) \
        '.mpi.seconds > 0 and .mpi.seconds < $wall and .mpi.seconds_per_step * .mpi.steps < $wall' two/report.json
    [[ "$output" == *"2 processes (Open MPI"*"gradients summed in 2 calls"* ]]
    [[ "$output" == *"2 processes: "*" in MPI calls"* ]]
    # one epoch line and one summary, not one per rank
    [ "$(grep -c '^epoch   1 ' <<< "$output")" -eq 1 ]
    [ "$(grep -c 'run folder two' <<< "$output")" -eq 1 ]
    "$ST_COMPARE" one/model.safetensors two/model.safetensors 1e-5
    metrics_close one/metrics.csv two/metrics.csv
    [ "$(jq '.splits.dev.accuracy' one/report.json)" = "$(jq '.splits.dev.accuracy' two/report.json)" ]
    # no leftovers of other ranks
    [ -z "$(find two -name '*.tmp*')" ]
}

@test "2 ranks train the MLP with nesterov SGD and with AdamW (per-rank state, the same step on every rank) to one process's weights" {
    mlp_config
    local o
    for o in "{type: sgd, lr: 0.01, momentum: 0.9, nesterov: true}" "{type: adamw, lr: 0.002, weight_decay: 0.05}"; do
        rm -rf one two
        "$DLC" train mlp.yaml --out one --threads 1 --quiet --set "train.optimizer=$o"
        run mpi 2 "$DLC" train mlp.yaml --out two --threads 1 --quiet --set "train.optimizer=$o"
        echo "$output"
        [ "$status" -eq 0 ]
        "$ST_COMPARE" one/model.safetensors two/model.safetensors 1e-5
        metrics_close one/metrics.csv two/metrics.csv
    done
}

# cnn.yaml trained by one process and by 3 ranks (extra arguments to both;
# DLC_GEMM passed on to the ranks): the same weights and metrics
one_and_three_ranks() {
    run "$DLC" train cnn.yaml --out one --threads 1 --quiet "$@"
    [ "$status" -eq 0 ]
    run mpi 3 -x DLC_GEMM "$DLC" train cnn.yaml --out three --threads 1 --quiet "$@"
    echo "$output"
    [ "$status" -eq 0 ]
    "$ST_COMPARE" one/model.safetensors three/model.safetensors 1e-5
    metrics_close one/metrics.csv three/metrics.csv
}

@test "3 ranks (uneven shards) train a CNN with synchronized batchnorm and augmentation to one process's weights" {
    # OpenBLAS's products round each value the same whatever the shard's
    # size, so this compares the sharding alone over 50 Adam steps; oneDNN's
    # round a 16-row shard's products apart from a 48-row batch's by an ulp,
    # which Adam (dividing near-zero gradients by their own size) grows to
    # 1e-3 over these steps: the next test checks oneDNN's with SGD.  Only
    # OpenBLAS's AVX2 (Haswell) kernels do: the AVX-512 ones it picks on a
    # Xeon round a shard's products apart too (2.8e-2 after the 50 steps),
    # so they are pinned where the CPU has AVX2
    cnn_config 48 true
    if grep -qw avx2 /proc/cpuinfo; then
        export OPENBLAS_CORETYPE=Haswell
    fi
    DLC_GEMM=openblas one_and_three_ranks
}

@test "3 ranks with the default products (oneDNN's where built) train the CNN by SGD to one process's weights" {
    cnn_config 48 true
    one_and_three_ranks --set train.optimizer.type=sgd --set train.optimizer.lr=0.05
}

@test "frozen layers: 2 ranks sum the trainable gradients alone and train to one process's weights" {
    cnn_config
    # the convolutions and batchnorms frozen (random, as they are): the two
    # dense layers learn, 784 x 32 + 32 + 32 x 10 + 10 floats (25,456 with
    # the gradient block's alignment: 0.10 MB)
    run "$DLC" train cnn.yaml --out one --threads 1 --quiet --set freeze.all_but_last=2
    [ "$status" -eq 0 ]
    run mpi 2 "$DLC" train cnn.yaml --out two --threads 1 --set freeze.all_but_last=2
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"gradients summed in 1 call of 0.10 MB in all"* ]]
    # after each epoch rank 0 sends the two dense layers alone (25,450 floats), not the frozen
    # convolutions and batchnorms before them
    [[ "$output" == *"rank 0's weights to the others after each epoch: 101800 bytes in 1 call"* ]]
    # The order of the sums leaves dense_1.weight apart by the products'
    # rounding, which Adam (dividing each gradient by its own size) grows
    # over the 50 steps: 1.06e-5 with oneDNN's AVX-512 products, as it was
    # when the frozen layers' gradients sat in the block unused, and up to
    # 3.18e-5 over six kernel choices (oneDNN SSE4.1, AVX, AVX2, AVX-512;
    # OpenBLAS Haswell, SkylakeX; AVX2 is what CI's machine without AVX-512
    # runs).  A margin of 3 for CPUs not tried: 1e-4, still 300 times under
    # what a gradient summed wrongly moves (a step of lr = 3e-3 on weights
    # of about 0.1)
    "$ST_COMPARE" one/model.safetensors two/model.safetensors 1e-4
    metrics_close one/metrics.csv two/metrics.csv
}

@test "per-rank batchnorm statistics (the default) are not the global batch's: the weights differ; rank 0's go to every rank after each epoch" {
    cnn_config 48 false
    run "$DLC" train cnn.yaml --out one --threads 1 --quiet
    [ "$status" -eq 0 ]
    run mpi 2 "$DLC" train cnn.yaml --out two --threads 1 --quiet
    [ "$status" -eq 0 ]
    run "$ST_COMPARE" one/model.safetensors two/model.safetensors 1e-3
    echo "$output"
    [ "$status" -eq 1 ]
    # after each epoch rank 0 sends its running statistics to the others, so each evaluates its
    # dev shard with the run's: the last epoch's dev loss is what one process measures on the
    # saved model.  A batchnorm of 2048 features (ResNet-50's last blocks have as many channels):
    # its statistics lie 16 KB apart from the parameters sent around them, so they go on their own
    cat > wide.yaml <<YAML
name: wide
seed: 4
data:
  format: idx
  train: {images: $FMNIST/train-images-idx3-ubyte.gz, labels: $FMNIST/train-labels-idx1-ubyte.gz, limit: 1200}
  split: {dev: 0.2}
  normalize: standard
model:
  input: [1, 28, 28]
  layers:
    - {type: flatten}
    - {type: dense, units: 2048, use_bias: false}
    - {type: batchnorm, activation: relu}
    - {type: dense, units: 10, activation: softmax}
train:
  epochs: 2
  batch_size: 48
  optimizer: {type: adam, lr: 0.003}
  distributed: {sync_batchnorm: false}
YAML
    run mpi 2 "$DLC" train wide.yaml --out wide --threads 1
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"rank 0's weights to the others after each epoch: 6.23 MB in 1 call"* ]]
    local want got
    want=$(tail -1 wide/metrics.csv | cut -d, -f5)
    got=$("$DLC" eval wide --split dev --json --threads 1 | jq .loss)
    echo "metrics.csv $want, eval $got"
    awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !((d < 0 ? -d : d) <= 1e-5 * (a < 0 ? -a : a)) }'
}

@test "a stateful LSTM language model on 2 and 3 ranks keeps its streams: one process's weights" {
    lstm_config
    run "$DLC" train lm.yaml --out one --threads 1 --quiet
    [ "$status" -eq 0 ]
    for np in 2 3; do
        run mpi $np "$DLC" train lm.yaml --out r$np --threads 1 --quiet
        echo "$output"
        [ "$status" -eq 0 ]
        "$ST_COMPARE" one/model.safetensors r$np/model.safetensors 1e-5
        metrics_close one/metrics.csv r$np/metrics.csv
    done
}

@test "a batch smaller than the ranks: a rank without rows still takes part in synchronized batchnorm" {
    cnn_config 2 true
    sed -i 's/limit: 2600/limit: 110/' cnn.yaml
    run "$DLC" train cnn.yaml --out one --threads 1 --quiet
    [ "$status" -eq 0 ]
    run mpi 3 "$DLC" train cnn.yaml --out three --threads 1 --quiet
    echo "$output"
    [ "$status" -eq 0 ]
    "$ST_COMPARE" one/model.safetensors three/model.safetensors 1e-5
}

@test "synchronized batchnorm over padded sequences: each feature's statistics over every rank's valid steps, one process's weights" {
    reviews_config bn.yaml "    - {type: batchnorm, activation: relu}
    - {type: lstm, units: 6}
    - {type: batchnorm}
    - {type: time_avgpool}" \
        "train: {epochs: 3, batch_size: 16, optimizer: {type: sgd, lr: 0.2}, distributed: {sync_batchnorm: true}}"
    # SGD: Adam near its optimum grows an ulp of summing order to 1e-5
    run "$DLC" train bn.yaml --out one --threads 1 --quiet
    [ "$status" -eq 0 ]
    for np in 2 3; do
        run mpi $np "$DLC" train bn.yaml --out r$np --threads 1 --quiet
        echo "$output"
        [ "$status" -eq 0 ]
        "$ST_COMPARE" one/model.safetensors r$np/model.safetensors 1e-5
    done
}

@test "a layer sharing another's weights: their gradient is summed only once both have added to it" {
    # two halves of each iris row through one encoder (share:), one gradient
    # sum per parameter: the shared ones complete at the first layer using them
    cat > siamese.yaml <<YAML
name: siamese
seed: 5
data:
  format: csv
  train: {file: $ROOT/data/iris.csv}
  label: species
  split: {dev: 0.2}
model:
  layers:
    - {name: left, type: slice, axis: 0, start: 0, end: 2, inputs: [input]}
    - {name: right, type: slice, axis: 0, start: 2, end: 4, inputs: [input]}
    - {name: enc_left, type: dense, units: 8, activation: tanh, inputs: [left]}
    - {name: enc_right, type: dense, units: 8, activation: tanh, share: enc_left, inputs: [right]}
    - {name: both, type: concat, inputs: [enc_left, enc_right]}
    - {type: dense, units: 3, activation: softmax}
train:
  epochs: 8
  batch_size: 16
  optimizer: {type: momentum, lr: 0.1, momentum: 0.9}
  distributed: {bucket_mb: 0.0001}
YAML
    run "$DLC" train siamese.yaml --out one --threads 1 --quiet
    [ "$status" -eq 0 ]
    run mpi 2 "$DLC" train siamese.yaml --out two --threads 1
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"gradients summed in 3 calls"* ]]
    "$ST_COMPARE" one/model.safetensors two/model.safetensors 1e-5
}

@test "a bad config is reported once, by rank 0, and every rank exits 2" {
    mlp_config
    sed -i 's/epochs: 1/epohcs: 1/' mlp.yaml
    run mpi 2 "$DLC" train mlp.yaml --out bad --threads 1
    echo "$output"
    [ "$status" -eq 2 ]
    [ "$(grep -c "dlc: error: mlp.yaml:.*epohcs" <<< "$output")" -eq 1 ]
    [ ! -e bad/checkpoint.safetensors ]
}

@test "data only one rank cannot read fails the whole job with that rank's message, once" {
    mlp_config
    sed "s|train-labels-idx1-ubyte.gz|no-such-labels.gz|" mlp.yaml > broken.yaml
    cat > by-rank.sh <<SH
#!/bin/sh
# rank 1 is given the broken config, as if its machine lacked the file
if [ "\$OMPI_COMM_WORLD_RANK" = 1 ]; then exec "$DLC" train broken.yaml --out run --threads 1; fi
exec "$DLC" train mlp.yaml --out run --threads 1
SH
    chmod +x by-rank.sh
    run mpi 2 ./by-rank.sh
    echo "$output"
    [ "$status" -eq 2 ]
    [ "$(grep -c "dlc: error: rank 1: .*no-such-labels.gz" <<< "$output")" -eq 1 ]
}

@test "kill -9 of one rank ends the job; --resume continues on 3 ranks, then 1, to an uninterrupted run's weights" {
    mlp_config 12
    # batches of 8: epochs long enough for the kill to land early in the run
    sed -i 's/limit: 3600/limit: 2000/; s/batch_size: 64/batch_size: 8/' mlp.yaml
    run "$DLC" train mlp.yaml --out whole --threads 1 --quiet
    [ "$status" -eq 0 ]
    mpi 2 "$DLC" train mlp.yaml --out cut --threads 1 --quiet > job.log 2>&1 &
    local job=$!
    for _ in $(seq 600); do
        [ -e cut/checkpoint.safetensors ] && break
        sleep 0.02
    done
    [ -e cut/checkpoint.safetensors ]
    kill -9 "$(pgrep -f -- "^$DLC train mlp.yaml --out cut" | tail -1)"
    run wait $job
    cat job.log
    [ "$status" -ne 0 ]
    # mpirun ends the other rank too (SIGTERM, then SIGKILL); it may outlive
    # mpirun by a moment, holding the run folder's lock
    for _ in $(seq 300); do
        pgrep -f -- "^$DLC train mlp.yaml --out cut" > /dev/null || break
        sleep 0.1
    done
    [ ! -e cut/model.safetensors ] || skip "the job finished before the kill (a very fast machine)"
    # the epochs the killed job finished (its checkpoint is at most that far):
    # checkpoints are written on a thread, so on an idle machine the kill can
    # land late in the run
    local done=$(($(wc -l < cut/metrics.csv) - 1))
    echo "the killed job finished $done epochs"
    [ "$done" -le 10 ] || skip "the job was killed in its last epochs (a very fast machine)"
    # 3 ranks take the run over, for one more epoch
    sed "s/epochs: 12/epochs: $((done + 1))/" mlp.yaml > mlp_mid.yaml
    run mpi 3 "$DLC" train mlp_mid.yaml --out cut --threads 1 --resume --quiet
    echo "$output"
    [ "$status" -eq 0 ]
    # and one process finishes it
    run "$DLC" train mlp.yaml --out cut --threads 1 --resume --quiet
    echo "$output"
    [ "$status" -eq 0 ]
    "$ST_COMPARE" whole/model.safetensors cut/model.safetensors 1e-5
    metrics_close whole/metrics.csv cut/metrics.csv
}

@test "two hosts from a hostfile, launched over ssh: the same weights with no other code" {
    mlp_config
    run "$DLC" train mlp.yaml --out one --threads 1 --quiet
    [ "$status" -eq 0 ]
    # the stand-in ssh runs the command on this machine, as sshd would on
    # hosta and hostb (Open MPI starts its daemon on each through it)
    cat > fake-ssh <<'SH'
#!/bin/bash
while [ $# -gt 0 ]; do case "$1" in -l|-p|-o|-S|-i) shift 2 ;; -*) shift ;; *) break ;; esac; done
host=$1
echo "$host" >> "$(dirname "$0")/ssh-hosts.log"
shift
[ "${1:-}" = "--" ] && shift
# each host has its own /tmp (Open MPI keeps its session files there)
export TMPDIR="$(dirname "$0")/tmp-$host"
mkdir -p "$TMPDIR"
exec /bin/bash -c "$*"
SH
    chmod +x fake-ssh
    printf 'hosta slots=1\nhostb slots=1\n' > hosts
    local root=()
    [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
    run mpirun "${root[@]}" --hostfile hosts --mca plm_rsh_agent "$TMP/fake-ssh" -np 2 \
        "$DLC" train "$TMP/mlp.yaml" --out "$TMP/hosts2" --threads 1 --quiet
    echo "$output"
    [ "$status" -eq 0 ]
    grep -qx hosta ssh-hosts.log
    grep -qx hostb ssh-hosts.log
    "$ST_COMPARE" one/model.safetensors hosts2/model.safetensors 1e-5
}

@test "srun's tasks without MPI process management are refused, not trained apart" {
    mlp_config
    SLURM_STEP_NUM_TASKS=4 run "$DLC" train mlp.yaml --out apart
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"srun started 4 tasks without MPI process management"*"--mpi=pmix"* ]]
    [ ! -e apart/checkpoint.safetensors ]
}

@test "a dlc built without MPI builds (-Werror) and refuses mpirun's ranks and srun's PMIx tasks" {
    local lib="$ROOT/build/libdlc.a" main="$ROOT/build/src/cli/main.o"
    [ -f "$lib" ] && [ -f "$main" ] || skip "no build/libdlc.a to link a build without MPI from"
    # src/dist/dist.c is the one file MPI changes: compiled without it with
    # the project's flags, it replaces its MPI twin in a copy of the library
    run make -s --no-print-directory -C "$ROOT" MPI=0 BUILD="$TMP/b" "$TMP/b/src/dist/dist.o"
    echo "$output"
    [ "$status" -eq 0 ]
    cp "$lib" libdlc.a
    ar r libdlc.a "$TMP/b/src/dist/dist.o"
    local libs
    libs="$(make -s --no-print-directory -C "$ROOT" MPI=0 \
        --eval 'dlc-print-ldlibs: ; @echo $(LDFLAGS) $(LDLIBS)' dlc-print-ldlibs | tail -1)"
    # shellcheck disable=SC2086 # the libraries are words
    cc -o dlc-nompi "$main" libdlc.a $libs
    ./dlc-nompi --version | grep -q "MPI: no"
    mlp_config
    run mpi 2 ./dlc-nompi train mlp.yaml --out apart --threads 1
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"started as one of 2 MPI processes, but this dlc was built without MPI"* ]]
    [ ! -e apart/checkpoint.safetensors ]
    # srun --mpi=pmix names a task's rank, not the job's size: the step's does
    PMIX_RANK=0 SLURM_STEP_NUM_TASKS=3 run ./dlc-nompi train mlp.yaml --out apart --threads 1
    echo "$output"
    [ "$status" -eq 2 ]
    [[ "$output" == *"started as one of 3 MPI processes"* ]]
    [ ! -e apart/checkpoint.safetensors ]
    # one task is one process: it trains
    iris_config
    PMIX_RANK=0 SLURM_STEP_NUM_TASKS=1 run ./dlc-nompi train iris.yaml --out alone --quiet
    [ "$status" -eq 0 ]
}

@test "commands other than train refuse to run as several processes (each would write the same files), once per job" {
    iris_config
    "$DLC" train iris.yaml --out run --quiet > /dev/null
    run mpi 2 "$DLC" export run --format onnx
    echo "$output"
    [ "$status" -ne 0 ]
    [ "$(grep -c "dlc: error: dlc export was started as one of 2 processes (mpirun or srun); only dlc train runs as several" <<< "$output")" -eq 1 ]
    [ ! -e run/model.onnx ]
    # srun's tasks, PMI or not
    SLURM_STEP_NUM_TASKS=3 SLURM_PROCID=1 run "$DLC" eval run
    [ "$status" -eq 2 ]
    [ -z "$output" ]   # not rank 0: silent
    SLURM_STEP_NUM_TASKS=3 SLURM_PROCID=0 run "$DLC" predict run --values /dev/null
    [ "$status" -eq 2 ]
    [[ "$output" == *"dlc predict was started as one of 3 processes"* ]]
    # one process is one process
    run mpi 1 "$DLC" export run --format onnx --quiet
    [ "$status" -eq 0 ]
    [ -s run/model.onnx ]
}

@test "scripts/slurm/train.sbatch: its shape, and it trains through srun" {
    local script="$ROOT/scripts/slurm/train.sbatch"
    [ "$(head -1 "$script")" = "#!/bin/bash" ]
    grep -q '^#SBATCH --nodes=' "$script"
    grep -q '^#SBATCH --ntasks-per-node=1$' "$script"
    grep -q '^#SBATCH --cpus-per-task=' "$script"
    grep -q '^exec srun --mpi=.*train --threads "\$threads" "\$@"$' "$script"
    bash -n "$script"
    run bash "$script"
    [ "$status" -eq 2 ]
    [[ "$output" == *"usage: sbatch train.sbatch CONFIG"* ]]
    # a stand-in srun that starts the tasks with mpirun, as Slurm would on 2 nodes
    mkdir bin
    cat > bin/srun <<SH
#!/bin/bash
while [ \$# -gt 0 ]; do case "\$1" in --*) shift ;; *) break ;; esac; done
root=(); [ "\$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
exec mpirun "\${root[@]}" --oversubscribe -np 2 "\$@"
SH
    chmod +x bin/srun
    mlp_config
    PATH="$TMP/bin:$PATH" DLC="$DLC" SLURM_CPUS_PER_TASK=1 run bash "$script" mlp.yaml --out slurm --quiet
    echo "$output"
    [ "$status" -eq 0 ]
    [ -e slurm/model.safetensors ]
}

@test "a pair model (two examples stacked per row) on 2 ranks: one process's weights, dev and verification" {
    pairs_config metric.yaml
    # SGD with momentum: its steps scale with the gradient
    local sgd=(--set train.optimizer.type=momentum --set train.optimizer.lr=0.1 --set train.optimizer.momentum=0.9)
    run "$DLC" train metric.yaml --out one --threads 1 --quiet "${sgd[@]}"
    [ "$status" -eq 0 ]
    run mpi 2 "$DLC" train metric.yaml --out two --threads 1 "${sgd[@]}"
    echo "$output"
    [ "$status" -eq 0 ]
    "$ST_COMPARE" one/model.safetensors two/model.safetensors 1e-5
    # dev is evaluated in shards: a shard of pairs starts at its pair's two rows
    metrics_close one/metrics.csv two/metrics.csv
    jq -n --slurpfile a one/report.json --slurpfile b two/report.json \
        '($a[0].verification.threshold - $b[0].verification.threshold) | fabs < 1e-5' | grep -qx true
}

@test "the triplet loss on several ranks is refused (it mines in the whole batch): file, line, key, exit 2" {
    triplet_config metric.yaml
    run mpi 2 "$DLC" train metric.yaml --out tri --threads 1
    echo "$output"
    [ "$status" -eq 2 ]
    [ "$(grep -c "dlc: error: metric.yaml:10: key 'data.sampler.type': the triplet loss mines negatives in the whole batch" <<< "$output")" -eq 1 ]
    [ ! -e tri/model.safetensors ]
    # one process trains it
    run "$DLC" train metric.yaml --out tri --threads 1 --quiet
    [ "$status" -eq 0 ]
}

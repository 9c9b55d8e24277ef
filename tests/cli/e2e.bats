#!/usr/bin/env bats
# e2e.bats - training runs that notice wrong math: an MLP (Adam, L2, an
# exponential schedule; again with SGD's nesterov momentum and with AdamW, each
# also with other parameter groups: train.no_decay), a CNN with batchnorm (RMSprop) and a bidirectional
# LSTM tagger over padded sentences (SGD, inverse-time decay, clipping; and
# again with the loss summed over steps, unclipped) each train from the
# initial weights PyTorch started from (tests/data/e2e/*_init.safetensors,
# read by the configs' init_from) on the same data for the same full-batch
# steps, and must end where PyTorch ended (tests/data/e2e/NAME.expected,
# written by tests/data/make_e2e_reference.py).
#
# Tolerances: every epoch's train loss (metrics.csv) and the final train and
# dev loss (report.json, evaluation mode) within 0.1% relative of PyTorch's
# (float32 in both, different summation orders: measured agreement is better
# than 1.2e-4, the CNN's being the loosest); final accuracies within one
# example of PyTorch's.
load helpers

E2E="$ROOT/tests/data/e2e"
REL_TOL=1e-3

# Trains tests/data/e2e/$1.yaml (from the repository root: its paths are
# relative to it) into $TMP/$1.
e2e_train() {
    (cd "$ROOT" && "$DLC" train "tests/data/e2e/$1.yaml" --out "$TMP/$1" --threads 1 --quiet "${@:2}") \
        > "$TMP/$1.log" 2>&1 || { cat "$TMP/$1.log"; return 1; }
}

# Prints each figure that is off and fails when any is: per-epoch losses,
# then split losses and accuracies.
e2e_compare() {
    local name=$1 run="$TMP/$1" exp="$E2E/$1.expected"
    tail -n +2 "$run/metrics.csv" | cut -d, -f1,3 | tr , ' ' > "$TMP/got_epochs"
    grep '^epoch ' "$exp" | cut -d' ' -f2,3 > "$TMP/want_epochs"
    [ "$(wc -l < "$TMP/got_epochs")" -eq "$(wc -l < "$TMP/want_epochs")" ] || {
        echo "$name: $(wc -l < "$TMP/got_epochs") epochs run, the reference has $(wc -l < "$TMP/want_epochs")"
        return 1
    }
    paste -d' ' "$TMP/want_epochs" "$TMP/got_epochs" | awk -v tol="$REL_TOL" -v name="$name" '
        { d = ($4 - $2) / $2; if (d < 0) d = -d
          if (d > tol) { printf "%s: epoch %d train loss %s, PyTorch %s (relative %.2g > %g)\n", name, $1, $4, $2, d, tol; bad = 1 } }
        END { exit bad }' || return 1
    local s bad=0
    for s in train dev; do
        local n loss acc want_loss want_acc
        n=$(jq ".splits.$s.examples" "$run/report.json")
        loss=$(jq ".splits.$s.loss" "$run/report.json")
        acc=$(jq ".splits.$s.accuracy" "$run/report.json")
        want_loss=$(awk -v k="${s}_loss" '$1 == k {print $2}' "$exp")
        want_acc=$(awk -v k="${s}_accuracy" '$1 == k {print $2}' "$exp")
        awk -v a="$loss" -v b="$want_loss" -v tol="$REL_TOL" 'BEGIN {d = (a - b) / b; exit !(d <= tol && d >= -tol)}' ||
            { echo "$name: $s loss $loss, PyTorch $want_loss"; bad=1; }
        awk -v a="$acc" -v b="$want_acc" -v n="$n" 'BEGIN {d = (a - b) * n; exit !(d <= 1.0001 && d >= -1.0001)}' ||
            { echo "$name: $s accuracy $acc, PyTorch $want_acc (more than one of $n examples apart)"; bad=1; }
    done
    return $bad
}

@test "e2e: an MLP (Adam, L2, exponential decay) trains as PyTorch trains it" {
    e2e_train mlp
    e2e_compare mlp
}

@test "e2e: the MLP with SGD and nesterov momentum (L2 as PyTorch's weight_decay) trains as torch.optim.SGD(nesterov=True) trains it" {
    e2e_train mlp_nesterov
    e2e_compare mlp_nesterov
}

@test "e2e: the MLP with AdamW (decoupled decay of the weights, at the scheduled rate) trains as torch.optim.AdamW trains it" {
    e2e_train mlp_adamw
    e2e_compare mlp_adamw
}

@test "e2e: AdamW decaying every parameter (train.no_decay: []) trains as torch.optim.AdamW(model.parameters()) trains it" {
    e2e_train mlp_adamw_all
    e2e_compare mlp_adamw_all
    # the default (biases spared) is the other run: the comparison tells them apart
    e2e_train mlp_adamw_all --force --set 'train.no_decay=[biases, norms]'
    run e2e_compare mlp_adamw_all
    [ "$status" -ne 0 ]
}

@test "e2e: SGD's L2 on parameter groups by glob (train.no_decay: [out.*], biases decayed) trains as PyTorch's SGD with two groups" {
    e2e_train mlp_nesterov_groups
    e2e_compare mlp_nesterov_groups
    # dlc train (without --quiet) and dlc summary say which parameters decay
    cd "$ROOT"
    run "$DLC" summary tests/data/e2e/mlp_nesterov_groups.yaml
    [ "$status" -eq 0 ]
    [[ "$output" == *$'\nweight decay (train.l2 2): 4 of 6 trainable parameters, 384 of 452 values; spared: out.weight, out.bias (train.no_decay: [out.*])\n'* ]]
}

@test "e2e: a CNN with batchnorm (RMSprop) trains as PyTorch trains it" {
    [ -f "$FMNIST/train-images-idx3-ubyte.gz" ] || skip "no Fashion-MNIST (dataset-fashion-mnist)"
    e2e_train cnn
    e2e_compare cnn
}

@test "e2e: a bidirectional LSTM tagger (SGD, inverse-time decay, clipping) trains as PyTorch trains it" {
    e2e_train tagger
    e2e_compare tagger
}

@test "e2e: the same tagger with the loss summed over each sentence's steps (sequence_loss: sum)" {
    e2e_train tagger_sum
    e2e_compare tagger_sum
}

@test "e2e: the comparison notices a different training run" {
    # negative control: a learning rate 5% above the reference's
    e2e_train mlp --set train.optimizer.lr=0.021
    run e2e_compare mlp
    [ "$status" -ne 0 ]
    [[ "$output" == *"train loss"* ]]
}

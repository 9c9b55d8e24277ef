#!/usr/bin/env bash
# make valgrind: a short training run, eval, summary and gradcheck under
# valgrind (memcheck); any error or leak fails.
set -euo pipefail
DLC=${1:-./dlc}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/dlc-valgrind.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
cd "$ROOT"
"${VG[@]}" "$DLC" train configs/softmax_iris.yaml --out "$TMP/iris" --set train.epochs=5 --quiet
"${VG[@]}" "$DLC" train configs/softmax_iris.yaml --out "$TMP/iris" --set train.epochs=7 --resume --quiet
"${VG[@]}" "$DLC" eval "$TMP/iris" --split dev
"${VG[@]}" "$DLC" summary "$TMP/iris"
"${VG[@]}" "$DLC" gradcheck configs/logistic_regression_breast_cancer.yaml --samples 5
# a small character LSTM language model on two threads, then sampling from it
cat > "$TMP/lm.yaml" <<YAML
name: lm
data:
  format: text
  train: {file: $ROOT/tests/data/text/fables.txt, limit: 3000}
  split: {dev: 0.1}
  text: {task: lm, tokens: chars, seq_len: 16}
model:
  layers:
    - {type: embedding, units: 8}
    - {type: lstm, units: 16, bidirectional: false}
    - {type: dense, units: auto}
train: {epochs: 1, batch_size: 16, optimizer: {type: adam, lr: 0.01}}
YAML
"${VG[@]}" "$DLC" train "$TMP/lm.yaml" --out "$TMP/lm" --threads 2 --quiet
"${VG[@]}" "$DLC" predict "$TMP/lm" --prompt "The " --length 20 > /dev/null
# a table with a text column and holes: one-hot columns, filled values,
# balanced draws, standardized targets; predict on rows with an unseen value
awk 'BEGIN { srand(2); print "a,color,b,y,v"; split("red green blue", C, " ")
      for (i = 0; i < 60; i++) printf "%s,%s,%.3f,%s,%.1f\n", (i % 7 ? sprintf("%.2f", rand()) : "NA"),
          C[1 + i % 3], rand(), (i % 5 ? "p" : "q"), 1000 * rand() }' > "$TMP/t.csv"
cat > "$TMP/t.yaml" <<YAML
data: {format: csv, train: {file: $TMP/t.csv}, label: y, features: [a, color, b], categorical: auto,
       missing: mean, balance: classes, split: {dev: 0.2}}
model: {layers: [{type: dense, units: 2, activation: softmax}]}
train: {epochs: 2}
YAML
"${VG[@]}" "$DLC" train "$TMP/t.yaml" --out "$TMP/t" --quiet
printf 'a,color,b\n0.5,purple,0.1\nNA,red,0.2\n' > "$TMP/rows.csv"
"${VG[@]}" "$DLC" predict "$TMP/t" "$TMP/rows.csv" > /dev/null 2>&1
"${VG[@]}" "$DLC" train "$TMP/t.yaml" --out "$TMP/tv" --quiet --set data.label=v --set loss=mse \
    --set data.balance=none --set model.layers.0.units=1 --set model.layers.0.activation=linear \
    --set data.normalize_targets=standard
# bad input must not leak either
if "${VG[@]}" "$DLC" train configs/softmax_iris.yaml --out "$TMP/x" --set train.optimizer.lrr=1 2> "$TMP/err"; then
    echo "expected a config error" >&2
    exit 1
fi
grep -q "did you mean" "$TMP/err"
echo "valgrind: clean"

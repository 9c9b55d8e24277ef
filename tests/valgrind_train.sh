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
# bad input must not leak either
if "${VG[@]}" "$DLC" train configs/softmax_iris.yaml --out "$TMP/x" --set train.optimizer.lrr=1 2> "$TMP/err"; then
    echo "expected a config error" >&2
    exit 1
fi
grep -q "did you mean" "$TMP/err"
echo "valgrind: clean"

#!/usr/bin/env bash
# Benchmark B10 of ../shared/BENCH.md: one image through the same model in
# ONNX Runtime (onnxruntime-node, warm session) and in dlc (a warm process:
# `dlc predict --repeat N`), ms per image, for the B1 MLP and the B2 CNN
# (bench/b1_mlp.yaml, bench/b2_cnn.yaml, one epoch each).  Each program runs
# at 1 and 2 threads (ONNX Runtime's intra-op threads), alternating, REPS
# times; medians; best against best.  Both time the forward pass with the
# softmax and no file reading.  Called by bench/run.sh; runs alone too.
set -uo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
OUT=$(mktemp -d /tmp/dlc-b10.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
ORT=tests/onnx/ort.js

# shellcheck source=bench/lib.sh
source bench/lib.sh

echo "== B10: one image, warm: ONNX Runtime (node) against dlc predict --repeat (ms per image)"
if ! command -v node > /dev/null || [ ! -d tests/onnx/node_modules/onnxruntime-node ]; then
    echo "(B10 needs node and ONNX Runtime: make onnxruntime)"
    exit 0
fi

dlc_ms() { # run values repeat threads -> ms per image
    ./dlc predict "$1" --values "$2" --repeat "$3" --threads "$4" 2>&1 > /dev/null |
        sed -n 's/.*: \([0-9.]*\) ms per example/\1/p'
}

ort_ms() {
    node "$ORT" time "$1/model.onnx" "$2" "$3" --threads "$4" | sed 's/.*"ms_per_example":\([0-9.e-]*\).*/\1/'
}

for b in b1_mlp:4000 b2_cnn:400; do
    cfg=${b%%:*} repeat=${b##*:}
    ./dlc train "bench/$cfg.yaml" --out "$OUT/$cfg" --force --set train.epochs=1 --quiet > /dev/null || exit 1
    ./dlc export "$OUT/$cfg" --format onnx --quiet || exit 1
    node "$ORT" gen "$OUT/$cfg/model.onnx" 1 > "$OUT/$cfg.txt"
    declare -A D=() T=()
    for t in 1 2; do
        for r in $(seq "$REPS"); do
            D[$t]+="$(dlc_ms "$OUT/$cfg" "$OUT/$cfg.txt" "$repeat" "$t") "
            T[$t]+="$(ort_ms "$OUT/$cfg" "$OUT/$cfg.txt" "$repeat" "$t") "
        done
    done
    best_d=1e9 best_t=1e9
    for t in 1 2; do
        d=$(echo ${D[$t]} | tr ' ' '\n' | median)
        p=$(echo ${T[$t]} | tr ' ' '\n' | median)
        echo "$cfg threads=$t  dlc $d ms (runs: ${D[$t]})  | onnxruntime $p ms (runs: ${T[$t]})  onnxruntime / dlc $(awk -v a="$p" -v b="$d" 'BEGIN {printf "%.2f", a / b}')x"
        awk -v a="$d" -v b="$best_d" 'BEGIN {exit !(a < b)}' && best_d=$d
        awk -v a="$p" -v b="$best_t" 'BEGIN {exit !(a < b)}' && best_t=$p
    done
    echo "B10 $cfg best against best: onnxruntime $best_t ms / dlc $best_d ms = $(awk -v a="$best_t" -v b="$best_d" 'BEGIN {printf "%.2f", a / b}')x (above 1: dlc is faster)"
    unset D T
done

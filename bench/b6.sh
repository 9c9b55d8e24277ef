#!/usr/bin/env bash
# Benchmark B6 (BENCH.md): one 64 x 64 image through the YOLO config's model,
# dlc against the same network rebuilt in PyTorch from the run's weights
# (bench/b6_torch.py):
#   whole process  `dlc predict RUN IMAGE` against a python process that
#                  imports torch, builds the net, reads the PNG, runs it and
#                  decodes the boxes (wall ms per call, median of CALLS)
#   warm forward   the forward pass alone in a warm process (bench/b6_forward.c
#                  against torch), median of REPS after a warm-up, 1 and 2
#                  threads each, best against best
# RUN=runs/shapes_yolo uses a trained run; without one a 1-epoch run on 64
# generated images is made (the weights do not change the time).
# Expects have_torch and OUT from bench/run.sh, or sets them.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
OUT=${OUT:-$(mktemp -d /tmp/dlc-b6.XXXXXX)}
CALLS=${CALLS:-20}
REPS6=${REPS6:-300}
have_torch=${have_torch:-0}
/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null && have_torch=1

echo "== B6: detection, one 64x64 image through the shapes_yolo model"
run=${RUN:-runs/shapes_yolo}
build/make_shapes "$OUT/shapes" --train 64 --dev 8 --test 4 > /dev/null
img="$OUT/shapes/test/00001.png"
if [ ! -f "$run/model.safetensors" ]; then
    run="$OUT/b6"
    ./dlc train configs/shapes_yolo.yaml --out "$run" --force --quiet \
        --set data.train.dir="$OUT/shapes/train" --set data.dev.dir="$OUT/shapes/dev" \
        --set data.test.dir="$OUT/shapes/test" --set data.detection.names="$OUT/shapes/shapes.names" \
        --set train.epochs=1 > /dev/null || exit 1
fi
d=$(ms_per ./dlc predict "$run" "$img")
echo "dlc predict, whole process: $d ms per call"
if [ "$have_torch" = 1 ]; then
    p=$(CALLS=$(( CALLS < 5 ? CALLS : 5 )) ms_per /usr/bin/python3 bench/b6_torch.py "$run" "$img" --mode process)
    echo "torch, whole process (python start, import torch and torchvision): $p ms per call"
    echo "B6 whole process: torch / dlc = $(awk -v a="$p" -v b="$d" 'BEGIN {printf "%.1f", a / b}')x"
fi
declare -A DF TF
for t in 1 2; do
    for _ in 1 2 3; do
        DF[$t]+="$(build/bench/b6_forward "$run" "$img" "$t" "$REPS6" | sed 's/.*"median_ms": \([0-9.]*\).*/\1/') "
        if [ "$have_torch" = 1 ]; then
            TF[$t]+="$(/usr/bin/python3 bench/b6_torch.py "$run" "$img" --mode warm --threads "$t" --reps "$REPS6" |
                sed 's/.*"median_ms": \([0-9.]*\).*/\1/') "
        fi
    done
done
best_d=999999 best_t=999999
for t in 1 2; do
    dm=$(echo ${DF[$t]} | tr ' ' '\n' | median)
    line="threads=$t  dlc forward ${dm} ms (runs: ${DF[$t]})"
    awk -v a="$dm" -v b="$best_d" 'BEGIN {exit !(a < b)}' && best_d=$dm
    if [ "$have_torch" = 1 ]; then
        tm=$(echo ${TF[$t]} | tr ' ' '\n' | median)
        line+="  | torch forward ${tm} ms (runs: ${TF[$t]})  ratio $(awk -v a="$tm" -v b="$dm" 'BEGIN {printf "%.2f", a / b}')x"
        awk -v a="$tm" -v b="$best_t" 'BEGIN {exit !(a < b)}' && best_t=$tm
    fi
    echo "$line"
done
if [ "$have_torch" = 1 ]; then
    echo "B6 warm forward, best against best: torch $best_t ms / dlc $best_d ms = $(awk -v a="$best_t" -v b="$best_d" 'BEGIN {printf "%.2f", a / b}')x"
fi

#!/usr/bin/env bash
# Benchmark B7 of ../shared/BENCH.md: one optimization step of style
# transfer (a forward and a backward pass to the image, and Adam's update)
# in dlc stylize against the same problem in PyTorch: the network, weights,
# images and costs dlc exports (--export), solved by scripts/stylize_torch.py.
# configs/stylize_random.yaml at SIZE (default 256) on the README's
# photographs when mate-backgrounds is installed, else on the test images.
# Each program at 1 and 2 threads, alternating, REPS times; medians of ms per
# step over STEPS steps after the first (a warm-up); best against best.
# Called by bench/run.sh; runs alone too.
set -uo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
SIZE=${SIZE:-256}
STEPS=${STEPS:-20}
OUT=$(mktemp -d /tmp/dlc-b7.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh

have_torch=0
/usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=1

C=/usr/share/backgrounds/mate/nature/Dune.jpg
S=/usr/share/backgrounds/mate/abstract/Elephants.jpg
if [ ! -f "$C" ] || [ ! -f "$S" ]; then
    # the test images: an RGB sneaker, styled by its JPEG copy
    C=tests/data/images/other/sneaker_rgb_56.png S=tests/data/images/other/sneaker_rgb_56.jpg
fi

echo "== B7: style transfer, one Adam step on a ${SIZE}-pixel image (configs/stylize_random.yaml), ms per step"
dlc_b7() { # threads -> steps/s over steps 1..STEPS; writes the problem for the peer
    ./dlc stylize configs/stylize_random.yaml --content "$C" --style "$S" --out "$OUT/g.png" \
        --size "$SIZE" --steps "$STEPS" --threads "$1" --log "$OUT/dlc.csv" \
        --export "$OUT/problem.safetensors" --quiet > /dev/null || return 1
    awk -F, -v n="$STEPS" 'NR == 3 {t1 = $6} NR == n + 2 {t = $6} END {printf "%.3f\n", (n - 1) / (t - t1)}' "$OUT/dlc.csv"
}

torch_b7() {
    /usr/bin/python3 scripts/stylize_torch.py "$OUT/problem.safetensors" --steps "$STEPS" \
        --threads "$1" 2>/dev/null | tail -1 |
        python3 -c 'import json,sys; print("%.3f" % (1000 / json.loads(sys.stdin.read())["ms_per_step"]))'
}

declare -A DS DR TS TR
for t in 1 2; do
    for r in $(seq "$REPS"); do
        s=$(dlc_b7 "$t") && DS[$t]+="$s "
        if [ $have_torch = 1 ]; then
            s=$(torch_b7 "$t") && TS[$t]+="$s "
        fi
    done
done
compare B7 steps/s DS DR TS TR
for t in 1 2; do
    d=$(echo ${DS[$t]:-0} | tr ' ' '\n' | median)
    p=$(echo ${TS[$t]:-0} | tr ' ' '\n' | median)
    echo "threads=$t  ms per step: dlc $(awk -v a="$d" 'BEGIN {printf "%.1f", (a > 0 ? 1000 / a : 0)}')  torch $(awk -v a="$p" 'BEGIN {printf "%.1f", (a > 0 ? 1000 / a : 0)}')"
done

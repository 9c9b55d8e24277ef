#!/usr/bin/env bash
# make bench: benchmarks B1-B5 and B7-B10 (and B11 on request) of ../shared/BENCH.md,
# dlc against the PyTorch peer (when Debian's python3-torch is installed; B8: gensim).  Figures, not
# pass/fail: the machine is shared and noisy, only ratios measured in one
# sitting mean anything.  Each program runs alternately, REPS times per thread
# count; the median is reported.  BENCH="b2 b4" runs only those; BENCH=b11
# runs the big models (bench/b11.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
PEER=${PEER:-../shared/bench/torch_peer.py}
OUT=$(mktemp -d /tmp/dlc-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh

dlc_b1() { # threads -> "samples_per_s peak_rss_mib"
    local t=$1
    /usr/bin/time -f "%M" -o "$OUT/rss" ./dlc train bench/b1_mlp.yaml --out "$OUT/b1" --force \
        --threads "$t" --quiet > /dev/null || return 1
    # the best epoch after the first (the first includes warm-up)
    local sps
    sps=$(awk -F, 'NR > 2 {print $8}' "$OUT/b1/metrics.csv" | sort -g | tail -1)
    echo "$sps $(( $(cat "$OUT/rss") / 1024 ))"
}

torch_b1() {
    local t=$1
    /usr/bin/python3 "$PEER" --model mlp --threads "$t" --epochs 2 2>/dev/null |
        python3 -c 'import json,sys
rows=[json.loads(l) for l in sys.stdin if l.strip()]
ep=[r for r in rows if r.get("result")=="epoch"]
print(max(r["samples_per_s"] for r in ep), rows[-1]["peak_rss_mib"])'
}

BENCH=${BENCH:-b5 b1 b2 b3 b4 b6 b7 b9 b10}
want() { [[ " $BENCH " == *" $1 "* ]]; }

have_torch=0
[ -f "$PEER" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=1

declare -A B5
want b5 && echo "== B5: sgemm on the B1 shapes"
want b5 && for t in 1 2; do
    B5[$t]=$(build/bench/sgemm_b5 "$t" 2 | sed 's/.*"gflops": \([0-9.]*\).*/\1/')
    echo "sgemm threads=$t: ${B5[$t]} GFLOP/s"
done

declare -A DS DR TS TR
want b1 && echo "== B1: MLP 784-256-128-10, batch 64, one Fashion-MNIST epoch"
want b1 && for t in 1 2; do
    for r in $(seq "$REPS"); do
        read -r s m < <(dlc_b1 "$t") && { DS[$t]+="$s "; DR[$t]=$m; }
        if [ $have_torch = 1 ]; then
            read -r s m < <(torch_b1 "$t") && { TS[$t]+="$s "; TR[$t]=$m; }
        fi
    done
done
b1_flops() { # threads rate -> B1's FLOP rate as a share of sgemm's (B5)
    local rate
    rate=$(awk -v s="$2" 'BEGIN {printf "%.2f", s * 1.007e6 / 1e9}')
    echo "  = ${rate} GFLOP/s, $(awk -v a="$rate" -v b="${B5[$1]:-0}" 'BEGIN {printf "%.0f", b ? 100 * a / b : 0}')% of sgemm (B5)"
}

want b1 && compare B1 samples/s DS DR TS TR b1_flops

# ---- B2: the CNN of BENCH.md, batch 64, training samples/s after a warm-up ----
dlc_b2() { # threads -> "samples_per_s peak_rss_mib": epoch 2 of 2 (200 steps each; epoch 1 warms up)
    local t=$1
    /usr/bin/time -f "%M" -o "$OUT/rss2" ./dlc train bench/b2_cnn.yaml --out "$OUT/b2" --force \
        --threads "$t" --quiet > /dev/null || return 1
    echo "$(awk -F, 'NR == 3 {print $8}' "$OUT/b2/metrics.csv") $(( $(cat "$OUT/rss2") / 1024 ))"
}

torch_b2() {
    /usr/bin/python3 "$PEER" --model cnn --threads "$1" --steps 200 --epochs 0 2>/dev/null |
        python3 -c 'import json,sys
r=[json.loads(l) for l in sys.stdin if l.strip()][-1]
print(r["samples_per_s"], r["peak_rss_mib"])'
}

if want b2; then
    echo "== B2: CNN conv32-pool-conv64-pool-dense128-dense10, batch 64, 200 steps after warm-up"
    declare -A CS CR PS PR
    for t in 1 2; do
        for r in $(seq "$REPS"); do
            read -r s m < <(dlc_b2 "$t") && { CS[$t]+="$s "; CR[$t]=$m; }
            if [ $have_torch = 1 ]; then
                read -r s m < <(torch_b2 "$t") && { PS[$t]+="$s "; PR[$t]=$m; }
            fi
        done
    done
    compare B2 samples/s CS CR PS PR
    echo "(B2 target: >= 1.5x best against best)"
fi

# ---- B4: dlc predict on one 28x28 PNG with the B1 model, whole process ----
if want b4; then
    echo "== B4: predict one PNG with the B1 model, whole process (wall ms per call)"
    CALLS=${CALLS:-20}
    ./dlc train bench/b1_mlp.yaml --out "$OUT/b4" --force --set train.epochs=1 --quiet > /dev/null
    mkdir -p "$OUT/png"
    png=$(ls "$PWD"/tests/data/images/test/7-sneaker/*.png | head -1)
    d=$(ms_per ./dlc predict "$OUT/b4" "$png")
    echo "dlc predict: $d ms per call"
    if [ $have_torch = 1 ]; then
        /usr/bin/python3 "$PEER" --model mlp --threads 1 --epochs 1 --save "$OUT/b4.pt" > "$OUT/b4.json" 2>/dev/null
        read -r mean std < <(python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()][0]
print(r["norm_mean"], r["norm_std"])' "$OUT/b4.json")
        p=$(CALLS=$(( CALLS < 5 ? CALLS : 5 )) ms_per /usr/bin/python3 "$PEER" --model predict --threads 1 \
            --weights "$OUT/b4.pt" --png "$png" --mean "$mean" --std "$std")
        echo "torch predict (python process, import torch): $p ms per call"
        echo "B4: torch / dlc = $(awk -v a="$p" -v b="$d" 'BEGIN {printf "%.1f", a / b}')x (target >= 50x)"
    fi
fi

if want b3; then bash bench/b3.sh; fi
if want b6; then OUT="$OUT" have_torch=$have_torch bash bench/b6.sh; fi
if want b7; then bash bench/b7.sh; fi
if want b8; then bash bench/b8.sh; fi
if want b9; then bash bench/b9.sh; fi
if want b10; then bash bench/b10.sh; fi
if want b11; then bash bench/b11.sh; fi   # not in the default set: ResNet-50 and VGG-16 take many minutes
exit 0

#!/usr/bin/env bash
# make bench: benchmarks B1 and B5 of ../shared/BENCH.md, dlc against the
# PyTorch peer (when Debian's python3-torch is installed).  Figures, not
# pass/fail: the machine is shared and noisy, only ratios measured in one
# sitting mean anything.  Each program runs alternately, REPS times per thread
# count; the median is reported.
set -uo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
PEER=${PEER:-../shared/bench/torch_peer.py}
OUT=$(mktemp -d /tmp/dlc-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

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

have_torch=0
[ -f "$PEER" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=1

echo "== B5: sgemm on the B1 shapes"
declare -A B5
for t in 1 2; do
    B5[$t]=$(build/bench/sgemm_b5 "$t" 2 | sed 's/.*"gflops": \([0-9.]*\).*/\1/')
    echo "sgemm threads=$t: ${B5[$t]} GFLOP/s"
done

echo "== B1: MLP 784-256-128-10, batch 64, one Fashion-MNIST epoch"
declare -A DS DR TS TR
for t in 1 2; do
    for r in $(seq "$REPS"); do
        read -r s m < <(dlc_b1 "$t") && { DS[$t]+="$s "; DR[$t]=$m; }
        if [ $have_torch = 1 ]; then
            read -r s m < <(torch_b1 "$t") && { TS[$t]+="$s "; TR[$t]=$m; }
        fi
    done
done
best_d=0; best_t=0
for t in 1 2; do
    d=$(echo ${DS[$t]:-0} | tr ' ' '\n' | median)
    line="threads=$t  dlc ${d} samples/s (peak RSS ${DR[$t]:-?} MiB)"
    rate=$(awk -v s="$d" 'BEGIN {printf "%.2f", s * 1.007e6 / 1e9}')
    line+="  = ${rate} GFLOP/s, $(awk -v a="$rate" -v b="${B5[$t]}" 'BEGIN {printf "%.0f", 100 * a / b}')% of sgemm (B5)"
    if [ $have_torch = 1 ]; then
        p=$(echo ${TS[$t]:-0} | tr ' ' '\n' | median)
        line+="  | torch ${p} samples/s (peak RSS ${TR[$t]:-?} MiB)  ratio $(awk -v a="$d" -v b="$p" 'BEGIN {printf "%.2f", a / b}')x"
        awk -v a="$p" -v b="$best_t" 'BEGIN {exit !(a > b)}' && best_t=$p
    fi
    awk -v a="$d" -v b="$best_d" 'BEGIN {exit !(a > b)}' && best_d=$d
    echo "$line"
done
if [ $have_torch = 1 ]; then
    echo "B1 best against best: dlc $best_d / torch $best_t = $(awk -v a="$best_d" -v b="$best_t" 'BEGIN {printf "%.2f", a / b}')x"
else
    echo "(PyTorch peer not available: install python3-torch for the ratios)"
fi

bash bench/b3.sh

#!/usr/bin/env bash
# Benchmark B3 of ../shared/BENCH.md: a character LSTM language model
# (embedding 64, LSTM 256, sequences of 64, batch 32, vocabulary ~96 from the
# fortunes text), training tokens/s of dlc against the PyTorch peer, each at
# 1 and 2 threads, alternating, REPS times; medians; best against best.
# dlc's figure is the best epoch after the first of bench/b3_lstm.yaml (an
# epoch's time covers only its training steps); the peer times 200 steps
# after 20 warm-up steps.  Called by bench/run.sh; runs alone too.
set -uo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
PEER=${PEER:-../shared/bench/torch_peer.py}
OUT=$(mktemp -d /tmp/dlc-b3.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh

echo "== B3: char LSTM, embedding 64, hidden 256, seq 64, batch 32 (tokens/s)"
if [ ! -f data/fortunes.txt ]; then
    python3 scripts/prepare_fortunes.py > /dev/null ||
        { echo "(B3 needs Debian's fortunes package: apt-get install fortunes)"; exit 0; }
fi

dlc_b3() { # threads -> "tokens_per_s peak_rss_mib"
    /usr/bin/time -f "%M" -o "$OUT/rss" ./dlc train bench/b3_lstm.yaml --out "$OUT/b3" --force \
        --threads "$1" --quiet > /dev/null || return 1
    echo "$(awk -F, 'NR > 2 {print $8 * 64}' "$OUT/b3/metrics.csv" | sort -g | tail -1) $(( $(cat "$OUT/rss") / 1024 ))"
}

torch_b3() {
    /usr/bin/python3 "$PEER" --model lstm --threads "$1" --steps 200 2>/dev/null |
        python3 -c 'import json,sys
r=[json.loads(l) for l in sys.stdin if l.strip()][-1]
print(r["tokens_per_s"], r["peak_rss_mib"])'
}

have_torch=0
[ -f "$PEER" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=1

declare -A D DR T TR
for t in 1 2; do
    for r in $(seq "$REPS"); do
        read -r s m < <(dlc_b3 "$t") && { D[$t]+="$s "; DR[$t]=$m; }
        if [ $have_torch = 1 ]; then
            read -r s m < <(torch_b3 "$t") && [ -n "$s" ] && { T[$t]+="$s "; TR[$t]=$m; }
        fi
    done
done
compare B3 tokens/s D DR T TR
echo "(B3 target: >= 1.5x best against best)"

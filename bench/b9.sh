#!/usr/bin/env bash
# Benchmark B9 of ../shared/BENCH.md: data-parallel training on MPI.  B1 (the
# MLP) and B2 (the CNN) trained as 2 ranks x 1 thread (mpirun -np 2), against
# 1 process x 2 threads and 1 x 1, alternating, REPS times; medians of the
# training samples/s (B1: the best epoch after the first; B2: its second
# epoch), and the time ranks spent inside MPI calls per step (report.json
# mpi.seconds_per_step; B1's covers all 3 epochs, B2's both).  Also the
# figures of the README's scaling model: bytes summed per step and the
# compute time of a step at 1 thread.  Called by bench/run.sh (BENCH=b9);
# runs alone too.
set -uo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
OUT=$(mktemp -d /tmp/dlc-b9.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh

echo "== B9: MPI data parallelism, 2 ranks x 1 thread against 1 process x 2 threads and x 1"
if ! command -v mpirun > /dev/null || ! ./dlc --version | grep -q "MPI: Open MPI"; then
    echo "(B9 needs Open MPI: apt-get install openmpi-bin libopenmpi-dev, then make)"
    exit 0
fi
root=()
[ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)

# rate CONFIG METRICS_ROW_AWK RUN: samples/s of a finished run
rate() {
    awk -F, "$2" "$3/metrics.csv" | sort -g | tail -1
}

# one NAME CONFIG AWK SETTING -> "samples_per_s mpi_ms_per_step"
one() {
    local name=$1 cfg=$2 rows=$3 setting=$4 run="$OUT/$1-$4"
    case $setting in
        1x1) ./dlc train "$cfg" --out "$run" --force --threads 1 --quiet > /dev/null || return 1 ;;
        1x2) ./dlc train "$cfg" --out "$run" --force --threads 2 --quiet > /dev/null || return 1 ;;
        2x1) mpirun "${root[@]}" -np 2 ./dlc train "$cfg" --out "$run" --force --threads 1 \
                 --quiet > /dev/null 2>&1 || return 1 ;;
    esac
    local ms
    ms=$(jq '(.mpi.seconds_per_step // 0) * 1000' "$run/report.json")
    echo "$(rate "$cfg" "$rows" "$run") $ms"
}

bench() { # NAME CONFIG AWK
    local name=$1 cfg=$2 rows=$3 s m
    declare -A S M
    for r in $(seq "$REPS"); do
        for setting in 2x1 1x2 1x1; do
            read -r s m < <(one "$name" "$cfg" "$rows" "$setting") && { S[$setting]+="$s "; M[$setting]+="$m "; }
        done
    done
    for setting in 2x1 1x2 1x1; do
        local med mpi
        med=$(echo ${S[$setting]:-0} | tr ' ' '\n' | median)
        mpi=$(echo ${M[$setting]:-0} | tr ' ' '\n' | median)
        printf '%s %s: %s samples/s (runs: %s)' "$name" "$setting" "$med" "$(echo ${S[$setting]:-none})"
        [ "$setting" = 2x1 ] && printf ', %.3f ms per step in MPI calls' "$mpi"
        echo
    done
    local b
    b=$(jq '.mpi.bytes_per_step' "$OUT/$name-2x1/report.json")
    local one_rate
    one_rate=$(echo ${S[1x1]:-0} | tr ' ' '\n' | median)
    echo "$name: $b bytes summed per step; compute per step at 1 thread: $(awk -v r="$one_rate" 'BEGIN {printf "%.2f", (r > 0 ? 64000 / r : 0)}') ms (batch 64)"
    scaling "$name" "$b" "$one_rate"
}

# The README's scaling model past one machine: N ranks of 1 thread each on
# their own machines, a step = compute / N + a ring allreduce of the
# gradients, 2 (N - 1) / N x bytes / bandwidth (no overlap, no latency: an
# optimistic bound for the network, a pessimistic one for overlap).
scaling() { # NAME BYTES SAMPLES_PER_S_AT_1_THREAD
    awk -v name="$1" -v bytes="$2" -v r="$3" 'BEGIN {
        tc = 64 / r
        printf "%s scaling model (compute %.2f ms per step of 64 at 1 thread):\n", name, 1000 * tc
        split("1 10 25", gbit, " ")
        for (g = 1; g <= 3; g++) {
            line = sprintf("  %2d Gbit/s:", gbit[g])
            for (n = 2; n <= 16; n *= 2) {
                comm = 2 * (n - 1) / n * bytes / (gbit[g] * 1e9 / 8)
                step = tc / n + comm
                line = line sprintf("  N=%d step %.2f ms (comm %.2f) speed-up %.1fx", n, 1000 * step, 1000 * comm, tc / step)
            }
            print line
        }
    }'
}

bench B1 bench/b1_mlp.yaml 'NR > 2 {print $8}'
bench B2 bench/b2_cnn.yaml 'NR == 3 {print $8}'

# configs/fashion_mnist_cnn.yaml: its gradients' bytes (2 ranks, one short
# epoch) and its compute per step at 1 thread (one process, 3,200 images)
cnn=configs/fashion_mnist_cnn.yaml
short=(--set data.train.limit=3400 --set train.epochs=1 --force --quiet)
mpirun "${root[@]}" -np 2 ./dlc train "$cnn" --out "$OUT/cnn2" --threads 1 "${short[@]}" > /dev/null 2>&1
./dlc train "$cnn" --out "$OUT/cnn1" --threads 1 "${short[@]}" > /dev/null 2>&1
b=$(jq '.mpi.bytes_per_step' "$OUT/cnn2/report.json")
r=$(awk -F, 'NR == 2 {print $8}' "$OUT/cnn1/metrics.csv")
echo "CNN config: $b bytes summed per step; $r samples/s at 1 thread; $(jq '.mpi.seconds_per_step * 1000' "$OUT/cnn2/report.json") ms per step in MPI calls at 2 ranks"
scaling CNN "$b" "$r"
exit 0

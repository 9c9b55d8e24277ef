#!/usr/bin/env bash
# Benchmark B11 of ../shared/BENCH.md: big models.  ResNet-50 (224x224, batch
# 8 and 32) and VGG-16 (batch 8) from configs/architectures/, with a 2-class
# head, trained by plain SGD on an image folder of random PNGs
# (bench/b11_data.py), against torchvision's resnet50 / vgg16 in PyTorch
# (bench/b11_peer.py), each at 1 and 2 threads, alternating, REPS times:
# training samples/s and peak RSS.
#
# dlc's train split is one batch, so each epoch is one step and the graph is
# built for that batch; the first epoch warms up, STEPS more are timed (the
# median of their epoch times).  The peer times STEPS steps after one.
# These models are slow on 2 cores: keep STEPS and REPS small.
#
# Memory: every run is under `ulimit -v` of B11_MEM_GIB (default: the
# memory available when the sitting starts, less 2 GiB, at most 20), so a
# configuration that does not fit fails its allocation and is reported as
# "does not fit" instead of pushing the shared machine into swap or the OOM
# killer.  Called by bench/run.sh (BENCH=b11); runs alone too.
#
# B11_RUNS="resnet50:8 vgg16:8" picks the models and batches, B11_THREADS="2"
# the thread counts (default 1 and 2).
# B11_CPU=1 adds a figure for a loaded machine, where the wall clock mostly
# measures the other programs: CPU seconds per training step at one
# thread, dlc's from two runs (1 and 1 + STEPS epochs: the difference over
# STEPS), the peer's from its own process time.
set -uo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
STEPS=${STEPS:-3}
OUT=$(mktemp -d /tmp/dlc-b11.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh

have_torch=0
/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null && have_torch=1

avail_gib=$(awk '/^MemAvailable:/ {printf "%d", $2 / 1048576}' /proc/meminfo)
MEM_GIB=${B11_MEM_GIB:-$(( avail_gib - 2 < 20 ? avail_gib - 2 : 20 ))}
LIMIT_KB=$(( MEM_GIB * 1048576 ))

echo "== B11: big models, 224x224 RGB, 2 classes, SGD; samples/s and peak RSS"
echo "(each run limited to $MEM_GIB GiB of address space; load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 bench/b11_data.py "$OUT/img" --per-class 16 || exit 0

# dlc_b11 MODEL BATCH THREADS -> "samples_per_s peak_rss_mib", or "nofit"
dlc_b11() {
    local model=$1 batch=$2 t=$3 cfg=configs/architectures/$1.yaml head run=$OUT/run
    head=$(( $(grep -c '^    - ' "$cfg") - 1 ))   # the last of model.layers: the classifier
    if ! ( ulimit -v "$LIMIT_KB"
           /usr/bin/time -f "%M" -o "$OUT/rss" ./dlc train "$cfg" --out "$run" --force --threads "$t" --quiet \
               --set data.train.dir="$OUT/img" --set data.train.limit="$batch" \
               --set model.layers.$head.units=auto --set train.batch_size="$batch" \
               --set train.epochs=$(( STEPS + 1 )) --set train.optimizer.type=sgd \
               --set train.optimizer.lr=0.01 --set train.checkpoint_every=0 \
               --set report.error_analysis.samples=0 ) > /dev/null 2> "$OUT/err"; then
        grep -qiE "out of memory|cannot allocate" "$OUT/err" && { echo nofit; return 0; }
        return 1
    fi
    local sec
    sec=$(awk -F, 'NR > 2 {print $7}' "$run/metrics.csv" | median)
    echo "$(awk -v b="$batch" -v s="$sec" 'BEGIN {printf "%.3f", b / s}') $(( $(cat "$OUT/rss") / 1024 ))"
}

# dlc_cpu MODEL BATCH -> CPU seconds per step at one thread
dlc_cpu() {
    local cpu=()
    for e in 1 $(( STEPS + 1 )); do
        /usr/bin/time -f "%U %S" -o "$OUT/cpu" ./dlc train "configs/architectures/$1.yaml" --out "$OUT/cpurun" \
            --force --threads 1 --quiet --set data.train.dir="$OUT/img" --set data.train.limit="$2" \
            --set model.layers.$(( $(grep -c '^    - ' "configs/architectures/$1.yaml") - 1 )).units=auto \
            --set train.batch_size="$2" --set train.epochs=$e --set train.optimizer.type=sgd \
            --set train.optimizer.lr=0.01 --set train.checkpoint_every=0 \
            --set report.error_analysis.samples=0 > /dev/null 2>&1 || return 1
        cpu+=("$(awk '{print $1 + $2}' "$OUT/cpu")")
    done
    awk -v a="${cpu[0]}" -v b="${cpu[1]}" -v s="$STEPS" 'BEGIN {printf "%.3f", (b - a) / s}'
}

torch_b11() {
    ( ulimit -v "$LIMIT_KB"
      /usr/bin/python3 bench/b11_peer.py --model "$1" --batch "$2" --threads "$3" --steps "$STEPS" 2> "$OUT/perr" ) |
        python3 -c 'import json,sys
r=[json.loads(l) for l in sys.stdin if l.strip()][-1]
print(r["samples_per_s"], r["peak_rss_mib"])' 2>/dev/null ||
        { grep -qiE "out of memory|cannot allocate|MemoryError" "$OUT/perr" && echo nofit; }
}

for spec in ${B11_RUNS:-resnet50:8 resnet50:32 vgg16:8}; do
    model=${spec%:*}
    batch=${spec#*:}
    echo "-- $model, batch $batch"
    declare -A DS=() DR=() TS=() TR=()
    nofit_d=0 nofit_t=0
    for t in ${B11_THREADS:-1 2}; do
        for r in $(seq "$REPS"); do
            if [ $nofit_d = 0 ] && read -r s m < <(dlc_b11 "$model" "$batch" "$t"); then
                if [ "$s" = nofit ]; then nofit_d=1; else DS[$t]+="$s "; DR[$t]=$m; fi
            fi
            if [ $have_torch = 1 ] && [ $nofit_t = 0 ] && read -r s m < <(torch_b11 "$model" "$batch" "$t"); then
                if [ "$s" = nofit ]; then nofit_t=1; else TS[$t]+="$s "; TR[$t]=$m; fi
            fi
        done
    done
    [ $nofit_d = 1 ] && echo "dlc: $model at batch $batch does not fit in $MEM_GIB GiB"
    [ $nofit_t = 1 ] && echo "torch: $model at batch $batch does not fit in $MEM_GIB GiB"
    compare "B11 $model b$batch" samples/s DS DR TS TR
    if [ "${B11_CPU:-0}" = 1 ] && [ $nofit_d = 0 ]; then
        d=$(dlc_cpu "$model" "$batch")
        p=$( [ $have_torch = 1 ] && /usr/bin/python3 bench/b11_peer.py --model "$model" --batch "$batch" \
             --threads 1 --steps "$STEPS" 2>/dev/null | sed -n 's/.*"cpu_s_per_step": \([0-9.]*\).*/\1/p')
        echo "B11 $model b$batch CPU s per step at 1 thread: dlc $d, torch ${p:-none}$( [ -n "$p" ] && awk -v a="$d" -v b="$p" 'BEGIN {printf " (torch / dlc = %.2fx)", b / a}')"
    fi
done
echo "(load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); B11 target: >= 1.5x samples/s and peak RSS <= PyTorch's, ResNet-50 batch 8; batch 32 fits)"

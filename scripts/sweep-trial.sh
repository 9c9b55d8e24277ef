#!/usr/bin/env bash
# sweep-trial.sh - run one trial of a sweep: `dlc sample SWEEP --trial K` gives
# its --set overrides, `dlc train` trains them single-threaded in OUT/trial-KKK,
# and the wall time is recorded.  scripts/sweep.sh runs it locally or, through
# GNU parallel, on other hosts; the Slurm script sweep.sh writes runs it once
# per array index.  It is safe to run again: a finished trial is skipped, an
# interrupted one resumes from its checkpoint.
#
#   scripts/sweep-trial.sh [-C DIR] [--dlc PATH] [--mode random|grid] SWEEP K OUT
#
#   -C DIR      change to DIR first (relative paths in the sweep and its base
#               config are relative to it; remote hosts start in $HOME)
#   --dlc PATH  the dlc binary (default: $DLC, else ../dlc beside this script,
#               else dlc on the PATH)
#
# Files it adds to the run folder: overrides.txt (key=value per line, as
# trained), train.log (dlc's output), wall_seconds, `failed` when training
# failed (such a trial is not retried: remove its folder to retry it), and
# `refused` when dlc train refused to start it (exit 2: e.g. its plan does not
# fit the memory; retried on the next run, once the cause is fixed).
# A trial another process is training (a second sweep.sh into the same
# folder, a Slurm array submitted again while it runs) is left to it: its
# folder is not touched.
# Exit status: 0 trained or already done, 1 training failed, 2 bad usage or
# input, 75 being trained by another process, 128+N interrupted by signal N
# (run again to resume).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dlc="${DLC:-}"
[ -n "$dlc" ] || { [ -x "$here/../dlc" ] && dlc="$here/../dlc"; } || dlc=dlc
mode=()

usage() {
    echo "usage: scripts/sweep-trial.sh [-C DIR] [--dlc PATH] [--mode random|grid] SWEEP K OUT" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        -C) [ $# -ge 2 ] || usage; cd "$2" || exit 2; shift 2 ;;
        --dlc) [ $# -ge 2 ] || usage; dlc="$2"; shift 2 ;;
        --mode) [ $# -ge 2 ] || usage; mode=(--mode "$2"); shift 2 ;;
        -h|--help) sed -n '2,23s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "sweep-trial.sh: unknown option '$1'" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -eq 3 ] || usage
sweep="$1" k="$2" out="$3"
[[ "$k" =~ ^[0-9]+$ ]] || { echo "sweep-trial.sh: K must be a trial number, got '$k'" >&2; exit 2; }
k=$((10#$k))
dir="$(printf '%s/trial-%03d' "$out" "$k")"

# The pid of the dlc train holding run folder $1's lock (flock, as dlc takes
# it), or nothing (status 1) when none does.
in_use() {
    [ -f "$1/.lock" ] && command -v flock > /dev/null || return 1
    flock -n -s "$1/.lock" true 2> /dev/null && return 1
    head -c 20 "$1/.lock" 2> /dev/null | tr -dc 0-9 || true
    echo
}
left_to_it() {
    echo "trial $k: being trained by another dlc process (pid ${1:-unknown}: another sweep.sh" \
         "or Slurm array into $out?); left to it" >&2
    exit 75
}

# the overrides and the base config, straight from the sweep file
sets="$("$dlc" sample "$sweep" --trial "$k" --lines "${mode[@]}")" || exit $?
base="$("$dlc" sample "$sweep" --info "${mode[@]}" | sed -n 's/^base=//p')" || exit $?
# a folder another version of the sweep file trained (done, failed or
# interrupted) is not this trial: never skipped as done nor resumed; one dlc
# train refused to start holds nothing and is tried with the new overrides
if holder=$(in_use "$dir"); then
    left_to_it "$holder"
fi
if [ -f "$dir/refused" ] && [ ! -f "$dir/checkpoint.safetensors" ]; then
    rm -f "$dir/overrides.txt"
fi
if [ -f "$dir/overrides.txt" ] && [ "$(cat "$dir/overrides.txt")" != "$sets" ]; then
    echo "sweep-trial.sh: $dir ran with other overrides than the sweep now gives" \
         "trial $k (did the sweep file change?): run the sweep into another folder (-o DIR)," \
         "or remove $dir to train it again" >&2
    exit 2
fi
if [ -f "$dir/report.json" ]; then
    echo "trial $k: done already ($dir)"
    exit 0
fi
if [ -f "$dir/failed" ]; then
    echo "trial $k: failed before, not retried ($dir/failed; remove the folder to retry)"
    exit 1
fi
mkdir -p "$dir" || exit 2
printf '%s\n' "$sets" > "$dir/overrides.txt.tmp" && mv "$dir/overrides.txt.tmp" "$dir/overrides.txt"
rm -f "$dir/refused"   # tried again: this run says anew

args=()
while IFS= read -r kv; do
    [ -n "$kv" ] && args+=(--set "$kv")
done <<< "$sets"
if [ -f "$dir/checkpoint.safetensors" ] && [ ! -f "$dir/model.safetensors" ]; then
    args+=(--resume)
elif [ -f "$dir/checkpoint.safetensors" ] || [ -f "$dir/model.safetensors" ]; then
    args+=(--force)   # a run that ended without its report: start it over
fi

# each trial on one core: the sweep runs several side by side
export OPENBLAS_NUM_THREADS=1
echo "== $(date '+%F %T') dlc train $base ${args[*]}" >> "$dir/train.log"
start=$(date +%s.%N)
# in the background, so a TERM (sweep.sh stopping, scancel) reaches dlc too
"$dlc" train "$base" "${args[@]}" --out "$dir" --threads 1 >> "$dir/train.log" 2>&1 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; echo "trial $k: interrupted"; exit 143' TERM INT
wait "$child"
rc=$?
trap - TERM INT
end=$(date +%s.%N)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')

case $rc in
    0)
        echo "$wall" > "$dir/wall_seconds"
        # the dev row of the final table, "dev  EXAMPLES  LOSS  ACCURACY ...", named
        # by its header (a regression's fourth column is its mse, not an accuracy)
        dev=$(awk '$1 == "split" && $2 == "examples" && !name {name = $4}
                   $1 == "dev" && $2 ~ /^[0-9]+$/ && name {print name " " $4; exit}' "$dir/train.log")
        echo "trial $k: done in ${wall}s${dev:+, dev $dev}"
        ;;
    1)
        reason=$(grep '^dlc: error' "$dir/train.log" | tail -n 1)
        { echo "exit 1"; echo "${reason:-see train.log}"; } > "$dir/failed"
        echo "trial $k: training failed: ${reason:-see $dir/train.log}"
        ;;
    2)
        # bad config or data for these overrides (a plan over the memory, a
        # value the data cannot take): not a result; or the folder taken by
        # another process since the check above
        reason=$(grep '^dlc: error' "$dir/train.log" | tail -n 1)
        if [[ "$reason" == *" is in use by another dlc process (pid "* ]]; then
            holder=${reason##*(pid }
            left_to_it "${holder%%)*}"
        fi
        { echo "exit 2"; echo "${reason:-see train.log}"; } > "$dir/refused"
        echo "trial $k: dlc train refused it: ${reason:-see $dir/train.log}" >&2
        ;;
    *)
        echo "trial $k: dlc train exited $rc (see $dir/train.log)" >&2
        ;;
esac
exit $rc

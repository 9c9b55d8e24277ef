#!/usr/bin/env bash
# sweep.sh - run a hyperparameter sweep from the shell: every trial in its own
# run folder, several side by side (one per core, each single-threaded), then
# OUT/leaderboard.csv ranked by the sweep's metric, with the top rows printed.
# Stopped and started again, it resumes: finished trials are skipped and an
# interrupted trial continues from its checkpoint.
#
#   scripts/sweep.sh SWEEP [options]
#
#   -j, --jobs N      trials at once (default: the number of cores; with
#                     --hosts: per host, default GNU parallel's choice)
#   -o, --out DIR     output folder (default: runs/sweeps/<name>, from the sweep)
#   --mode M          random or grid, instead of the sweep file's mode
#   --trials LIST     only these trials, e.g. 1-5,8 (default: all)
#   --top N           leaderboard rows to print (default 5)
#   --hosts FILE      run the trials through GNU parallel on the hosts of FILE
#                     (its --sshloginfile: one [N/]host per line, ':' for this
#                     machine); every host must see the same paths (a shared
#                     file system) and have dlc built there
#   --slurm FILE      write a Slurm job-array script (one array index per
#                     trial) to FILE instead of running anything; submit it
#                     with sbatch, then run `dlc leaderboard SWEEP --dir OUT`
#
# DLC names the dlc binary (default: ../dlc beside this script, else dlc on
# the PATH).  Exit status: 0 when every trial has a result (trained, or
# training failed, e.g. diverged), 1 when some did not finish, 2 bad usage, a
# bad sweep file, or a trial dlc train refused to start (bad input for its
# overrides, e.g. a plan over the memory).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dlc="${DLC:-}"
[ -n "$dlc" ] || { [ -x "$here/../dlc" ] && dlc="$here/../dlc"; } || dlc=dlc
trial_sh="$here/sweep-trial.sh"

usage() {
    echo "usage: scripts/sweep.sh SWEEP [-j JOBS] [-o DIR] [--mode random|grid] [--trials LIST]" \
         "[--top N] [--hosts FILE | --slurm FILE]" >&2
    exit 2
}
die() { echo "sweep.sh: $*" >&2; exit 2; }

sweep="" jobs="" out="" top=5 trials="" hosts="" slurm=""
mode=()
while [ $# -gt 0 ]; do
    case "$1" in
        -j|--jobs) [ $# -ge 2 ] || usage; jobs="$2"; shift 2 ;;
        -o|--out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
        --mode) [ $# -ge 2 ] || usage; mode=(--mode "$2"); shift 2 ;;
        --trials) [ $# -ge 2 ] || usage; trials="$2"; shift 2 ;;
        --top) [ $# -ge 2 ] || usage; top="$2"; shift 2 ;;
        --hosts) [ $# -ge 2 ] || usage; hosts="$2"; shift 2 ;;
        --slurm) [ $# -ge 2 ] || usage; slurm="$2"; shift 2 ;;
        -h|--help) sed -n '2,29s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "sweep.sh: unknown option '$1'" >&2; usage ;;
        *) [ -z "$sweep" ] || usage; sweep="$1"; shift ;;
    esac
done
[ -n "$sweep" ] || usage
[ -z "$jobs" ] || [[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "-j needs a whole number >= 1, got '$jobs'"
[[ "$top" =~ ^[0-9]+$ ]] || die "--top needs a whole number, got '$top'"
[ -z "$hosts" ] || [ -z "$slurm" ] || die "--hosts and --slurm are two ways to run: pick one"

# the sweep's settings; dlc checks the whole sweep file here (exit 2 if bad)
info="$("$dlc" sample "$sweep" --info "${mode[@]}")" || exit $?
get() { sed -n "s/^$1=//p" <<< "$info"; }
name="$(get name)" first="$(get first)" last="$(get trials)"
[ -n "$out" ] || out="$(get out)"

# the trial numbers to run
list=()
if [ -z "$trials" ]; then
    list=($(seq "$first" "$last"))
else
    IFS=',' read -ra parts <<< "$trials"
    for p in "${parts[@]}"; do
        if [[ "$p" =~ ^([0-9]+)-([0-9]+)$ ]]; then
            a=$((10#${BASH_REMATCH[1]})) b=$((10#${BASH_REMATCH[2]}))
        elif [[ "$p" =~ ^[0-9]+$ ]]; then
            a=$((10#$p)) b=$a
        else
            die "--trials takes numbers and ranges such as 1-5,8, got '$trials'"
        fi
        [ "$a" -le "$b" ] && [ "$a" -ge "$first" ] && [ "$b" -le "$last" ] ||
            die "--trials $p: this sweep has trials $first to $last"
        list+=($(seq "$a" "$b"))
    done
fi

abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
sweep_abs="$(abs "$sweep")" out_abs="$(abs "$out")"
dlc_abs="$dlc"
[[ "$dlc" == */* ]] && dlc_abs="$(abs "$dlc")"

if [ -n "$slurm" ]; then
    array="$(IFS=,; echo "${list[*]}")"
    [ -z "$trials" ] && array="$first-$last"
    mkdir -p "$out" || exit 2
    {
        echo "#!/bin/bash"
        echo "# Slurm job array for the dlc sweep $sweep_abs, written by scripts/sweep.sh."
        echo "# Submit with: sbatch $slurm"
        echo "# Each array index is one trial: scripts/sweep-trial.sh runs"
        echo "#   dlc sample SWEEP --trial \$SLURM_ARRAY_TASK_ID"
        echo "# for its --set overrides and trains them with dlc train in OUT/trial-KKK"
        echo "# (finished trials are skipped, so submitting again resumes the sweep)."
        echo "# When the array is done: $dlc_abs leaderboard $sweep_abs --dir $out_abs"
        echo "#SBATCH --job-name=dlc-sweep-$name"
        echo "#SBATCH --array=$array${jobs:+%$jobs}"
        echo "#SBATCH --ntasks=1"
        echo "#SBATCH --cpus-per-task=1"
        echo "#SBATCH --chdir=$PWD"
        echo "#SBATCH --output=$out_abs/slurm-%A_%a.out"
        echo "set -uo pipefail"
        printf 'exec %q -C %q --dlc %q' "$trial_sh" "$PWD" "$dlc_abs"
        [ ${#mode[@]} -eq 0 ] || printf ' --mode %q' "${mode[1]}"
        printf ' %q "$SLURM_ARRAY_TASK_ID" %q\n' "$sweep_abs" "$out_abs"
    } > "$slurm.tmp" && mv "$slurm.tmp" "$slurm" || die "cannot write $slurm"
    chmod +x "$slurm"
    echo "wrote $slurm: a Slurm array of ${#list[@]} trials ($array); submit it with: sbatch $slurm"
    echo "then: $dlc leaderboard $sweep --dir $out${mode[*]:+ ${mode[*]}}"
    exit 0
fi

mkdir -p "$out" || exit 2
trial_args=(-C "$PWD" --dlc "$dlc_abs" "${mode[@]}")
echo "sweep $name: ${#list[@]} trials ($(get mode), ranked by $(get metric)) -> $out"
start=$(date +%s)

if [ -n "$hosts" ]; then
    command -v parallel > /dev/null ||
        die "--hosts needs GNU parallel (Debian package: parallel)"
    parallel --version 2> /dev/null | grep -q '^GNU parallel' ||
        die "--hosts needs GNU parallel; the 'parallel' on PATH ($(command -v parallel)) is another program (moreutils?); install Debian's package parallel"
    [ -r "$hosts" ] || die "--hosts: cannot read $hosts"
    printf '%s\n' "${list[@]}" |
        parallel --sshloginfile "$hosts" ${jobs:+--jobs "$jobs"} --line-buffer -q \
            "$trial_sh" "${trial_args[@]}" "$sweep_abs" {} "$out_abs"
else
    [ -n "$jobs" ] || jobs=$(nproc 2>/dev/null || echo 1)
    stop() {
        trap - INT TERM
        echo "sweep.sh: stopping; run the same command again to resume" >&2
        local running_pids
        running_pids="$(jobs -p)"
        [ -z "$running_pids" ] || kill -TERM $running_pids 2>/dev/null
        wait
        exit 130
    }
    trap stop INT TERM
    running=0
    for k in "${list[@]}"; do
        while [ "$running" -ge "$jobs" ]; do
            wait -n
            running=$((running - 1))
        done
        "$trial_sh" "${trial_args[@]}" "$sweep_abs" "$k" "$out_abs" &
        running=$((running + 1))
    done
    wait
    trap - INT TERM
fi

echo "sweep $name: $(( $(date +%s) - start ))s"
"$dlc" leaderboard "$sweep" --dir "$out" --top "$top" "${mode[@]}" || exit $?

# every trial needs a result: trained, or failed in training; one dlc train
# refused to start is bad input for its overrides (exit 2)
unfinished=() refused=() elsewhere=()
for k in "${list[@]}"; do
    d="$(printf '%s/trial-%03d' "$out" "$k")"
    if [ -f "$d/.lock" ] && command -v flock > /dev/null && ! flock -n -s "$d/.lock" true 2> /dev/null; then
        elsewhere+=("$k")
    elif [ -f "$d/refused" ]; then
        refused+=("$k")
    elif ! [ -f "$d/report.json" ] && ! [ -f "$d/failed" ]; then
        unfinished+=("$k")
    fi
done
if [ ${#refused[@]} -gt 0 ]; then
    echo "sweep.sh: dlc train refused trials ${refused[*]} (exit 2: see why above, or in their" \
         "refused file; fix the sweep or its base config, then run again to retry them)" >&2
    exit 2
fi
if [ ${#elsewhere[@]} -gt 0 ]; then
    echo "sweep.sh: trials ${elsewhere[*]} are being trained by another process (another" \
         "sweep.sh or Slurm array into $out): run again once it ends, for their results" >&2
    exit 1
fi
if [ ${#unfinished[@]} -gt 0 ]; then
    echo "sweep.sh: trials without a result: ${unfinished[*]} (see their train.log; run again to resume)" >&2
    exit 1
fi
exit 0

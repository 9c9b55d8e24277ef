# lib.sh - what the benchmark scripts share: medians and the dlc-against-peer
# report.  Sourced by bench/run.sh, b3.sh and b8.sh; expects have_torch set (the
# peer is there) and takes the peer's name from PEER_NAME (default torch).

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

# compare NAME UNIT DLC_RATES DLC_RSS TORCH_RATES TORCH_RSS [EXTRA] (array names, by
# thread count; an RSS array may be empty): one line per thread count with the
# medians, the runs and their ratio, then best against best, then the peak
# memory (RSS, MiB) of each at its best thread count and their ratio.
compare() {
    local name=$1 unit=$2 extra=${7:-} best_d=0 best_t=0 t d p line rss_d= rss_t=
    local -n cs=$3 cr=$4 ps=$5 pr=$6
    for t in 1 2; do
        d=$(echo ${cs[$t]:-0} | tr ' ' '\n' | median)
        line="threads=$t  dlc ${d} $unit (runs: $(echo ${cs[$t]:-none})${cr[$t]:+; peak RSS ${cr[$t]} MiB})"
        [ -n "$extra" ] && line+=$($extra "$t" "$d")
        if [ "$have_torch" = 1 ]; then
            p=$(echo ${ps[$t]:-0} | tr ' ' '\n' | median)
            line+="  | ${PEER_NAME:-torch} ${p} $unit (runs: $(echo ${ps[$t]:-none})${pr[$t]:+; peak RSS ${pr[$t]} MiB})"
            line+="  ratio $(awk -v a="$d" -v b="$p" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')x"
            awk -v a="$p" -v b="$best_t" 'BEGIN {exit !(a > b)}' && { best_t=$p; rss_t=${pr[$t]:-}; }
        fi
        awk -v a="$d" -v b="$best_d" 'BEGIN {exit !(a > b)}' && { best_d=$d; rss_d=${cr[$t]:-}; }
        echo "$line"
    done
    if [ "$have_torch" = 1 ]; then
        echo "$name best against best: dlc $best_d / ${PEER_NAME:-torch} $best_t = $(awk -v a="$best_d" -v b="$best_t" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')x"
        [ -n "$rss_d" ] && [ -n "$rss_t" ] &&
            echo "$name peak RSS at the best settings: dlc $rss_d MiB / ${PEER_NAME:-torch} $rss_t MiB = $(awk -v a="$rss_d" -v b="$rss_t" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
    else
        echo "(PyTorch peer not available: install python3-torch for the ratios)"
    fi
    return 0
}

# ms_per COMMAND... -> the median wall ms of CALLS runs of the command.
# $EPOCHREALTIME (bash 5) reads the clock without forking `date`, whose few
# milliseconds would otherwise be counted against a short call.
ms_per() {
    local ts=() t0 t1
    for _ in $(seq "${CALLS:-20}"); do
        t0=$EPOCHREALTIME; "$@" > /dev/null 2>&1; t1=$EPOCHREALTIME
        ts+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", 1000 * (b - a)}')")
    done
    printf '%s\n' "${ts[@]}" | median | awk '{printf "%.2f", $1}'
}

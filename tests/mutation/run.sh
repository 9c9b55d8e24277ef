#!/usr/bin/env bash
# run.sh - mutation testing: plants each one-line bug of mutations.txt in a
# scratch copy of the tree, rebuilds, and runs the test suite until its first
# failure.  A mutation the suite notices is "killed"; one it does not notice
# "survived" and needs a test (or is marked EQUIVALENT in the list, with the
# reason it cannot change behaviour).
#
#   tests/mutation/run.sh                 every mutation
#   tests/mutation/run.sh --quick         the fixed sample named by the list's @quick line
#   tests/mutation/run.sh --no-baseline   skip the run of the unmutated suite (make test just
#                                         passed); each kill is confirmed instead: the
#                                         test that noticed must pass on the unmutated tree
#   tests/mutation/run.sh ID...           only these
#   tests/mutation/run.sh --check         only check that every mutation still applies
#
# Each line of mutations.txt is
#   ID  FILE  SED-EXPRESSION  # WHAT IT BREAKS
# (the expression is everything between the file and the last " # ").  The
# expression must change exactly one line of FILE: when the code it matches
# has moved or changed, the mutation is reported STALE and the run fails,
# rather than counting a bug that was never planted as killed.  Address
# lines by their text (/pattern/ or /from/,/to/), never by number.
#
# Exit status: 0 every non-equivalent mutation killed; 1 some survived;
# 2 some are stale or do not build, or the unmutated suite fails.
# Results: the printed table, and build/mutation/results.txt.
# Environment: MUTATE_JOBS (make -j, default 2), MUTATE_TIMEOUT (seconds per
# test program before it counts as hung, i.e. killed; default 300),
# MUTATE_EQUIV=1 also runs the mutations marked EQUIVALENT; MUTATE_OUT: the
# results folder (default build/mutation); MUTATE_TESTS: only these tests
# instead of the suite (unit programs by name, bats files by path,
# onnx_node_tests for ONNX's node tests), e.g.
# MUTATE_TESTS=tests/cli/e2e.bats to see what the end-to-end runs notice;
# MUTATE_LIST: another list in the same format (tests/mutation/sample.py
# writes one of bugs picked at random; default tests/mutation/mutations.txt).
# In a list, a line "@tests TEST..." names the tests for the entries after it
# (up to the next @tests; sample.py writes the tests whose coverage reaches
# each line); MUTATE_TESTS, when set, overrides it.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LIST="$(realpath -m "${MUTATE_LIST:-$ROOT/tests/mutation/mutations.txt}")"
OUTDIR="$(realpath -m "${MUTATE_OUT:-$ROOT/build/mutation}")"  # absolute: the run works in the scratch tree
JOBS="${MUTATE_JOBS:-2}"
FORCED_TESTS="${MUTATE_TESTS:-}"
TIMEOUT="${MUTATE_TIMEOUT:-300}"
ONNX_NODE_DIR="${ONNX_NODE_DIR:-/usr/include/onnx/backend/test/data/node}"

quick=0 check_only=0 baseline=1
want=()
for a in "$@"; do
    case "$a" in
    --quick) quick=1 ;;
    --check) check_only=1 ;;
    --no-baseline) baseline=0 ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    *) want+=("$a") ;;
    esac
done

# ---- read the list ----
ids=() files=() exprs=() whats=() equiv=() tests_of=()
quick_ids="" list_tests=""
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    case "$line" in
    ''|'#'*) continue ;;
    @quick*) quick_ids="${line#@quick}"; continue ;;
    @tests*) list_tests="${line#@tests}"; continue ;;
    esac
    id="${line%%[[:space:]]*}"
    rest="${line#"$id"}"; rest="${rest#"${rest%%[![:space:]]*}"}"
    file="${rest%%[[:space:]]*}"
    rest="${rest#"$file"}"; rest="${rest#"${rest%%[![:space:]]*}"}"
    if [[ "$rest" != *' # '* ]]; then
        echo "$LIST:$lineno: expected 'ID FILE SED-EXPRESSION # WHAT IT BREAKS'" >&2
        exit 2
    fi
    expr="${rest% # *}"; expr="${expr%"${expr##*[![:space:]]}"}"
    what="${rest##* # }"
    for seen in "${ids[@]}"; do
        [ "$seen" = "$id" ] && { echo "$LIST:$lineno: mutation '$id' is listed twice" >&2; exit 2; }
    done
    ids+=("$id") files+=("$file") exprs+=("$expr") whats+=("$what") tests_of+=("$list_tests")
    [[ "$what" == EQUIVALENT* ]] && equiv+=(1) || equiv+=(0)
done < "$LIST"

if [ "$quick" = 1 ]; then
    read -r -a want <<< "$quick_ids"
    [ "${#want[@]}" -gt 0 ] || { echo "run.sh: $LIST has no @quick line" >&2; exit 2; }
fi
selected=()
if [ "${#want[@]}" -gt 0 ]; then
    for w in "${want[@]}"; do
        found=-1
        for i in "${!ids[@]}"; do [ "${ids[$i]}" = "$w" ] && found=$i; done
        [ "$found" -ge 0 ] || { echo "run.sh: no mutation '$w' in $LIST" >&2; exit 2; }
        selected+=("$found")
    done
else
    selected=("${!ids[@]}")
fi

# ---- does each still apply?  (one changed line, in the current tree) ----
stale=()
applies() { # index -> 0 when the expression changes exactly one line
    local i=$1 f="$ROOT/${files[$1]}" out
    [ -f "$f" ] || { echo "no file ${files[$i]}"; return 1; }
    out="$(sed -e "${exprs[$i]}" "$f" 2>&1)" || { echo "sed: $out"; return 1; }
    local changed
    changed="$(diff <(printf '%s\n' "$out") "$f" | grep -c '^>')"
    [ "$changed" = 1 ] || { echo "changes $changed lines (want 1)"; return 1; }
    return 0
}
for i in "${selected[@]}"; do
    if ! why="$(applies "$i")"; then
        echo "STALE     ${ids[$i]}  ${files[$i]}: $why" >&2
        stale+=("$i")
    fi
done
if [ "$check_only" = 1 ]; then
    [ "${#stale[@]}" -eq 0 ] && echo "all ${#selected[@]} mutations apply"
    [ "${#stale[@]}" -eq 0 ] || exit 2
    exit 0
fi

# ---- a scratch copy of the tree (tracked and new files; no build, no runs) ----
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/dlc-mutate.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -co --exclude-standard -z |
        while IFS= read -r -d '' p; do [ -e "$p" ] && printf '%s\0' "$p"; done |
        tar --null -T - -cf -) | tar -xf - -C "$SCRATCH"
else
    (cd "$ROOT" && tar --exclude=./build --exclude=./runs --exclude=./dlc -cf - .) | tar -xf - -C "$SCRATCH"
fi
# ONNX Runtime (make onnxruntime) is not tracked: the scratch tree borrows
# the worktree's, so the export tests run there too instead of skipping.
[ -d "$ROOT/tests/onnx/node_modules" ] && ln -s "$ROOT/tests/onnx/node_modules" "$SCRATCH/tests/onnx/node_modules"
mkdir -p "$OUTDIR"
LOG="$OUTDIR/log"
: > "$LOG"

cd "$SCRATCH"
UNITS=()
for s in tests/unit/test_*.c; do UNITS+=("build/tests/$(basename "$s" .c)"); done
TARGETS=(dlc "${UNITS[@]}" build/tests/fuzz_replay build/tests/st_compare build/tests/onnx_node_tests build/make_shapes)

# Builds without debug information (faster links; the flags are otherwise
# the tree's own).  build: everything; build_one: one program.
MAKE_ARGS=(-s -j"$JOBS" OPT=-O3)
build() { make "${MAKE_ARGS[@]}" "${TARGETS[@]}" >>"$LOG" 2>&1; }
build_one() { make "${MAKE_ARGS[@]}" "$1" >>"$LOG" 2>&1; }

# The suite, stopping at its first failure; prints what failed.  Unit test
# programs whose name holds the mutated module's name run first (they are
# the likeliest to notice), then the rest, then the command-line tests, then
# the fuzz seeds and ONNX's node tests (make test's order; the slow
# architecture smoke test last of the unit tests).
# Each program is linked just before it runs, so a bug the
# first program notices costs one link, not twenty.  A program that no longer
# builds (e.g. a test file another change broke) fails loudly.
suite() {
    local module="$1" t order=() f
    if [ -n "${MUTATE_TESTS:-}" ]; then
        for t in $MUTATE_TESTS; do
            if [ "$t" = onnx_node_tests ]; then
                build_one build/tests/onnx_node_tests || { echo "BUILD $t"; return 2; }
                timeout "$TIMEOUT" build/tests/onnx_node_tests "$ONNX_NODE_DIR" >>"$LOG" 2>&1 || { echo "$t"; return 1; }
            elif [[ "$t" == *.bats ]]; then
                build_one dlc || { echo "BUILD dlc"; return 2; }
                build_one build/tests/st_compare || { echo "BUILD st_compare"; return 2; }
                DLC="$SCRATCH/dlc" ST_COMPARE="$SCRATCH/build/tests/st_compare" timeout "$TIMEOUT" bats "$t" >>"$LOG" 2>&1 ||
                    { echo "$(basename "$t")"; return 1; }
            else
                build_one "build/tests/$t" || { echo "BUILD $t"; return 2; }
                DLC_TEST_DATA=tests/data timeout "$TIMEOUT" "build/tests/$t" >>"$LOG" 2>&1 || { echo "$t"; return 1; }
            fi
        done
        return 0
    fi
    for t in "${UNITS[@]}"; do [[ -n "$module" && "$t" == *"test_$module"* ]] && order+=("$t"); done
    for t in "${UNITS[@]}"; do
        [[ (-n "$module" && "$t" == *"test_$module"*) || "$t" == */test_architectures ]] || order+=("$t")
    done
    for t in "${UNITS[@]}"; do [[ "$t" == */test_architectures ]] && order+=("$t"); done
    for t in "${order[@]}"; do
        build_one "$t" || { echo "BUILD $t"; return 2; }
        if ! DLC_TEST_DATA=tests/data timeout "$TIMEOUT" "$t" >>"$LOG" 2>&1; then
            echo "$(basename "$t")"; return 1
        fi
    done
    build_one dlc && build_one build/tests/fuzz_replay && build_one build/tests/st_compare &&
        build_one build/tests/onnx_node_tests || { echo "BUILD dlc"; return 2; }
    for f in tests/cli/*.bats; do
        if ! DLC="$SCRATCH/dlc" ST_COMPARE="$SCRATCH/build/tests/st_compare" timeout "$TIMEOUT" bats "$f" >>"$LOG" 2>&1; then
            echo "$(basename "$f")"; return 1
        fi
    done
    for k in yaml idx csv safetensors text image onnx; do
        if ! timeout "$TIMEOUT" build/tests/fuzz_replay "$k" "tests/fuzz/corpus/$k" >>"$LOG" 2>&1; then
            echo "fuzz seeds $k"; return 1
        fi
    done
    if [ -d "$ONNX_NODE_DIR" ] && ! timeout "$TIMEOUT" build/tests/onnx_node_tests "$ONNX_NODE_DIR" >>"$LOG" 2>&1; then
        echo "onnx node tests"; return 1
    fi
    return 0
}

# One test by the name suite() printed for it: 0 when it passes.
run_named() {
    local t="$1"
    case "$t" in
    *.bats) build_one dlc && build_one build/tests/st_compare &&
                DLC="$SCRATCH/dlc" ST_COMPARE="$SCRATCH/build/tests/st_compare" timeout "$TIMEOUT" bats "tests/cli/$t" ;;
    "fuzz seeds "*) build_one build/tests/fuzz_replay &&
                timeout "$TIMEOUT" build/tests/fuzz_replay "${t#fuzz seeds }" "tests/fuzz/corpus/${t#fuzz seeds }" ;;
    "onnx node tests"|onnx_node_tests) build_one build/tests/onnx_node_tests &&
                timeout "$TIMEOUT" build/tests/onnx_node_tests "$ONNX_NODE_DIR" ;;
    *) build_one "build/tests/$t" && DLC_TEST_DATA=tests/data timeout "$TIMEOUT" "build/tests/$t" ;;
    esac >>"$LOG" 2>&1
}

echo "mutation testing: ${#selected[@]} mutations, scratch tree $SCRATCH"
if ! build; then
    echo "run.sh: the unmutated tree does not build (see $LOG)" >&2
    exit 2
fi
if [ "$baseline" = 0 ]; then :; elif failed="$(suite "")"; then :; else
    echo "run.sh: the unmutated suite fails ($failed; see $LOG): fix that first" >&2
    exit 2
fi

RESULTS="$OUTDIR/results.txt"
: > "$RESULTS"
killed=0 survived=0 broken=0 counted=0 eq_seen=0
survivors=()
for i in "${selected[@]}"; do
    id="${ids[$i]}" file="${files[$i]}"
    for s in "${stale[@]}"; do [ "$s" = "$i" ] && continue 2; done
    if [ "${equiv[$i]}" = 1 ] && [ "${MUTATE_EQUIV:-0}" != 1 ]; then
        printf '%-10s %-28s %s\n' "EQUIVALENT" "$id" "${whats[$i]#EQUIVALENT: }" | tee -a "$RESULTS"
        eq_seen=$((eq_seen + 1))
        continue
    fi
    cp "$file" "$file.orig"
    sed -i -e "${exprs[$i]}" "$file"
    echo "== $id: $file" >>"$LOG"
    diff "$file.orig" "$file" >>"$LOG"
    start=$SECONDS
    module="$(echo "$file" | cut -d/ -f2)"
    if ! make "${MAKE_ARGS[@]}" build/libdlc.a >>"$LOG" 2>&1; then
        status="NO-BUILD" by="(does not compile: not a realistic bug; see the log)"
        broken=$((broken + 1))
    elif by="$(MUTATE_TESTS="${FORCED_TESTS:-${tests_of[$i]}}" suite "$module")"; then
        status="SURVIVED" by=""
        [ "${equiv[$i]}" = 1 ] || survivors+=("$id")
    elif [[ "$by" == BUILD* ]]; then
        status="NO-BUILD" by="(${by#BUILD } does not link; see the log)"
        broken=$((broken + 1))
    else
        status="killed" by="by $by"
    fi
    mv "$file.orig" "$file"
    touch "$file"
    if [ "$baseline" = 0 ] && [ "$status" = killed ]; then
        # without the baseline run: the test that noticed must pass unmutated
        if ! make "${MAKE_ARGS[@]}" build/libdlc.a >>"$LOG" 2>&1 || ! run_named "${by#by }"; then
            echo "run.sh: ${by#by } fails on the unmutated tree too (see $LOG): fix that first" >&2
            exit 2
        fi
    fi
    if [ "${equiv[$i]}" = 1 ]; then
        eq_seen=$((eq_seen + 1))
        status="EQUIV-$status"
    elif [ "$status" = killed ]; then
        killed=$((killed + 1)); counted=$((counted + 1))
    elif [ "$status" = SURVIVED ]; then
        survived=$((survived + 1)); counted=$((counted + 1))
    fi
    printf '%-10s %-28s %-30s %4ds  %s\n' "$status" "$id" "$by" $((SECONDS - start)) "${whats[$i]}" |
        tee -a "$RESULTS"
done
build >/dev/null 2>&1 || true

echo
rate="n/a"
[ "$counted" -gt 0 ] && rate="$(awk -v k=$killed -v n=$counted 'BEGIN {printf "%.1f%%", 100 * k / n}')"
summary="killed $killed of $counted ($rate); survived $survived; equivalent $eq_seen; stale ${#stale[@]}; not building $broken"
echo "$summary" | tee -a "$RESULTS"
[ "${#survivors[@]}" -eq 0 ] || echo "survivors: ${survivors[*]}"
for s in "${stale[@]}"; do echo "stale: ${ids[$s]} (${files[$s]}): update its expression to the code as it is now" >&2; done
[ "${#stale[@]}" -eq 0 ] && [ "$broken" -eq 0 ] || exit 2
[ "$survived" -eq 0 ] || exit 1
exit 0

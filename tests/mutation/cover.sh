#!/usr/bin/env bash
# cover.sh TEST... - line coverage of src/ per test, for tests/mutation/sample.py:
# builds the tests on the --coverage build of `make coverage` (build/coverage),
# runs each alone and writes build/coverage/per-test/NAME.info (lcov), NAME
# being the test's name as MUTATE_TESTS spells it with / and . made _.
# A test is a unit program by name (test_loss) or a bats file by path
# (tests/cli/report.bats).  Cheaper than `make coverage` when only some
# modules are sampled, and it says which tests run which line, so each
# sampled bug is run against the tests that reach it.
#
#   tests/mutation/cover.sh test_loss test_optim tests/cli/report.bats
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
B=build/coverage
OUT="$B/per-test"
MK=(make -s -j"${MUTATE_JOBS:-2}" BUILD=$B BIN=$B/dlc OPT="-O0 -g --coverage -DDLC_NO_CLONES" LDFLAGS=--coverage)
RC=(--rc lcov_branch_coverage=0)
quiet() { "$@" 2> >(grep -v "Subroutine .* redefined" >&2); }
mkdir -p "$OUT"
for t in "$@"; do
    name="$(echo "$t" | tr '/.' '__')"
    find $B -name '*.gcda' -delete
    if [[ "$t" == *.bats ]]; then
        "${MK[@]}" $B/dlc $B/tests/st_compare $B/make_shapes
        DLC="$ROOT/$B/dlc" ST_COMPARE="$ROOT/$B/tests/st_compare" MAKE_SHAPES="$ROOT/$B/make_shapes" \
            bats "$t" >"$OUT/$name.log" 2>&1 || echo "cover.sh: $t failed (see $OUT/$name.log)" >&2
    else
        "${MK[@]}" "$B/tests/$t"
        DLC_TEST_DATA=tests/data "$B/tests/$t" >"$OUT/$name.log" 2>&1 ||
            echo "cover.sh: $t failed (see $OUT/$name.log)" >&2
    fi
    quiet lcov -q "${RC[@]}" --capture --directory $B --base-directory "$ROOT" --output-file "$OUT/$name.all"
    quiet lcov -q "${RC[@]}" --extract "$OUT/$name.all" "$ROOT/src/*" --output-file "$OUT/$name.info"
    rm -f "$OUT/$name.all"
    echo "$t: $OUT/$name.info"
done

#!/usr/bin/env bash
# coverage.sh BUILD_DIR - after `make coverage` ran the tests on a --coverage
# build in BUILD_DIR: line and branch coverage of src/ per module, the total
# outside src/cli (the target: >= 90% of lines, >= 80% of branches), the
# largest runs of lines no test reaches, and an HTML report
# (BUILD_DIR/html/index.html).  Uses Debian's lcov (1.16).
set -euo pipefail
BUILD="${1:?usage: coverage.sh BUILD_DIR}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
RC=(--rc lcov_branch_coverage=1)
INFO="$BUILD/coverage.info"

# Debian 12's geninfo warns about its own Perl ("Subroutine ... redefined"): noise
quiet() { "$@" 2> >(grep -v "Subroutine .* redefined" >&2); }
quiet lcov -q "${RC[@]}" --capture --directory "$BUILD" --base-directory "$ROOT" --output-file "$BUILD/all.info"
quiet lcov -q "${RC[@]}" --extract "$BUILD/all.info" "$ROOT/src/*" --output-file "$INFO"
quiet genhtml -q "${RC[@]}" --prefix "$ROOT" --title "dlc tests" --output-directory "$BUILD/html" "$INFO"

# Per module: sums of LF/LH (lines found / hit) and BRF/BRH (branches) over
# its files; then the total without src/cli.
awk -v root="$ROOT/" '
    /^SF:/ { f = substr($0, 4); sub(root, "", f); split(f, p, "/"); m = p[2] }
    /^LF:/ { lf[m] += substr($0, 4) } /^LH:/ { lh[m] += substr($0, 4) }
    /^BRF:/ { bf[m] += substr($0, 5) } /^BRH:/ { bh[m] += substr($0, 5) }
    END {
        printf "%-10s %18s %20s\n", "module", "lines", "branches"
        n = 0
        for (k in lf) mods[++n] = k
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (mods[j] < mods[i]) { t = mods[i]; mods[i] = mods[j]; mods[j] = t }
        for (i = 1; i <= n; i++) {
            k = mods[i]
            printf "%-10s %6.1f%% %5d/%-5d %6.1f%% %6d/%-6d\n", k, 100 * lh[k] / lf[k], lh[k], lf[k],
                   bf[k] ? 100 * bh[k] / bf[k] : 100, bh[k], bf[k]
            if (k != "cli") { LF += lf[k]; LH += lh[k]; BF += bf[k]; BH += bh[k] }
        }
        printf "%-10s %6.1f%% %5d/%-5d %6.1f%% %6d/%-6d\n", "not cli", 100 * LH / LF, LH, LF,
               100 * BH / BF, BH, BF
    }' "$INFO" | tee "$BUILD/summary.txt"

# The largest uncovered regions: runs of instrumented lines with no hits,
# allowing a few uninstrumented lines (comments, braces) inside a run.
echo
echo "largest uncovered regions (instrumented lines never run):"
awk -v root="$ROOT/" '
    function flush() { if (cnt > 0) printf "%d %s:%d-%d\n", cnt, file, first, last; cnt = 0 }
    /^SF:/ { file = substr($0, 4); sub(root, "", file); cnt = 0; prev = -100 }
    /^DA:/ {
        split(substr($0, 4), a, ","); line = a[1] + 0; hits = a[2] + 0
        if (hits == 0) {
            if (cnt > 0 && line - prev <= 4) { last = line; cnt++ } else { flush(); first = last = line; cnt = 1 }
        } else flush()
        prev = line
    }
    /^end_of_record/ { flush() }' "$INFO" | sort -rn | head -25 | awk '{printf "  %4d lines  %s\n", $1, $2}' |
    tee -a "$BUILD/summary.txt"
echo
echo "HTML report: $BUILD/html/index.html"

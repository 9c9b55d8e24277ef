#!/bin/sh
# lint_bats.sh - refuses a command-line test that asserts nothing: in bats, a
# negated command (`! grep -q x file`) does not fail the test unless it is the
# test's last command, since `set -e` ignores a `!` pipeline.  Write
# `! cmd || false` (or `run cmd` and check $status).  Prints file:line of each
# and exits 1 when there is one.  Run by `make cli-test`.
[ $# -gt 0 ] || set -- tests/cli/*.bats
exec awk '
    FNR == 1 { pending = "" }
    pending != "" && /[^ \t]/ {
        if ($0 !~ /^[ \t]*}[ \t]*$/) { print pending ": a negated command that cannot fail the test (add || false)"; bad = 1 }
        pending = ""
    }
    /^[ \t]*! / && $0 !~ /\|\| false[ \t]*$/ { pending = FILENAME ":" FNR }
    END { exit bad }
' "$@"

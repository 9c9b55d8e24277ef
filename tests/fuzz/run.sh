#!/usr/bin/env bash
# run.sh - build every libFuzzer target and fuzz each for a while.
#   bash tests/fuzz/run.sh [SECONDS]     (default 60 per target)
#   FUZZ_TARGETS="safetensors" FUZZ_CC=clang-14 bash tests/fuzz/run.sh 180
# Each target is built into build/fuzz/<target> and run on a copy of its seeds
# (tests/fuzz/corpus/<target> -> build/fuzz/corpus-<target>), so new inputs
# found while fuzzing do not clutter the tree.  A crash prints the input file;
# copy it into tests/fuzz/corpus/<target>/ once fixed, so `make test` replays
# it.  Exits non-zero if any target failed to build or crashed.
set -u
cd "$(dirname "$0")/../.."

SECONDS_PER_TARGET=${1:-60}
TARGETS=${FUZZ_TARGETS:-yaml idx csv safetensors text image onnx detect} # e.g. FUZZ_TARGETS=safetensors
OUT=build/fuzz
CC=${FUZZ_CC:-clang}
mkdir -p "$OUT"

# target name -> the file defining it
target_file() {
    case "$1" in
    idx | csv) echo tests/fuzz/target_data.c ;;
    *) echo "tests/fuzz/target_$1.c" ;;
    esac
}

SRCS=$(find src -name '*.c' ! -path 'src/cli/main.c' | sort)
PKG_CFLAGS=$(pkg-config --cflags openblas yaml-0.1 zlib stb) || exit 1
PKG_LIBS=$(pkg-config --libs openblas yaml-0.1 zlib stb) || exit 1
# -DDLC_NO_CLONES: clang wants target_clones on every declaration of a
# multi-versioned function (the headers have none), so one version here.
# -mavx2 -mfma: clang refuses Winograd's 8-float vectors passed between
# functions compiled for the baseline x86-64 (GCC only notes the ABI); the
# fuzzers are built and run on the development machine, never shipped.
FLAGS="-std=c11 -D_DEFAULT_SOURCE -DDLC_NO_CLONES -O1 -g -fno-omit-frame-pointer -mavx2 -mfma
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"

# The library once, as an archive: each target links only the objects it
# needs (as the Makefile's libdlc.a does), so a target does not depend on
# unrelated modules such as src/cli.
echo "== build $OUT/libdlc-fuzz.a"
mkdir -p "$OUT/obj"
rm -f "$OUT/libdlc-fuzz.a"
objs=""
for src in $SRCS; do
    obj="$OUT/obj/$(echo "${src%.c}" | tr / _).o"
    # shellcheck disable=SC2086
    extra=""
    # Debian's stb_image shifts by 32 on corrupt JPEGs (see the Makefile)
    [ "$src" = src/data/stb_impl.c ] && extra=-fno-sanitize=shift
    # shellcheck disable=SC2086
    $CC $FLAGS $extra $PKG_CFLAGS -c "$src" -o "$obj" || { echo "!! $src: compile failed"; exit 1; }
    objs="$objs $obj"
done
# shellcheck disable=SC2086
ar rcs "$OUT/libdlc-fuzz.a" $objs || exit 1

status=0
for t in $TARGETS; do
    bin="$OUT/$t"
    echo "== build $bin"
    # shellcheck disable=SC2086
    if ! $CC $FLAGS $PKG_CFLAGS -DFUZZ_TARGET="fuzz_$t" -o "$bin" \
        tests/fuzz/libfuzzer.c "$(target_file "$t")" "$OUT/libdlc-fuzz.a" $PKG_LIBS -lm -lpthread; then
        echo "!! $t: build failed"
        status=1
        continue
    fi
    corpus="$OUT/corpus-$t"
    artifacts="$OUT/crashes-$t"
    rm -rf "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    if [ -d "tests/fuzz/corpus/$t" ]; then
        cp -r "tests/fuzz/corpus/$t/." "$corpus/"
    fi
    echo "== fuzz $t for ${SECONDS_PER_TARGET}s"
    if ! "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$OUT/$t.log" 2>&1; then
        echo "!! $t: crash (log $OUT/$t.log)"
        for f in "$artifacts"/*; do
            [ -e "$f" ] && echo "   input: $f"
        done
        tail -n 40 "$OUT/$t.log"
        status=1
    else
        grep -E '^stat::(number_of_executed_units|new_units_added)' "$OUT/$t.log" | sed "s/^/   $t /"
    fi
done
exit $status

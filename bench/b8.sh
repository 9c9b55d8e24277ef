#!/usr/bin/env bash
# Benchmark B8 of ../shared/BENCH.md: word2vec skip-gram with negative
# sampling, dlc embed against gensim 4.2's Word2Vec (Debian's python3-gensim),
# same corpus, dimensions (100), window (5), negatives (5), subsampling
# (1e-3), min_count (5), epochs (5), rate (0.025 falling to 0.0001), at 1 and
# 2 threads, alternating, REPS times; medians; best against best.
# words/s = in-vocabulary words of the corpus x epochs / seconds of training
# (both programs count the same words; reading the text and counting the
# vocabulary are left out of both).  Each run's CPU seconds are printed too:
# on a loaded machine they show the work each does apart from the waiting.
# Then the quality check: scripts/embed_compare.py on the last 1-thread
# vectors of each, and on a second gensim run with another seed (how much two
# gensim runs agree is the yardstick for how much dlc and gensim should).
# The corpus: data/brown/text.txt and data/nlp_corpus.txt (prepared by
# scripts/prepare_brown.py and scripts/prepare_nlp_corpus.py), 2.95 M words.
# Called by bench/run.sh (BENCH=b8 make bench); runs alone too.  DLC names the
# binary (default ./dlc: a copy keeps a rebuild from changing it mid-sitting).
set -uo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
DLC=${DLC:-./dlc}
EPOCHS=${EPOCHS:-5}
OUT=$(mktemp -d /tmp/dlc-b8.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh

echo "== B8: word2vec skip-gram, negative sampling: dim 100, window 5, 5 negatives, $EPOCHS epochs (words/s)"
[ -f data/brown/text.txt ] || python3 scripts/prepare_brown.py > /dev/null ||
    { echo "(B8 needs the Brown corpus: scripts/prepare_brown.py, npm)"; exit 0; }
[ -f data/nlp_corpus.txt ] || python3 scripts/prepare_nlp_corpus.py > /dev/null ||
    { echo "(B8 needs nlp-corpus: scripts/prepare_nlp_corpus.py, npm)"; exit 0; }
cat data/brown/text.txt data/nlp_corpus.txt > "$OUT/corpus.txt"
echo "corpus: $(wc -l < "$OUT/corpus.txt") lines, $(wc -w < "$OUT/corpus.txt") words (Brown + nlp-corpus)"

cat > "$OUT/b8.yaml" <<YAML
name: b8
seed: 1
data:
  format: text
  train: {file: $OUT/corpus.txt}
  text: {tokens: words, min_count: 5}
embed: {method: skipgram, dim: 100, window: 5, negatives: 5, sample: 1e-3, epochs: $EPOCHS, lr: 0.025, min_lr: 0.0001}
YAML

dlc_b8() { # threads -> "words_per_s cpu_s"
    /usr/bin/time -f "%U %S" -o "$OUT/time" "$DLC" embed "$OUT/b8.yaml" --out "$OUT/dlc$1" --force \
        --threads "$1" --quiet > /dev/null || return 1
    echo "$(jq -r '.words_per_s | floor' "$OUT/dlc$1/report.json") $(awk '{print $1 + $2}' "$OUT/time")"
}

gensim_b8() { # threads [seed] -> "words_per_s cpu_s"
    /usr/bin/python3 bench/gensim_peer.py "$OUT/corpus.txt" --threads "$1" --epochs "$EPOCHS" \
        --seed "${2:-1}" --save "$OUT/gensim$1-${2:-1}.bin" 2>/dev/null |
        jq -r '"\(.words_per_s) \(.cpu_s)"'
}

have_torch=0 # lib.sh's name for "the peer is there"
PEER_NAME=gensim
/usr/bin/python3 -c 'import gensim' 2>/dev/null && have_torch=1
[ $have_torch = 1 ] || echo "(gensim not installed for /usr/bin/python3: apt-get install python3-gensim)"

declare -A D G DC GC
for t in 1 2; do
    for r in $(seq "$REPS"); do
        read -r s c < <(dlc_b8 "$t") && { D[$t]+="$s "; DC[$t]+="$c "; }
        if [ $have_torch = 1 ]; then
            read -r s c < <(gensim_b8 "$t") && { G[$t]+="$s "; GC[$t]+="$c "; }
        fi
    done
    echo "threads=$t  CPU seconds per run: dlc ${DC[$t]:-}| gensim ${GC[$t]:-}"
done
declare -A NO_RSS
compare B8 words/s D NO_RSS G NO_RSS
echo "(B8 target: >= 1.0x best against best, at equal quality)"

if [ $have_torch = 1 ]; then
    echo "== B8 quality: dlc against gensim, and gensim seed 1 against seed 2 (1 thread)"
    gensim_b8 1 2 > /dev/null
    /usr/bin/python3 scripts/embed_compare.py "$OUT/gensim1-1.bin" "$OUT/dlc1/vectors.bin" \
        "$OUT/gensim1-2.bin" --tagged data/brown/tagged.txt
fi

#!/usr/bin/env python3
"""Benchmark B8's peer: gensim 4.2's Word2Vec (Debian's python3-gensim, whose
training loop is compiled Cython) on a text file of one sentence per line,
with the settings of a dlc embed config:

    /usr/bin/python3 bench/gensim_peer.py CORPUS --threads 2 [--sg 1] [--dim 100]
        [--window 5] [--negative 5] [--sample 1e-3] [--epochs 5] [--min-count 5]
        [--alpha 0.025] [--seed 1] [--save vectors.bin]

Prints one JSON line: vocabulary, words (in-vocabulary words of the corpus,
the figure dlc counts), seconds (train() only; reading and counting the
vocabulary are timed apart, as dlc's report does), words_per_s, cpu_s (the
process's CPU seconds during train(), all threads)."""
import argparse
import json
import logging
import os
import time

from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sg", type=int, default=1)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--negative", type=int, default=5)
    ap.add_argument("--sample", type=float, default=1e-3)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--alpha", type=float, default=0.025)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save", default=None)
    a = ap.parse_args()
    if os.environ.get("GENSIM_LOG"):
        logging.basicConfig(level=logging.INFO)
    sents = list(LineSentence(a.corpus))  # in memory, as dlc holds its corpus
    m = Word2Vec(vector_size=a.dim, window=a.window, min_count=a.min_count, sg=a.sg,
                 negative=a.negative, hs=0, sample=a.sample, workers=a.threads, seed=a.seed,
                 epochs=a.epochs, alpha=a.alpha, min_alpha=0.0001)
    t = time.time()
    m.build_vocab(sents)
    vocab_s = time.time() - t
    words = int(sum(m.wv.get_vecattr(w, "count") for w in m.wv.index_to_key))
    c0, t = time.process_time(), time.time()
    m.train(sents, total_examples=len(sents), epochs=a.epochs)
    secs, cpu = time.time() - t, time.process_time() - c0
    if a.save:
        m.wv.save_word2vec_format(a.save, binary=True)
    print(json.dumps({"peer": "gensim", "threads": a.threads, "vocabulary": len(m.wv),
                      "words": words, "vocab_s": round(vocab_s, 3), "seconds": round(secs, 3),
                      "words_per_s": round(words * a.epochs / secs), "cpu_s": round(cpu, 3)}))


if __name__ == "__main__":
    main()

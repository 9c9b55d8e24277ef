#!/usr/bin/env python3
"""Checks that gensim reads the vectors a `dlc embed` run wrote, in all three
formats, and gets the same words and the same numbers:

    /usr/bin/python3 tests/embed/gensim_check.py RUN [WORD]

vectors.bin (word2vec binary) and vectors.txt (word2vec text) through
KeyedVectors.load_word2vec_format, glove.txt (GloVe: no header) through the
same with no_header=True; words in the order of vocab.txt, values equal to
the last bit (the text is printed with 9 significant digits, which round-trips
a float32).  With WORD, prints gensim's nearest word to it, for the caller to
compare with `dlc embed RUN --neighbours WORD`.  Exit 0 when all agree."""
import sys

import numpy as np
from gensim.models import KeyedVectors


def main():
    run = sys.argv[1]
    words = [line.split(" ")[0] for line in open(f"{run}/vocab.txt", encoding="utf-8")]
    binary = KeyedVectors.load_word2vec_format(f"{run}/vectors.bin", binary=True)
    text = KeyedVectors.load_word2vec_format(f"{run}/vectors.txt", binary=False)
    glove = KeyedVectors.load_word2vec_format(f"{run}/glove.txt", binary=False, no_header=True)
    for name, kv in (("vectors.bin", binary), ("vectors.txt", text), ("glove.txt", glove)):
        if list(kv.index_to_key) != words:
            sys.exit(f"{name}: gensim reads other words than vocab.txt lists")
        if kv.vectors.dtype != np.float32 or not np.array_equal(kv.vectors, binary.vectors):
            sys.exit(f"{name}: gensim reads other values than vectors.bin holds")
    print(f"gensim reads {len(words)} words x {binary.vector_size} in all three files, equal")
    if len(sys.argv) > 2:
        print(binary.most_similar(sys.argv[2], topn=1)[0][0])


if __name__ == "__main__":
    main()

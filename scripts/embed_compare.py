#!/usr/bin/env python3
"""Compares word vectors (any of dlc embed's files, or gensim's): agreement
between two sets, and how well each groups words of one part of speech.

    /usr/bin/python3 scripts/embed_compare.py A B [C ...] [--words 200] [--top 10]
        [--tagged data/brown/tagged.txt]

For the --words most frequent words made of letters that every set knows
(frequency: A's order, which dlc and gensim both sort by count):
  overlap    the mean share of a word's --top nearest neighbours (cosine,
             among the words all sets know) that A and the other set agree on
  spearman   Spearman's correlation of the cosine similarities of all pairs
             of those words, A against the other set
and, with --tagged (Brown's tagged.txt), for each set:
  pos@10     for the 2,000 most frequent tagged words, the share of their 10
             nearest neighbours (among those 2,000) whose most frequent Brown
             tag (without -TL, -HL, -NC suffixes) is the word's own.
Prints one JSON line per set.  Needs numpy, scipy and gensim (to read)."""
import argparse
import collections
import json
import re

import numpy as np
from gensim.models import KeyedVectors
from scipy.stats import spearmanr


def load(path):
    with open(path, "rb") as f:
        head = f.readline().split()
        body = f.read(4096)
    if len(head) == 2 and all(x.isdigit() for x in head):
        binary = any(b < 9 or 13 < b < 32 for b in body)
        return KeyedVectors.load_word2vec_format(path, binary=binary)
    return KeyedVectors.load_word2vec_format(path, binary=False, no_header=True)


def unit(kv, words):
    m = np.stack([kv[w] for w in words]).astype(np.float64)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


def neighbours(m, idx, top):
    sims = m[idx] @ m.T
    sims[np.arange(len(idx)), idx] = -np.inf
    return np.argsort(-sims, axis=1)[:, :top]


def pos_score(kv, common, tags, n=2000, top=10):
    words = [w for w in common if w in tags][:n]
    m = unit(kv, words)
    nb = neighbours(m, np.arange(len(words)), top)
    return float(np.mean([[tags[words[j]] == tags[words[i]] for j in row] for i, row in enumerate(nb)]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="+")
    ap.add_argument("--words", type=int, default=200)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--tagged", default=None)
    a = ap.parse_args()
    kvs = [load(p) for p in a.sets]
    known = set(kvs[0].index_to_key)
    for kv in kvs[1:]:
        known &= set(kv.index_to_key)
    common = [w for w in kvs[0].index_to_key if w in known]
    probe = [w for w in common if re.fullmatch(r"[A-Za-z]+", w)][: a.words]
    pidx = np.array([common.index(w) for w in probe])
    mats = [unit(kv, common) for kv in kvs]
    tags = None
    if a.tagged:
        counts = collections.defaultdict(collections.Counter)
        for line in open(a.tagged, encoding="utf-8"):
            f = line.split()
            if len(f) == 2:
                counts[f[0]][re.sub(r"-(TL|HL|NC)$", "", f[1].split("+")[0])] += 1
        tags = {w: c.most_common(1)[0][0] for w, c in counts.items()}
    nb0 = neighbours(mats[0], pidx, a.top)
    tri = np.triu_indices(len(probe), 1)
    s0 = (mats[0][pidx] @ mats[0][pidx].T)[tri]
    for path, kv, m in zip(a.sets, kvs, mats):
        row = {"vectors": path, "vocabulary": len(kv.index_to_key), "common": len(common)}
        if m is not mats[0]:
            nb = neighbours(m, pidx, a.top)
            row["overlap"] = round(float(np.mean([len(set(x) & set(y)) / a.top for x, y in zip(nb0, nb)])), 4)
            row["spearman"] = round(float(spearmanr(s0, (m[pidx] @ m[pidx].T)[tri]).correlation), 4)
        if tags:
            row["pos@10"] = round(pos_score(kv, common, tags), 4)
        print(json.dumps(row))


if __name__ == "__main__":
    main()

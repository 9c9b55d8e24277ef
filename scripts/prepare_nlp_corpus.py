#!/usr/bin/env python3
"""Prepares a second English corpus for learning word vectors and for
benchmark B8 (bench/b8.sh): the npm package nlp-corpus (MIT licence; 100,000
sentences of mixed English: fiction, transcripts, speeches, reviews, SMS),
written as data/nlp_corpus.txt, one sentence per line, words and punctuation
separated by spaces (case kept, as in data/brown/text.txt):

    python3 scripts/prepare_nlp_corpus.py [--tgz nlp-corpus-4.4.0.tgz] [--out data]

Without --tgz it runs `npm pack nlp-corpus@4.4.0` in data/nlp-corpus/ once.
Prints the number of sentences and words.
"""
import argparse
import json
import os
import re
import subprocess
import tarfile

PACKAGE = "nlp-corpus@4.4.0"
TOKEN = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    ap.add_argument("--tgz", default=None)
    ap.add_argument("--out", default=os.path.join(root, "data"))
    args = ap.parse_args()
    cache = os.path.join(args.out, "nlp-corpus")
    os.makedirs(cache, exist_ok=True)
    tgz = args.tgz or os.path.join(cache, "nlp-corpus-4.4.0.tgz")
    if not os.path.exists(tgz):
        subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", cache], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    docs = {}
    with tarfile.open(tgz) as t:
        for m in t.getmembers():
            k = re.fullmatch(r"package/builds/doc-(\d+)\.json", m.name)
            if k:
                docs[int(k.group(1))] = json.load(t.extractfile(m))
    lines = words = 0
    with open(os.path.join(args.out, "nlp_corpus.txt"), "w", encoding="utf-8") as out:
        for k in sorted(docs):
            for s in docs[k]:
                toks = TOKEN.findall(s)
                if toks:
                    out.write(" ".join(toks) + "\n")
                    lines += 1
                    words += len(toks)
    print(f"nlp_corpus.txt: {len(docs)} files, {lines} sentences, {words} words")


if __name__ == "__main__":
    main()

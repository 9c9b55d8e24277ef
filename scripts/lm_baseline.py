#!/usr/bin/env python3
"""N-gram baselines for a word-level language model config (configs/wordlm_lstm.yaml):
the perplexity a unigram model and an interpolated Kneser-Ney bigram model reach on
the same split and vocabulary as dlc's `format: text` reader with `tokens: words`.

    python3 scripts/lm_baseline.py data/fortunes.txt [--dev 0.05 --test 0.05 --min-count 5 --lowercase]

Tokens are runs of non-white-space, ASCII letters lower-cased with --lowercase, each
line ending in <eos>; dev and test are the last fractions of the tokens in file order;
train words seen fewer than --min-count times become <unk>.  Prints the token counts
(compare them with dlc train's "text:" line) and each model's perplexity.
"""
import argparse
import collections
import math


def tokens(path, lowercase):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n")[:-1]:
            for w in line.split():
                out.append(w.translate(LOWER) if lowercase else w)
            out.append("<eos>")
    return out


LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--dev", type=float, default=0.05)
    ap.add_argument("--test", type=float, default=0.05)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--lowercase", action="store_true")
    ap.add_argument("--discount", type=float, default=0.75)
    a = ap.parse_args()
    toks = tokens(a.file, a.lowercase)
    n = len(toks)
    n_dev, n_test = int(n * a.dev), int(n * a.test)
    train = toks[: n - n_dev - n_test]
    dev = toks[n - n_dev - n_test : n - n_test]
    test = toks[n - n_test :]
    counts = collections.Counter(train)
    vocab = {w for w, c in counts.items() if c >= a.min_count} | {"<unk>", "<eos>"}
    unk = lambda ws: [w if w in vocab else "<unk>" for w in ws]
    train, dev, test = unk(train), unk(dev), unk(test)
    print(f"vocabulary of {len(vocab) + 1} tokens (with <pad>); "
          f"{len(train)} train, {len(dev)} dev, {len(test)} test tokens")

    uni = collections.Counter(train)
    total = len(train)
    big = collections.Counter(zip(train, train[1:]))
    follow = collections.Counter()       # bigram tokens starting with h
    types_after = collections.Counter()  # distinct words after h
    before = collections.Counter()       # distinct words before w
    for (h, w), c in big.items():
        follow[h] += c
        types_after[h] += 1
        before[w] += 1
    n_types = len(big)
    d = a.discount

    def p_uni(w):
        return uni[w] / total

    def p_kn(h, w):
        cont = before[w] / n_types or 1.0 / len(vocab)
        if follow[h] == 0:
            return cont
        return max(big[(h, w)] - d, 0) / follow[h] + d * types_after[h] / follow[h] * cont

    for name, split in (("dev", dev), ("test", test)):
        lu = -sum(math.log(p_uni(w)) for w in split) / len(split)
        prev = train[-1] if name == "dev" else dev[-1]
        lb = 0.0
        for w in split:
            lb -= math.log(p_kn(prev, w))
            prev = w
        lb /= len(split)
        print(f"{name}: unigram perplexity {math.exp(lu):.1f}, "
              f"Kneser-Ney bigram perplexity {math.exp(lb):.1f}")


if __name__ == "__main__":
    main()

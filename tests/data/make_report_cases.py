#!/usr/bin/python3
"""Writes small CSV data sets whose right figures are known or checkable,
for tests/cli/report_check.bats (scripts/check_report.py checks dlc's
figures on them against scikit-learn):

  mc_{train,dev,test}.csv  4 classes, imbalanced (70/20/8/2 %), overlapping
  absent_dev.csv           the same classes, dev holding 2 of the 4
  one_test.csv             a test file of one row
  disc_{train,dev}.csv     binary labels on two discrete features: 6 distinct
                           inputs, so scores tie (ROC AUC with ties)
  reg_{train,dev}.csv      two regression targets (reg_one.csv: a file of one row)
  miss_dev.csv             mc_dev.csv with a missing value on every 7th row
                           (data.missing: drop leaves those rows out)
  web.csv, phone.csv       two sources for data.sources
  noise_{train,dev}.csv    separable data with 20% of labels flipped: Bayes
                           error 0.2
  ml_{train,dev}.csv       three 0/1 tasks (multi-label), 10% of rows with one
                           label unknown (an empty cell)
  heads_{train,dev}.csv    a class (kind: a, b, c) and two numeric targets (t0,
                           t1; 10% of t1 unknown) for a model of two outputs
  txt.csv                  600 short texts (text, label p or n) for a text
                           classifier: a positive or negative word among fillers

Usage: /usr/bin/python3 tests/data/make_report_cases.py OUT_DIR  (numpy only)."""
import os
import sys

import numpy as np


def write(path, X, y, names=None, label="label"):
    with open(path, "w") as f:
        cols = [f"x{i}" for i in range(X.shape[1])]
        cols += [label] if y.ndim == 1 else [f"{label}{j}" for j in range(y.shape[1])]
        f.write(",".join(cols) + "\n")
        for x, t in zip(X, y):
            if y.ndim == 1:
                tt = [str(names[t]) if names is not None else str(t)]
            else:
                tt = [f"{v:.5f}" for v in t]
            f.write(",".join(f"{v:.5f}" for v in x) + "," + ",".join(tt) + "\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1)
    names = ["cat", "dog", "emu", "yak"]
    centres = np.array([[0, 0], [1.5, 0], [0, 1.5], [1.5, 1.5]])

    def mc(n, p=(0.7, 0.2, 0.08, 0.02)):
        y = rng.choice(4, size=n, p=p)
        return centres[y] + rng.normal(scale=0.8, size=(n, 2)), y

    for f, n in (("mc_train.csv", 400), ("mc_dev.csv", 200), ("mc_test.csv", 200)):
        write(os.path.join(out, f), *mc(n), names)
    write(os.path.join(out, "absent_dev.csv"), *mc(150, (0.6, 0.4, 0, 0)), names)
    write(os.path.join(out, "one_test.csv"), *mc(1), names)

    def disc(n):
        a = rng.integers(0, 2, size=n)
        b = rng.integers(0, 3, size=n)
        y = (rng.random(n) < 0.2 + 0.3 * a + 0.15 * b).astype(int)
        return np.stack([a, b], 1).astype(float), y

    for f, n in (("disc_train.csv", 300), ("disc_dev.csv", 200)):
        write(os.path.join(out, f), *disc(n), ["neg", "pos"])

    def reg(n):
        X = rng.normal(size=(n, 3))
        Y = np.stack([X @ [1, 2, -1] + rng.normal(scale=0.5, size=n),
                      3 * X[:, 0] ** 2 + rng.normal(size=n)], 1)
        return X, Y

    for f, n in (("reg_train.csv", 300), ("reg_dev.csv", 100), ("reg_one.csv", 1)):
        write(os.path.join(out, f), *reg(n), label="t")

    with open(os.path.join(out, "mc_dev.csv")) as f:
        lines = f.read().splitlines()
    with open(os.path.join(out, "miss_dev.csv"), "w") as f:
        for i, line in enumerate(lines):
            if i > 0 and i % 7 == 0:
                line = "," + line.split(",", 1)[1]
            f.write(line + "\n")

    def dom(n, stretch, shift, cut):
        X = rng.normal(size=(n, 2))
        X[:, 1] *= stretch
        X[:, 0] += shift
        y = (X[:, 0] - X[:, 1] + 0.8 * np.sin(2 * X[:, 0]) > cut).astype(int)
        return X, y

    write(os.path.join(out, "web.csv"), *dom(1500, 1.0, 0.0, 0.0), ["a", "b"])
    write(os.path.join(out, "phone.csv"), *dom(900, 2.5, 1.0, 0.5), ["a", "b"])

    def noisy(n):
        X = rng.normal(size=(n, 2))
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
        flip = rng.random(n) < 0.2
        y[flip] = 1 - y[flip]
        return X, y

    for f, n in (("noise_train.csv", 2000), ("noise_dev.csv", 1000)):
        write(os.path.join(out, f), *noisy(n), ["a", "b"])

    for f, n in (("ml_train.csv", 400), ("ml_dev.csv", 200)):
        X = rng.normal(size=(n, 3))
        Y = np.stack([X[:, 0] + rng.normal(scale=0.7, size=n) > 0,
                      X[:, 1] - X[:, 2] + rng.normal(scale=0.7, size=n) > 0.5,
                      X[:, 2] > 1.0], 1).astype(int)
        with open(os.path.join(out, f), "w") as o:
            o.write("x0,x1,x2,a,b,c\n")
            for x, y in zip(X, Y):
                ys = [str(v) for v in y]
                if rng.random() < 0.1:
                    ys[rng.integers(0, 3)] = ""
                o.write(",".join(f"{v:.4f}" for v in x) + "," + ",".join(ys) + "\n")

    for f, n in (("heads_train.csv", 400), ("heads_dev.csv", 150)):
        X = rng.normal(size=(n, 3))
        z = X[:, :2] @ np.array([[1, 0, -1], [0, 1, -1]]) + rng.normal(scale=0.5, size=(n, 3))
        c = np.argmax(z, 1)
        t0 = 2 * X[:, 0] + rng.normal(scale=0.3, size=n)
        t1 = X[:, 2] ** 2
        with open(os.path.join(out, f), "w") as o:
            o.write("x0,x1,x2,kind,t0,t1\n")
            for i in range(n):
                cell = "" if rng.random() < 0.1 else f"{t1[i]:.4f}"
                o.write(f"{X[i, 0]:.4f},{X[i, 1]:.4f},{X[i, 2]:.4f},{'abc'[c[i]]},{t0[i]:.4f},{cell}\n")

    pos, neg = ["good", "great", "fine", "nice", "happy"], ["bad", "awful", "sad", "poor", "ugly"]
    filler = ["the", "a", "day", "film", "was", "very", "it"]
    with open(os.path.join(out, "txt.csv"), "w") as f:
        f.write("text,label\n")
        for _ in range(600):
            y = rng.random() < 0.5
            words = [filler[rng.integers(0, len(filler))] for _ in range(5)]
            words.append((pos if y else neg)[rng.integers(0, 5)])
            if rng.random() < 0.2:
                words.append((neg if y else pos)[rng.integers(0, 5)])
            rng.shuffle(words)
            f.write(" ".join(words) + "," + ("p" if y else "n") + "\n")


if __name__ == "__main__":
    main()

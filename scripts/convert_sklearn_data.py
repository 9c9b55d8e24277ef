#!/usr/bin/env python3
"""One-off: writes data/iris.csv, data/breast_cancer.csv and data/digits.csv
from the copies bundled with scikit-learn (Debian: python3-sklearn), with a
real header row.

scikit-learn's files start with a line "n_samples,n_features,class names..."
and end each row with the class id.  We keep every feature value exactly as
written there (the text is copied, not re-printed) and replace the class id
with its name.  The product never needs Python; this is kept to show how the
files were made.

    /usr/bin/python3 scripts/convert_sklearn_data.py [OUT_DIR]   (default: data)
"""
import csv
import gzip
import os
import sys

import sklearn.datasets
from sklearn.datasets import load_breast_cancer

SRC = os.path.join(os.path.dirname(sklearn.datasets.__file__), "data")

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def snake(name):
    return name.strip().lower().replace(" ", "_")


def convert(src, dst, features, label):
    with open(src, newline="") as f:
        rows = list(csv.reader(f))
    n, d = int(rows[0][0]), int(rows[0][1])
    classes = rows[0][2:]
    body = [r for r in rows[1:] if r]
    if len(body) != n or d != len(features):
        sys.exit(f"{src}: expected {n} rows of {d} features, found {len(body)} rows; "
                 f"have {len(features)} feature names")
    with open(dst, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(features + [label])
        for r in body:
            if len(r) != d + 1:
                sys.exit(f"{src}: a row with {len(r)} fields")
            w.writerow(r[:d] + [classes[int(r[d])]])
    print(f"{dst}: {n} rows, {d} features, classes {classes}")


def convert_digits(src, dst):
    """digits.csv.gz: 1797 rows of 64 pixel counts (0..16, an 8x8 image read
    row by row) and the digit; no header line.  Columns px_ROW_COL, digit."""
    with gzip.open(src, "rt", newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    features = [f"px_{r}_{c}" for r in range(8) for c in range(8)]
    with open(dst, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(features + ["digit"])
        for r in rows:
            if len(r) != 65:
                sys.exit(f"{src}: a row with {len(r)} fields")
            w.writerow(r)
    print(f"{dst}: {len(rows)} rows, 64 features, digits 0-9")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "data"
    os.makedirs(out, exist_ok=True)
    convert(os.path.join(SRC, "iris.csv"), os.path.join(out, "iris.csv"), IRIS_FEATURES,
            "species")
    # "mean radius" -> "mean_radius"; target 0 = malignant, 1 = benign (the
    # order of the class names in scikit-learn's first line)
    bc = [snake(x) for x in load_breast_cancer().feature_names]
    convert(os.path.join(SRC, "breast_cancer.csv"), os.path.join(out, "breast_cancer.csv"), bc,
            "diagnosis")
    convert_digits(os.path.join(SRC, "digits.csv.gz"), os.path.join(out, "digits.csv"))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes scikit-learn's classification figures for dlc's report tests
(tests/data/ref/metrics_*.ref): per-class precision, recall and F1, macro and
weighted averages and accuracy, with scikit-learn's defaults (labels: those of
y_true and y_pred; zero_division 0), on predictions where some classes of the
model occur in neither (as <pad> and <unk> in a character model).

Run with Debian's python3-sklearn: /usr/bin/python3 tests/data/make_metrics_reference.py
The product never needs Python; the .ref files are committed.  Format: as
make_reference.py (b"DLCREF1\\n", count, then name, dims, float32 data).
"""
import os
import sys

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ref_numpy import write  # noqa: E402


def case(name, K, y_true, y_pred):
    labels = sorted(set(y_true) | set(y_pred))
    arrays = {"K": [K], "y_true": y_true, "y_pred": y_pred}
    for avg in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=avg, zero_division=0)
        arrays[avg] = [p, r, f]
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=list(range(K)),
                                                 average=None, zero_division=0)
    arrays["per_class"] = np.stack([p, r, f, s]).T
    arrays["accuracy"] = [accuracy_score(y_true, y_pred)]
    arrays["labels"] = labels
    write(name, arrays)


rng = np.random.default_rng(7)
# 8 classes; 0 and 1 never occur nor are predicted (<pad>, <unk>), 7 is only
# predicted, 6 only occurs
y = rng.integers(2, 7, size=200)
p = np.where(rng.random(200) < 0.7, y, rng.integers(2, 8, size=200))
p[p == 6] = 5
case("metrics_absent", 8, y.tolist(), p.tolist())
# every class present: the plain macro average
y = rng.integers(0, 4, size=100)
p = np.where(rng.random(100) < 0.6, y, rng.integers(0, 4, size=100))
case("metrics_all", 4, y.tolist(), p.tolist())

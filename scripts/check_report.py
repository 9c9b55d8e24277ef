#!/usr/bin/python3
"""Checks every figure a dlc run folder holds against an independent
computation: scikit-learn and numpy on the predictions `dlc predict --json`
gives for the same rows.

    /usr/bin/python3 scripts/check_report.py RUN [--dlc ./dlc] [--quiet]

For a run on CSV files whose splits are files of their own (data.dev.file,
data.test.file; the train file when nothing is carved from it), it compares:

- report.json `splits.*` and `metrics.*` (accuracy, error, loss as log loss or
  mean squared error, per-class support / predicted / correct / precision /
  recall / F1, macro and weighted averages, the confusion matrix, ROC AUC;
  regression mse, mae, r2, mean_mse, mse_se) with sklearn.metrics;
- confusion.csv with report.json's matrices;
- `dlc eval RUN --split S --json` with report.json, per split;
- the diagnosis: its errors are the splits', its gaps their differences, its
  noise the formula README gives, its largest gap the largest beyond noise;
- errors/errors.csv: every row a misclassified dev row with the right id
  (0-based data row), true and predicted class and confidence; all of them
  when the sample is not smaller than the errors; the largest errors for
  regression;
- metrics.csv: the kept epoch's dev loss and accuracy (the best dev epoch
  with train.keep_best, else the last) are the report's dev figures.

Splits carved from a file (data.split) are checked for consistency only
(report.json against eval and the diagnosis): their rows are not known.
Prints one line per failed check and exits 1 when any failed, 0 otherwise.
Needs Debian's python3-sklearn and python3-yaml."""
import argparse
import csv
import json
import math
import os
import subprocess
import sys

import numpy as np
import yaml
from sklearn import metrics as skm

SPLITS = ["train", "train_dev", "dev", "test"]


class Checker:
    def __init__(self, quiet):
        self.failed = 0
        self.passed = 0
        self.quiet = quiet

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what)

    def close(self, got, want, what, tol=1e-6, rel=0.0):
        """got (dlc's) against want (the reference); None and NaN are null."""
        gn = got is None or (isinstance(got, float) and math.isnan(got))
        wn = want is None or (isinstance(want, float) and math.isnan(want))
        if gn or wn:
            self.ok(gn and wn, f"{what}: dlc {got}, reference {want}")
            return
        self.ok(abs(got - want) <= tol + rel * abs(want), f"{what}: dlc {got}, reference {want}")

    def note(self, msg):
        if not self.quiet:
            print(msg)


def run_json(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def read_rows(path):
    """The data rows of a CSV/TSV file as dicts (header names)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        text = f.read()
    first = text.split("\n", 1)[0]
    tsv = path.endswith((".tsv", ".tab")) or ("\t" in first and "," not in first)
    return list(csv.DictReader(text.splitlines(True), delimiter="\t" if tsv else ","))


def class_of(label, classes):
    """The class id of a label cell, as dlc reads it: by name, numbers by value."""
    label = label.strip()
    if label in classes:
        return classes.index(label)
    try:
        v = float(label)
    except ValueError:
        return None
    for k, c in enumerate(classes):
        try:
            if float(c) == v:
                return k
        except ValueError:
            pass
    return None


def split_files(cfg):
    """{split: file} of the splits whose rows are a whole file."""
    data = cfg["data"]
    if data.get("format") != "csv" or data.get("sources"):
        return {}
    sp = data.get("split") or {}
    carved = any(float(sp.get(k, 0) or 0) > 0 for k in ("dev", "test", "train_dev"))
    files = {}
    if not carved and not data["train"].get("limit"):
        files["train"] = data["train"]["file"]
    for s in ("dev", "test"):
        d = data.get(s) or {}
        if d.get("file") and not d.get("limit"):
            files[s] = d["file"]
    return files


MISSING = {"", "nan", "-nan", "na", "n/a", "#n/a", "#na", "null", "none", "<na>", "-1.#ind",
           "1.#ind", "-1.#qnan", "1.#qnan", "?"}


def features_of(cfg, rows):
    labels = cfg["data"]["label"]
    labels = [labels] if isinstance(labels, str) else labels
    feats = cfg["data"].get("features") or []
    if feats:
        return feats
    return [c for c in (rows[0].keys() if rows else []) if c not in labels and c != "Unnamed: 0"]


def kept_rows(cfg, rows):
    """The data rows dlc keeps (indices into rows): with data.missing: drop,
    not those with a missing feature value."""
    if cfg["data"].get("missing") != "drop":
        return list(range(len(rows)))
    feats = features_of(cfg, rows)
    return [i for i, r in enumerate(rows) if not any(r[c].strip().lower() in MISSING for c in feats)]


def predictions(dlc, run, path, K, cfg=None, rows=None):
    """dlc predict --json on every row of path dlc keeps; a list as long as
    the file's rows, None for a row left out."""
    kept = kept_rows(cfg, rows) if cfg is not None and rows is not None else None
    given = path
    if kept is not None and len(kept) < len(rows):
        import tempfile
        fd, given = tempfile.mkstemp(suffix=".csv")
        with os.fdopen(fd, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            for i in kept:
                w.writerow(rows[i])
    try:
        out = run_json([dlc, "predict", run, given, "--json", "--top-k", str(max(K, 1)), "--quiet"])
    finally:
        if given != path:
            os.unlink(given)
    preds = out["predictions"]
    if kept is None:
        return preds
    full = [None] * len(rows)
    for i, p in zip(kept, preds):
        full[i] = p
    return full


def log_loss(y, P, K, eps):
    """Mean cross-entropy; with label smoothing eps the smoothed one dlc trains
    and reports: (1 - eps)(-log p_y) + eps mean_j(-log p_j)."""
    P = np.clip(P, 1e-15, 1)
    P = P / P.sum(axis=1, keepdims=True)
    plain = skm.log_loss(y, P, labels=list(range(K)))
    if not eps:
        return plain
    return (1 - eps) * plain + eps * float((-np.log(P)).mean(axis=1).mean())


def logits_of(dlc, run, cfg, rows):
    """The output layer's values for every row dlc keeps (None for the
    others), from `dlc predict --values --logits` on the raw feature values:
    a loss from them is exact where printed probabilities round to 0 or 1.
    None when the features are not plain numbers (categorical, filled)."""
    data = cfg["data"]
    if data.get("categorical") or data.get("missing") == "mean" or not rows:
        return None
    feats = features_of(cfg, rows)
    kept = kept_rows(cfg, rows)
    import tempfile
    fd, path = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "w") as f:
        for i in kept:
            f.write(" ".join(rows[i][c].strip() for c in feats) + "\n")
    try:
        p = subprocess.run([dlc, "predict", run, "--values", path, "--logits", "--quiet"],
                           capture_output=True, text=True)
    finally:
        os.unlink(path)
    if p.returncode != 0:
        return None
    Z = np.array([[float(v) for v in line.split()] for line in p.stdout.splitlines() if line.strip()])
    if len(Z) != len(kept):
        return None
    full = [None] * len(rows)
    for i, z in zip(kept, Z):
        full[i] = z
    return full


def check_classes(ck, rep, split, preds, rows, labels, task, smoothing, logits=None):
    """Classification and binary figures of one split against sklearn."""
    classes = rep["classes"]
    K = len(classes)
    y, P, line_ids = [], [], []
    for i, (p, r) in enumerate(zip(preds, rows)):
        if p is None:
            continue  # a row dlc leaves out (data.missing: drop)
        cell = r[labels[0]]
        k = class_of(cell, classes)
        if k is None:
            continue  # an unknown label: left out of every figure
        prob = [0.0] * K
        for t in p["top"]:
            prob[t["id"]] = t["probability"]
        y.append(k)
        P.append(prob)
        line_ids.append(i)
    y = np.array(y)
    P = np.array(P, dtype=np.float64)
    # dlc's argmax: the first of equal logits; probabilities printed with 9
    # digits tie as the logits do
    pred = P.argmax(axis=1)
    m = rep["metrics"][split]
    name = f"{split}"
    n_kept = sum(p is not None for p in preds)
    ck.ok(m["examples"] == n_kept, f"{name}: examples {m['examples']}, file rows kept {n_kept}")
    ck.close(m["accuracy"], skm.accuracy_score(y, pred), f"{name} accuracy")
    ck.close(m["error"], 1 - skm.accuracy_score(y, pred), f"{name} error")
    ck.close(rep["splits"][split]["accuracy"], m["accuracy"], f"{name} splits.accuracy = metrics.accuracy", 1e-9)
    Z = None
    if logits is not None:
        Z = np.array([logits[i] for i in line_ids], dtype=np.float64)
    if Z is not None and Z.ndim == 2 and Z.shape[1] == K:
        # cross-entropy from the logits, in the log-sum-exp form
        top = Z.max(axis=1, keepdims=True)
        logp = Z - top - np.log(np.exp(Z - top).sum(axis=1, keepdims=True))
        ce = -logp[np.arange(len(y)), y]
        loss = float(((1 - smoothing) * ce + smoothing * (-logp).mean(axis=1)).mean())
        ck.close(m["loss"], loss, f"{name} loss (cross-entropy of the logits)", 1e-5, 1e-5)
    elif Z is not None and Z.ndim == 2 and Z.shape[1] == 1 and K == 2:
        z = Z[:, 0]
        bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        ck.close(m["loss"], float(bce.mean()), f"{name} loss (BCE of the logits)", 1e-5, 1e-5)
    else:
        ck.close(m["loss"], log_loss(y, P, K, smoothing), f"{name} loss (log loss)", 1e-5, 1e-5)
    labels_present = sorted(set(y.tolist()) | set(pred.tolist()))
    cm = skm.confusion_matrix(y, pred, labels=list(range(K)))
    if m.get("confusion") is not None:
        ck.ok(np.array_equal(np.array(m["confusion"]), cm), f"{name} confusion matrix:\n dlc {m['confusion']}\n ref {cm.tolist()}")
    pr, rc, f1, sup = skm.precision_recall_fscore_support(
        y, pred, labels=list(range(K)), zero_division=0)
    for k, c in enumerate(m["per_class"]):
        ck.ok(c["class"] == classes[k], f"{name} per_class[{k}] is {c['class']}, not {classes[k]}")
        ck.ok(c["support"] == sup[k], f"{name} {classes[k]} support {c['support']} != {sup[k]}")
        ck.ok(c["predicted"] == int((pred == k).sum()), f"{name} {classes[k]} predicted {c['predicted']}")
        ck.ok(c["correct"] == int(((pred == k) & (y == k)).sum()), f"{name} {classes[k]} correct {c['correct']}")
        ck.close(c["precision"], pr[k], f"{name} {classes[k]} precision")
        ck.close(c["recall"], rc[k], f"{name} {classes[k]} recall")
        ck.close(c["f1"], f1[k], f"{name} {classes[k]} f1")
    for avg in ("macro", "weighted"):
        a = skm.precision_recall_fscore_support(y, pred, labels=labels_present, average=avg,
                                                zero_division=0)
        for j, key in enumerate(("precision", "recall", "f1")):
            ck.close(m[avg][key], a[j], f"{name} {avg} {key}")
    if K == 2:
        auc, slack = None, 0.0
        if len(set(y.tolist())) == 2:
            # The same input can score a few float32 ulps apart from one batch
            # position to another (the matrix product's tail rows), so scores
            # that tie are not always equal: take scores equal to 6 digits as
            # ties, and allow what ordering those pairs either way can change
            s = np.array([float(f"{v:.6g}") for v in P[:, 1]])
            auc = skm.roc_auc_score(y, s)
            npos, nneg = (y == 1).sum(), (y == 0).sum()
            for v in set(s.tolist()):
                at = s == v
                slack += 0.5 * (y[at] == 1).sum() * (y[at] == 0).sum() / (npos * nneg)
        ck.close(m["auc"], auc, f"{name} ROC AUC", 1e-6 + slack)
    return {"y": y, "pred": pred, "conf": P[np.arange(len(y)), pred], "rows": line_ids, "P": P}


def check_regression(ck, rep, split, preds, rows, labels):
    Y, O, ids = [], [], []
    for i, (p, r) in enumerate(zip(preds, rows)):
        if p is None:
            continue
        vals = [v["value"] if isinstance(v, dict) else v for v in p["values"]]
        t = []
        for c in labels:
            cell = r[c].strip()
            try:
                t.append(float(cell))
            except ValueError:
                t.append(math.nan)
        Y.append(t)
        O.append(vals)
        ids.append(i)
    Y = np.array(Y, dtype=np.float64)
    O = np.array(O, dtype=np.float64)
    m = rep["metrics"][split]
    known = ~np.isnan(Y)
    err = (O - np.nan_to_num(Y)) * known
    n = known.sum()
    mse = (err ** 2).sum() / n
    mae = np.abs(err).sum() / n
    ck.ok(m["examples"] == len(preds), f"{split}: examples {m['examples']}, file rows {len(preds)}")
    ck.close(m["mse"], mse, f"{split} mse", 1e-6, 1e-5)
    ck.close(m["mae"], mae, f"{split} mae", 1e-6, 1e-5)
    if known.all():
        ck.close(mse, skm.mean_squared_error(Y, O), f"{split} mse (sklearn)", 1e-9, 1e-9)
        sst = ((Y - Y.mean(axis=0)) ** 2).sum()
        r2 = skm.r2_score(Y, O, multioutput="variance_weighted") if sst > 0 else None
        ck.close(m["r2"], r2, f"{split} r2", 1e-5, 1e-5)
        ck.close(m["mean_mse"], sst / n, f"{split} mean_mse", 1e-6, 1e-5)
    s = (err ** 2).sum(axis=1)
    c = known.sum(axis=1)
    keep = c > 0
    s, c = s[keep], c[keep]
    if len(s) >= 2:
        se = math.sqrt(((s - mse * c) ** 2).sum() * len(s) / (len(s) - 1)) / c.sum()
    else:
        se = None
    ck.close(m.get("mse_se"), se, f"{split} mse_se", 1e-6, 1e-4)
    if split == "dev" or split == "test":
        pass
    # an example's error in errors.csv: its mean absolute error over its known targets
    cnt = known.sum(axis=1)
    mean_abs = np.where(cnt > 0, np.abs(err).sum(axis=1) / np.maximum(cnt, 1), np.nan)
    return {"abs": mean_abs, "O": O, "Y": Y}


def check_multilabel(ck, rep, split, preds, rows, labels):
    """Multi-label sigmoid outputs: per task against sklearn, unknown labels
    (empty cells, data.unknown_label) left out; the loss is the binary
    cross-entropy summed over an example's known tasks, averaged over the
    examples with one known at least."""
    unknown = set(rep.get("unknown_label") or ["", "?"])
    P, Y = [], []
    for p, r in zip(preds, rows):
        if p is None:
            continue
        P.append([t["probability"] for t in p["tasks"]])
        Y.append([math.nan if r[c].strip() in unknown else float(r[c]) for c in labels])
    P, Y = np.array(P, dtype=np.float64), np.array(Y, dtype=np.float64)
    m = rep["metrics"][split]
    known = ~np.isnan(Y)
    Pc = np.clip(P, 1e-15, 1 - 1e-15)
    bce = -(np.nan_to_num(Y) * np.log(Pc) + (1 - np.nan_to_num(Y)) * np.log(1 - Pc)) * known
    ck.close(m["loss"], bce.sum() / known.any(axis=1).sum(), f"{split} loss (BCE)", 1e-5, 1e-5)
    pred = (P > 0.5).astype(int)
    right = ((pred == Y) & known).sum()
    ck.close(m["accuracy"], right / known.sum(), f"{split} accuracy over known labels")
    for k, t in enumerate(m["tasks"]):
        kn = known[:, k]
        y, pr, s = Y[kn, k].astype(int), pred[kn, k], P[kn, k]
        name = f"{split} task {t['task']}"
        ck.ok(t["known"] == int(kn.sum()), f"{name} known {t['known']} != {int(kn.sum())}")
        ck.ok(t["positives"] == int(y.sum()), f"{name} positives {t['positives']}")
        ck.ok(t["predicted"] == int(pr.sum()), f"{name} predicted {t['predicted']}")
        ck.close(t["accuracy"], skm.accuracy_score(y, pr), f"{name} accuracy")
        pr_, rc_, f1_, _ = skm.precision_recall_fscore_support(y, pr, average="binary", zero_division=0)
        ck.close(t["precision"], pr_, f"{name} precision")
        ck.close(t["recall"], rc_, f"{name} recall")
        ck.close(t["f1"], f1_, f"{name} f1")
        auc = skm.roc_auc_score(y, s) if 0 < y.sum() < len(y) else None
        ck.close(t["auc"], auc, f"{name} auc", 1e-6)
    return {}


def check_confusion_csv(ck, run, rep):
    path = os.path.join(run, "confusion.csv")
    if not os.path.exists(path):
        return
    classes = rep["classes"]
    cells = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            cells[(r["split"], r["true"], r["predicted"])] = int(r["count"])
    for split, m in rep.get("metrics", {}).items():
        if not m or m.get("confusion") is None:
            continue
        for i, row in enumerate(m["confusion"]):
            for j, v in enumerate(row):
                got = cells.get((split, classes[i], classes[j]), 0)
                ck.ok(got == v, f"confusion.csv {split} {classes[i]}->{classes[j]}: {got}, report.json {v}")


def rate_var(err, n):
    if n <= 0 or err is None:
        return 0.0
    p = (err * n + 1) / (n + 2)
    return p * (1 - p) / n


def gap_noise(var, vs):
    """Two standard errors of each gap's difference, from each split's
    variance var (0 for an absent split; human-level exact)."""
    return {
        "avoidable_bias": 2 * math.sqrt(var["train"]),
        "variance": 2 * math.sqrt(var[vs] + var["train"]),
        "data_mismatch": 2 * math.sqrt(var["dev"] + var["train_dev"]),
        "dev_overfitting": 2 * math.sqrt(var["test"] + var["dev"]),
    }


def check_diagnosis(ck, rep):
    d = rep.get("diagnosis")
    if not d:
        return
    sp = rep["splits"]
    measure = d["error_measure"]
    errs = {}
    for s in SPLITS:
        if s in sp and sp[s]["examples"] > 0:
            if measure == "error":
                errs[s] = sp[s]["error"]
            elif measure == "mse":
                errs[s] = rep["metrics"][s]["mse"]
            else:
                errs[s] = d["errors"][s]
        else:
            errs[s] = None
        ck.close(d["errors"][s], errs[s], f"diagnosis.errors.{s} against splits.{s}", 1e-9)
    h = d["human_level_error"]
    hu = h if h is not None else 0.0
    # regression without a human-level MSE uses none: avoidable bias is unknown
    ck.close(d["human_level_used"], None if measure == "mse" and h is None else hu,
             "diagnosis.human_level_used")
    vs = "train_dev" if errs["train_dev"] is not None else ("dev" if errs["dev"] is not None or errs["test"] is None else "test")
    ck.ok(d["variance_vs"] == vs, f"diagnosis.variance_vs {d['variance_vs']}, expected {vs}")

    def sub(a, b):
        return None if a is None or b is None else a - b
    gaps = {
        "avoidable_bias": sub(errs["train"], hu),
        "variance": sub(errs[vs], errs["train"]),
        "data_mismatch": sub(errs["dev"], errs["train_dev"]),
        "dev_overfitting": sub(errs["test"], errs["dev"]),
    }
    if measure == "mse" and h is None:
        gaps["avoidable_bias"] = None  # unknown without a human-level MSE
    for g, v in gaps.items():
        ck.close(d["gaps"][g], v, f"diagnosis.gaps.{g}", 1e-8, 1e-7)
    if measure == "mse":
        # each split's MSE has its standard error over examples (mse_se); a
        # gap's noise is two standard errors of the difference
        se = {s: ((rep["metrics"].get(s) or {}).get("mse_se") if s in sp else 0.0) for s in SPLITS}
        noise = gap_noise({s: (math.nan if se[s] is None else se[s] ** 2) for s in SPLITS}, vs)
        for g in gaps:
            want = noise[g] if gaps[g] is not None and not math.isnan(noise[g]) else None
            if g == "avoidable_bias" and h is None:
                continue  # no gap to judge
            ck.close(d["noise"][g], want, f"diagnosis.noise.{g} (regression)", 1e-8, 1e-6)
        # a gap over a split of one example (noise unknown) is never beyond its noise
        positive = [g for g in gaps if gaps[g] is not None and gaps[g] > 0]
        beyond = [g for g in positive if not math.isnan(noise[g]) and gaps[g] > noise[g]]
        if not d.get("no_better_than_mean"):
            largest = max(beyond, key=lambda g: gaps[g]) if beyond else None
            wn = max(positive, key=lambda g: gaps[g]) if positive and not beyond else None
            ck.ok(d["largest"] == largest, f"diagnosis.largest {d['largest']}, expected {largest}")
            ck.ok(d["within_noise"] == wn, f"diagnosis.within_noise {d['within_noise']}, expected {wn}")
        return
    if measure != "error":
        return

    def counted(s):
        """the predictions a split's error counts: its known labels (classes'
        support); a multi-label split's, the most known labels of one task
        (its tasks share examples, so examples are the draws)"""
        m = (rep.get("metrics") or {}).get(s) or {}
        if m.get("tasks"):
            return max(t["known"] for t in m["tasks"])
        if m.get("per_class"):
            return sum(c["support"] for c in m["per_class"])
        return sp[s]["examples"]
    n = {s: (counted(s) if s in sp else 0) for s in SPLITS}
    noise = gap_noise({s: rate_var(errs[s], n[s]) for s in SPLITS}, vs)
    for g in gaps:
        ck.close(d["noise"][g], noise[g] if gaps[g] is not None else None, f"diagnosis.noise.{g}", 1e-8)
    beyond = [g for g in gaps if gaps[g] is not None and gaps[g] > 0 and gaps[g] > noise[g]]
    within = [g for g in gaps if gaps[g] is not None and gaps[g] > 0 and gaps[g] <= noise[g]]
    largest = max(beyond, key=lambda g: gaps[g]) if beyond else None
    wn = max(within, key=lambda g: gaps[g]) if (within and not beyond) else None
    if d.get("no_better_than_majority"):
        ck.ok(errs["train"] >= d["train_majority_error"] - 1e-9,
              f"no_better_than_majority with train error {errs['train']} < {d['train_majority_error']}")
        largest, wn = "avoidable_bias", None
    ck.ok(d["largest"] == largest, f"diagnosis.largest {d['largest']}, expected {largest} (gaps {gaps}, noise {noise})")
    ck.ok(d["within_noise"] == wn, f"diagnosis.within_noise {d['within_noise']}, expected {wn}")


def check_eval(ck, dlc, run, rep):
    for s in SPLITS:
        if s not in rep["splits"] or rep["splits"][s]["examples"] == 0:
            continue
        e = run_json([dlc, "eval", run, "--split", s, "--json"])
        r = rep["splits"][s]
        m = rep["metrics"].get(s) or {}
        ck.ok(e["examples"] == r["examples"], f"eval {s} examples {e['examples']} != {r['examples']}")
        for k in ("loss", "accuracy", "error"):
            ck.close(e[k], r[k], f"eval --json {s} {k} against report.json", 1e-8, 1e-7)
        if "macro" in m:
            ck.close(e["f1_macro"], m["macro"]["f1"], f"eval --json {s} f1_macro", 1e-8)
        for k in ("auc", "mse", "mae", "r2"):
            if k in m:
                ck.close(e[k], m[k], f"eval --json {s} {k}", 1e-8, 1e-7)
        d = rep.get("diagnosis") or {}
        ck.ok(e.get("largest_gap") == d.get("largest"), f"eval --json {s} largest_gap {e.get('largest_gap')} != {d.get('largest')}")


def check_metrics_csv(ck, run, rep, cfg):
    path = os.path.join(run, "metrics.csv")
    if not os.path.exists(path) or "dev" not in rep["splits"]:
        return
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "dev_loss" not in rows[0]:
        return
    keep_best = cfg["train"].get("keep_best", True)
    best = rep.get("best_epoch") or 0
    if keep_best and best > 0:
        row = next((r for r in rows if int(r["epoch"]) == best), None)
        ck.ok(row is not None, f"metrics.csv has no row for best_epoch {best}")
        # the best epoch is the lowest dev loss (early_stopping's metric when set)
        es = (cfg["train"].get("early_stopping") or {}).get("metric", "dev_loss")
        col = {"dev_loss": "dev_loss", "dev_accuracy": "dev_accuracy"}.get(es)
        if col:
            vals = [float(r[col]) for r in rows]
            want = vals.index(min(vals) if col == "dev_loss" else max(vals)) + 1
            ck.ok(best == want, f"best_epoch {best}, metrics.csv's best {col} is epoch {want}")
    else:
        row = rows[-1]
    if row is None:
        return
    dev = rep["splits"]["dev"]
    ck.close(dev["loss"], float(row["dev_loss"]), f"report dev loss vs metrics.csv epoch {row['epoch']}", 2e-6, 1e-5)
    if row["dev_accuracy"] != "" or dev["accuracy"] is not None:
        ck.close(dev["accuracy"], float(row["dev_accuracy"] or "nan"), f"report dev accuracy vs metrics.csv epoch {row['epoch']}", 2e-6)


def check_errors(ck, run, rep, dev):
    ea = rep.get("error_analysis")
    path = os.path.join(run, "errors", "errors.csv")
    if not ea or not os.path.exists(path) or dev is None:
        return
    with open(path, newline="") as f:
        sheet = list(csv.DictReader(f))
    classes = rep["classes"]
    ck.ok(len(sheet) == ea["sampled"], f"errors.csv has {len(sheet)} rows, report says {ea['sampled']}")
    if ea["kind"] == "misclassified":
        wrong = {dev["rows"][i]: i for i in range(len(dev["y"])) if dev["y"][i] != dev["pred"][i]}
        ck.ok(ea["dev_errors"] == len(wrong), f"error_analysis.dev_errors {ea['dev_errors']}, misclassified dev rows {len(wrong)}")
        ids = []
        for r in sheet:
            rid = int(r["id"])
            ids.append(rid)
            i = wrong.get(rid)
            ck.ok(i is not None, f"errors.csv id {rid} is not a misclassified dev row")
            if i is None:
                continue
            ck.ok(r["true"] == classes[dev["y"][i]], f"errors.csv id {rid} true {r['true']}, file {classes[dev['y'][i]]}")
            ck.ok(r["predicted"] == classes[dev["pred"][i]], f"errors.csv id {rid} predicted {r['predicted']}, dlc predict {classes[dev['pred'][i]]}")
            ck.close(float(r["confidence"]), float(dev["conf"][i]), f"errors.csv id {rid} confidence", 6e-5)
        ck.ok(len(set(ids)) == len(ids), "errors.csv lists a row twice")
        if ea["sampled"] >= len(wrong):
            ck.ok(set(ids) == set(wrong), f"errors.csv ids {sorted(ids)} are not every misclassified dev row {sorted(wrong)}")
    elif ea["kind"] == "largest_errors" and "abs" in dev:
        a = dev["abs"]
        ids = [int(r["id"]) for r in sheet]
        for r in sheet:
            i = int(r["id"])
            ck.close(float(r["abs_error"]), float(a[i]), f"errors.csv id {i} abs_error", 1e-4, 1e-4)
            for col, want in (("true", dev["Y"][i]), ("predicted", dev["O"][i])):
                got = [float(v) if v else math.nan for v in r[col].split(";")]
                ok = len(got) == len(want) and all(
                    (math.isnan(g) and math.isnan(w)) or abs(g - w) <= 1e-4 * (1 + abs(w))
                    for g, w in zip(got, want))
                ck.ok(ok, f"errors.csv id {i} {col} {r[col]}, reference {list(want)}")
        if ids:
            worst = sorted(range(len(a)), key=lambda i: -a[i])[:len(ids)]
            floor = min(a[i] for i in ids)
            ck.ok(all(a[i] <= floor + 1e-4 * (1 + floor) for i in set(range(len(a))) - set(ids)),
                  f"errors.csv ids {sorted(ids)} are not the largest errors {sorted(worst)}")


def check_error_rows(ck, dlc, run, rep, cfg):
    """errors.csv of a dev split carved from a file (data.split.dev, or
    data.sources): every row named must be a misclassified row of that file
    (with sources, of its source's file), with its labels and confidence."""
    ea = rep.get("error_analysis")
    path = os.path.join(run, "errors", "errors.csv")
    if not ea or ea["kind"] != "misclassified" or not os.path.exists(path):
        return
    data = cfg["data"]
    if data.get("format") != "csv":
        return
    files = {}
    if data.get("sources"):
        for s in data["sources"]:
            files[s["name"]] = s["train"]["file"]
    else:
        files[None] = data["train"]["file"]
    classes = rep["classes"]
    labels = data["label"]
    labels = [labels] if isinstance(labels, str) else labels
    with open(path, newline="") as f:
        sheet = list(csv.DictReader(f))
    ck.ok(("source" in (sheet[0] if sheet else {})) == bool(data.get("sources")) or not sheet,
          "errors.csv has a source column exactly when data.sources is used")
    cache = {}
    for r in sheet:
        src = r.get("source") if data.get("sources") else None
        if src not in files:
            ck.ok(False, f"errors.csv id {r['id']}: unknown source {src}")
            continue
        if src not in cache:
            rows = read_rows(files[src])
            cache[src] = (rows, predictions(dlc, run, files[src], len(classes), cfg, rows))
        rows, preds = cache[src]
        i = int(r["id"])
        where = f"errors.csv id {i}{' (' + src + ')' if src else ''}"
        if not (0 <= i < len(rows)) or preds[i] is None:
            ck.ok(False, f"{where}: not a row dlc reads of {files[src]}")
            continue
        k = class_of(rows[i][labels[0]], classes)
        top = max(preds[i]["top"], key=lambda t: t["probability"])
        ck.ok(r["true"] == classes[k], f"{where}: true {r['true']}, the file says {rows[i][labels[0]]}")
        ck.ok(r["predicted"] == top["class"], f"{where}: predicted {r['predicted']}, dlc predict {top['class']}")
        ck.ok(r["predicted"] != r["true"], f"{where}: not misclassified")
        ck.close(float(r["confidence"]), top["probability"], f"{where} confidence", 6e-5)


def check_heads(ck, dlc, run, rep, cfg):
    """Several outputs: each head's figures (report.json `heads`) against
    scikit-learn on its own label columns and `dlc predict`'s `outputs`, and
    each split's loss as the sum of weight x head loss."""
    groups = cfg["data"]["label"]
    outs = {o["name"]: o for o in (cfg["model"].get("outputs") or [])}
    unknown = set(cfg["data"].get("unknown_label") or ["", "?"])
    for split, path in split_files(cfg).items():
        if split not in rep["splits"]:
            continue
        rows = read_rows(path)
        preds = predictions(dlc, run, path, max(len(h["classes"]) for h in rep["heads"]), cfg, rows)
        total = 0.0
        for h in rep["heads"]:
            m = (h.get("metrics") or {}).get(split)
            if not m:
                continue
            target = (outs.get(h["name"]) or {}).get("target") or h["name"]
            labels = groups[target]
            labels = [labels] if isinstance(labels, str) else labels
            hp = [None if p is None else p["outputs"][h["name"]] for p in preds]
            # a head's own report: its classes and metrics; accuracy and loss are its own
            hrep = {"classes": h["classes"], "metrics": {split: m}, "unknown_label": list(unknown),
                    "splits": {split: {"accuracy": m.get("accuracy")}}}
            if h["task"] in ("classification", "binary"):
                check_classes(ck, hrep, split, hp, rows, labels, h["task"],
                              float(cfg.get("label_smoothing") or 0)
                              if h["loss"] == "softmax_cross_entropy" else 0.0)
            elif h["task"] == "regression":
                check_regression(ck, hrep, split, hp, rows, labels)
            elif h["task"] == "multilabel":
                check_multilabel(ck, hrep, split, hp, rows, labels)
            if m.get("loss") is not None:
                total += h["weight"] * m["loss"]
        ck.close(rep["splits"][split]["loss"], total, f"{split} loss = sum of weight x head loss",
                 1e-7, 1e-6)
        ck.note(f"{split}: {len(rows)} rows of {path}, {len(rep['heads'])} outputs checked")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run")
    ap.add_argument("--dlc", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dlc"))
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    ck = Checker(a.quiet)
    with open(os.path.join(a.run, "report.json")) as f:
        rep = json.load(f)
    with open(os.path.join(a.run, "config.yaml")) as f:
        cfg = yaml.safe_load(f)
    task = rep["task"]
    labels = cfg["data"]["label"]
    if isinstance(labels, str):
        labels = [labels]
    if len(rep.get("heads") or []) > 1:
        check_heads(ck, a.dlc, a.run, rep, cfg)
        check_eval(ck, a.dlc, a.run, rep)
        check_metrics_csv(ck, a.run, rep, cfg)
        print(f"{ck.passed} checks passed, {ck.failed} failed")
        return 1 if ck.failed else 0
    files = split_files(cfg)
    per = {}
    for split, path in files.items():
        if split not in rep["splits"]:
            continue
        rows = read_rows(path)
        preds = predictions(a.dlc, a.run, path, len(rep["classes"]), cfg, rows)
        if task in ("classification", "binary"):
            per[split] = check_classes(ck, rep, split, preds, rows, labels, task,
                                       float(cfg.get("label_smoothing") or 0)
                                       if cfg.get("loss") == "softmax_cross_entropy" else 0.0,
                                       logits_of(a.dlc, a.run, cfg, rows))
        elif task == "regression":
            per[split] = check_regression(ck, rep, split, preds, rows, labels)
        elif task == "multilabel":
            rep["unknown_label"] = cfg["data"].get("unknown_label")
            check_multilabel(ck, rep, split, preds, rows, labels)
        ck.note(f"{split}: {len(rows)} rows of {path} checked against scikit-learn")
    if task in ("classification", "binary"):
        check_confusion_csv(ck, a.run, rep)
    check_diagnosis(ck, rep)
    check_eval(ck, a.dlc, a.run, rep)
    check_metrics_csv(ck, a.run, rep, cfg)
    if "dev" in per:
        check_errors(ck, a.run, rep, per["dev"])
    elif task in ("classification", "binary"):
        check_error_rows(ck, a.dlc, a.run, rep, cfg)
    print(f"{ck.passed} checks passed, {ck.failed} failed")
    return 1 if ck.failed else 0


if __name__ == "__main__":
    sys.exit(main())

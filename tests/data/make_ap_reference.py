#!/usr/bin/python3
"""Writes a reference for dlc's average precision (tests/data/ref/detect_ap.ref):
random ground truth and detections over 30 images and 4 classes, and AP per
class at IoU 0.50, 0.55, ..., 0.95 computed here, in numpy only, the way the
PASCAL VOC devkit does (VOC 2010+ all-point interpolation).
tests/unit/test_detect.c scores the same detections with src/detect and
compares.

The data has what the scoring must get right: duplicate detections of one
object (the second is a false positive), detections of a class with no
ground truth (its AP is undefined, left out of the mean), a class with ground
truth but no detections (AP 0), missed objects, and equal scores (the
detection listed first goes first).

Run once: /usr/bin/python3 tests/data/make_ap_reference.py  (needs numpy only)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ref_numpy import write  # noqa: E402

rng = np.random.default_rng(31)
N_IMAGES, N_CLASSES = 30, 4
THRESHOLDS = [0.5 + 0.05 * k for k in range(10)]


def iou(box, boxes):
    """IoU of one box (4,) against boxes (n, 4), corners."""
    w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = w * h
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return inter / union


def voc_ap(rec, prec):
    mrec = np.concatenate([[0.0], rec, [1.0]])
    mpre = np.concatenate([[0.0], prec, [0.0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def class_ap(c, thr, det_img, det_cls, det_score, det_box, gt_img, gt_cls, gt_box):
    gts = np.where(gt_cls == c)[0]
    npos = len(gts)
    if npos == 0:
        return float("nan")
    d = np.where(det_cls == c)[0]
    d = d[np.argsort(-det_score[d], kind="stable")]
    used = np.zeros(len(gt_cls), dtype=bool)
    tp = np.zeros(len(d))
    for k, j in enumerate(d):
        mine = gts[gt_img[gts] == det_img[j]]
        if len(mine) == 0:
            continue
        ov = iou(det_box[j], gt_box[mine])
        best = int(np.argmax(ov))
        if ov[best] >= thr and not used[mine[best]]:
            tp[k] = 1
            used[mine[best]] = True
    ctp = np.cumsum(tp)
    rec = ctp / npos
    prec = ctp / np.arange(1, len(d) + 1)
    return voc_ap(rec, prec)


def random_box():
    cx, cy = rng.uniform(0.15, 0.85, 2)
    w, h = rng.uniform(0.08, 0.3, 2)
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def jitter(box, amount):
    w, h = box[2] - box[0], box[3] - box[1]
    return box + rng.normal(0, amount, 4) * np.array([w, h, w, h])


def main():
    gt_img, gt_cls, gt_box = [], [], []
    det_img, det_cls, det_score, det_box = [], [], [], []
    for i in range(N_IMAGES):
        for _ in range(rng.integers(0, 5)):
            c = int(rng.choice([0, 1, 3], p=[0.45, 0.45, 0.1]))  # class 2 never appears
            b = random_box()
            gt_img.append(i), gt_cls.append(c), gt_box.append(b)
            if c == 3:
                continue  # never detected: AP 0
            if rng.uniform() < 0.85:
                det_img.append(i), det_cls.append(c), det_box.append(jitter(b, 0.08))
                det_score.append(np.round(rng.uniform(0.3, 1.0) * 20) / 20)
            if rng.uniform() < 0.2:  # a duplicate
                det_img.append(i), det_cls.append(c), det_box.append(jitter(b, 0.1))
                det_score.append(np.round(rng.uniform(0.1, 0.9) * 20) / 20)
        for _ in range(rng.integers(0, 3)):  # false positives, class 2 among them
            det_img.append(i), det_cls.append(int(rng.integers(0, 3))), det_box.append(random_box())
            det_score.append(np.round(rng.uniform(0.0, 0.8) * 20) / 20)
    arr = {
        "det_image": np.array(det_img), "det_class": np.array(det_cls),
        "det_score": np.array(det_score, dtype=np.float32), "det_box": np.array(det_box, dtype=np.float32),
        "gt_image": np.array(gt_img), "gt_class": np.array(gt_cls), "gt_box": np.array(gt_box, dtype=np.float32),
    }
    # score in float32, as dlc holds them
    args = (arr["det_image"], arr["det_class"], arr["det_score"].astype(np.float64),
            arr["det_box"].astype(np.float64), arr["gt_image"], arr["gt_class"], arr["gt_box"].astype(np.float64))
    ap = np.array([[class_ap(c, t, *args) for c in range(N_CLASSES)] for t in THRESHOLDS])
    arr["ap"] = ap  # (10 thresholds, 4 classes)
    arr["map50"] = np.array([np.nanmean(ap[0])])
    arr["map"] = np.array([np.nanmean(np.mean(ap, axis=0))])
    write("detect_ap", arr)
    print("AP@0.5 per class", ap[0], "mAP@0.5", arr["map50"], "mAP@0.5:0.95", arr["map"])


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""mAP from `dlc predict RUN FOLDER --score 0.01 --json` and the darknet label
files beside the images, computed here the way the PASCAL VOC devkit does
(all-point interpolated AP per class, averaged over the classes that have
objects; mAP@0.5:0.95 averages IoU 0.50, 0.55, ..., 0.95), for
tests/cli/task_trial.bats to compare with `dlc eval --json`.  Plain Python:
an implementation of its own, sharing nothing with src/detect.

usage: map_check.py PREDICT.json CLASSES   -> prints "map50 map"
"""
import json
import os
import sys


def iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def truth(image, width, height):
    """The objects of an image: (class, [x1, y1, x2, y2]) in pixels, clipped."""
    objects = []
    path = os.path.splitext(image)[0] + ".txt"
    if not os.path.exists(path):
        return objects
    for line in open(path):
        v = line.split()
        if not v:
            continue
        c, cx, cy, w, h = int(float(v[0])), *map(float, v[1:5])
        x1, x2 = max(0.0, cx - w / 2), min(1.0, cx + w / 2)
        y1, y2 = max(0.0, cy - h / 2), min(1.0, cy + h / 2)
        objects.append((c, [x1 * width, y1 * height, x2 * width, y2 * height]))
    return objects


def ap(c, thr, dets, gts):
    mine = sorted((d for d in dets if d[1] == c), key=lambda d: -d[2])
    npos = sum(1 for f in gts for g in gts[f] if g[0] == c)
    used = {f: [False] * len(gts[f]) for f in gts}
    tp = []
    for f, _, _, box in mine:
        # VOCevaldet.m: the object of the class it overlaps most decides, taken or not
        best, at = -1.0, -1
        for i, (gc, gbox) in enumerate(gts[f]):
            if gc == c:
                o = iou(box, gbox)
                if o > best:
                    best, at = o, i
        hit = at >= 0 and best >= thr and not used[f][at]
        if hit:
            used[f][at] = True
        tp.append(1 if hit else 0)
    rec, prec, ctp = [], [], 0
    for k, t in enumerate(tp):
        ctp += t
        rec.append(ctp / npos)
        prec.append(ctp / (k + 1))
    mrec = [0.0] + rec + [1.0]
    mpre = [0.0] + prec + [0.0]
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    return sum((mrec[i + 1] - mrec[i]) * mpre[i + 1] for i in range(len(mrec) - 1)
               if mrec[i + 1] != mrec[i])


def main():
    pred = json.load(open(sys.argv[1]))
    n_classes = int(sys.argv[2])
    dets, gts = [], {}
    for p in pred["predictions"]:
        gts[p["file"]] = truth(p["file"], p["width"], p["height"])
        boxes = sorted(p["boxes"], key=lambda b: -b["score"])[:100]  # at most 100 per image
        dets += [(p["file"], b["id"], b["score"], b["box"]) for b in boxes]
    have = [c for c in range(n_classes) if any(g[0] == c for f in gts for g in gts[f])]
    m50 = sum(ap(c, 0.5, dets, gts) for c in have) / len(have)
    m = sum(ap(c, 0.5 + 0.05 * k, dets, gts) for c in have for k in range(10)) / (10 * len(have))
    print("%.6f %.6f" % (m50, m))


main()

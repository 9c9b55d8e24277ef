#!/usr/bin/python3
"""Checks `dlc predict`'s non-max suppression against torchvision's
batched_nms: ALL.json is `dlc predict RUN IMAGES --iou 1 --json` (every box
at the score, none suppressed), KEPT.json the same at --iou THR; for each
image, torchvision's batched_nms of ALL's boxes at THR must keep KEPT's boxes.
For tests/cli/task_trial.bats (skipped without torchvision).

usage: nms_check.py ALL.json KEPT.json THR   (exit 1 naming the images that differ)
"""
import json
import sys

import torch
from torchvision.ops import batched_nms


def key(b):
    return (b["id"], round(b["score"], 6), tuple(b["box"]))


def main():
    everything = json.load(open(sys.argv[1]))
    kept = json.load(open(sys.argv[2]))
    thr = float(sys.argv[3])
    differ = 0
    for pa, pk in zip(everything["predictions"], kept["predictions"]):
        boxes = pa["boxes"]
        want = []
        if boxes:
            keep = batched_nms(torch.tensor([b["box"] for b in boxes], dtype=torch.float64),
                               torch.tensor([b["score"] for b in boxes], dtype=torch.float64),
                               torch.tensor([b["id"] for b in boxes]), thr).tolist()
            want = sorted(key(boxes[i]) for i in keep)
        got = sorted(key(b) for b in pk["boxes"])
        if want != got:
            differ += 1
            print("%s: torchvision keeps %d boxes, dlc %d" % (pa["file"], len(want), len(got)))
    print("%d images, %d boxes before suppression, %d differ" %
          (len(everything["predictions"]), sum(len(p["boxes"]) for p in everything["predictions"]),
           differ))
    sys.exit(1 if differ else 0)


main()

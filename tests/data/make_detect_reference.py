#!/usr/bin/python3
"""Writes torchvision's IoU and non-max suppression on fixed cases
(tests/data/ref/detect_iou.ref, detect_nms.ref, detect_batched_nms.ref), in
the format of make_reference.py; tests/unit/test_detect.c compares
src/detect's detect_iou, detect_nms and detect_suppress with them.

Cases: random boxes, nested, touching and identical boxes, an IoU exactly at
the threshold (kept: suppression needs IoU above it), equal scores (torchvision
keeps the lower index among equal scores, as dlc does), and empty inputs.

Run once with Debian's python3-torchvision (0.14):
    /usr/bin/python3 tests/data/make_detect_reference.py
"""
import os
import sys

import torch
from torchvision.ops import batched_nms, box_iou, nms

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import write  # noqa: E402

torch.manual_seed(97)


def random_boxes(n, scale=1.0):
    xy = torch.rand(n, 2) * 0.8 * scale
    wh = torch.rand(n, 2) * 0.4 * scale + 0.02 * scale
    return torch.cat([xy, xy + wh], dim=1)


def iou_cases():
    a = {}
    cases = {
        "random": (random_boxes(12), random_boxes(9)),
        # nested, identical, touching (IoU 0), disjoint, and pixel-sized coordinates
        "edges": (torch.tensor([[0., 0., 4., 4.], [1., 1., 2., 2.], [4., 0., 6., 4.], [10., 10., 11., 12.]]),
                  torch.tensor([[0., 0., 4., 4.], [0., 0., 2., 2.], [2., 2., 3., 3.]])),
        "pixels": (random_boxes(5, 64.0), random_boxes(7, 64.0)),
        "empty": (torch.zeros(0, 4), random_boxes(3)),
    }
    for name, (x, y) in cases.items():
        a[name + ".a"] = x
        a[name + ".b"] = y
        a[name + ".iou"] = box_iou(x, y)
    write("detect_iou", a)


def nms_cases():
    a = {}
    tied = random_boxes(40)
    cases = {
        "random": (random_boxes(30), torch.rand(30), 0.5),
        "dense": (random_boxes(60) * 0.5, torch.rand(60), 0.3),
        # equal scores everywhere: the order of the indices decides
        "ties": (tied, torch.full((40,), 0.7), 0.4),
        # few distinct scores
        "few": (random_boxes(50), (torch.rand(50) * 4).floor() / 4, 0.5),
        # IoU exactly 0.5 against a threshold of 0.5: both kept
        "at_threshold": (torch.tensor([[0., 0., 2., 1.], [0., 0., 1., 1.]]), torch.tensor([0.9, 0.8]), 0.5),
        "identical": (torch.tensor([[1., 1., 3., 3.]] * 4), torch.tensor([0.5, 0.9, 0.9, 0.1]), 0.5),
        "one": (torch.tensor([[0.1, 0.2, 0.3, 0.4]]), torch.tensor([0.3]), 0.5),
        "empty": (torch.zeros(0, 4), torch.zeros(0), 0.5),
    }
    for name, (b, s, t) in cases.items():
        a[name + ".boxes"] = b
        a[name + ".scores"] = s
        a[name + ".thresh"] = torch.tensor([t])
        a[name + ".keep"] = nms(b, s, t).to(torch.float32)
    write("detect_nms", a)


def batched_cases():
    a = {}
    cases = {
        "random": (random_boxes(40), torch.rand(40), torch.randint(0, 3, (40,)), 0.5),
        "ties": (random_boxes(30) * 0.5, (torch.rand(30) * 3).floor() / 3, torch.randint(0, 2, (30,)), 0.3),
        "empty": (torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.int64), 0.5),
    }
    for name, (b, s, c, t) in cases.items():
        a[name + ".boxes"] = b
        a[name + ".scores"] = s
        a[name + ".classes"] = c.to(torch.float32)
        a[name + ".thresh"] = torch.tensor([t])
        a[name + ".keep"] = batched_nms(b, s, c, t).to(torch.float32)
    write("detect_batched_nms", a)


if __name__ == "__main__":
    iou_cases()
    nms_cases()
    batched_cases()

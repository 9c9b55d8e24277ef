#!/usr/bin/python3
"""The PyTorch side of benchmark B11 (big models): torchvision's resnet50 or
vgg16 with a 2-class head, trained by plain SGD (lr 0.01) on a batch of
random 224x224 RGB images, as dlc trains configs/architectures/*.yaml in
bench/b11.sh.  Run with Debian's /usr/bin/python3 (torch 1.13,
python3-torchvision).

Prints one JSON line: samples/s over --steps training steps after
--warmup steps, the process's CPU seconds per step (on a shared machine
the wall clock also counts other programs' time), and peak RSS (MiB).
Usage: b11_peer.py --model resnet50 --batch 8 --threads 1 --steps 3
"""
import argparse
import json
import resource
import time

import torch
import torchvision


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=["resnet50", "vgg16", "mobilenet_v2"], required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(11)
    model = getattr(torchvision.models, a.model)(num_classes=2)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(a.batch, 3, 224, 224)
    y = torch.randint(0, 2, (a.batch,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return float(loss)

    for _ in range(a.warmup):
        step()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"bench": "B11", "model": a.model, "batch": a.batch, "threads": a.threads,
                      "steps": a.steps, "samples_per_s": round(a.steps * a.batch / wall, 3),
                      "cpu_s_per_step": round(cpu / a.steps, 3),
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}),
          flush=True)


if __name__ == "__main__":
    main()

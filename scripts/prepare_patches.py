#!/usr/bin/python3
"""Cuts photographs from Debian's wallpaper packages into small RGB patches,
one class per photograph, as an image folder for `dlc train`:
data/patches/<photo>/<k>.png.

The task - which photograph does a patch come from - needs colour and
texture, the features style transfer's costs read; configs/stylize_features.yaml
trains a VGG-style network on it, and configs/stylize_trained.yaml transfers
its weights (init_from) to `dlc stylize`.

The photographs: mate-backgrounds (nature) and lomiri-wallpapers-20.04 (the
"<title>_by_<author>" photographs), both in Debian 12:

    apt-get install mate-backgrounds lomiri-wallpapers
    /usr/bin/python3 scripts/prepare_patches.py            # needs python3-pil

The images the README's examples stylize (Dune.jpg, Elephants.jpg) are left
out.  Patches are squares whose side is 1/16 to 1/4 of the photograph's
shorter side (log-uniform), resized to --size pixels, flipped at random;
the same --seed gives the same patches.
"""
import argparse
import glob
import math
import os
import random

from PIL import Image

SOURCES = [
    "/usr/share/backgrounds/mate/nature/*.jpg",
    "/usr/share/backgrounds/*_by_*.jpg",
]
HELD_OUT = {"Dune.jpg", "Elephants.jpg"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/patches")
    ap.add_argument("--per-class", type=int, default=300)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    files = sorted(f for p in SOURCES for f in glob.glob(p)
                   if os.path.basename(f) not in HELD_OUT)
    if not files:
        raise SystemExit("no photographs found: apt-get install mate-backgrounds lomiri-wallpapers")
    rng = random.Random(a.seed)
    for f in files:
        name = os.path.splitext(os.path.basename(f))[0].split("_by_")[0]
        folder = os.path.join(a.out, name)
        os.makedirs(folder, exist_ok=True)
        im = Image.open(f).convert("RGB")
        w, h = im.size
        short = min(w, h)
        for k in range(a.per_class):
            side = int(short * math.exp(rng.uniform(math.log(1 / 16), math.log(1 / 4))))
            x, y = rng.randrange(w - side + 1), rng.randrange(h - side + 1)
            p = im.crop((x, y, x + side, y + side)).resize((a.size, a.size), Image.BILINEAR)
            if rng.random() < 0.5:
                p = p.transpose(Image.FLIP_LEFT_RIGHT)
            p.save(os.path.join(folder, "%04d.png" % k))
        print("%-24s %5dx%-5d -> %d patches" % (name, w, h, a.per_class))
    print("wrote %d classes to %s" % (len(files), a.out))


if __name__ == "__main__":
    main()

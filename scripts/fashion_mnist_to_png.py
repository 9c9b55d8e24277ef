#!/usr/bin/env python3
"""Writes Fashion-MNIST (Debian package dataset-fashion-mnist) out as image
folders of PNG files, the layout `format: image_folder` reads:

    OUT/train/<class>/<index>.png     60,000 images
    OUT/test/<class>/<index>.png      10,000 images

Class folders are named "<label>-<name>" (0-tshirt_top ... 9-ankle_boot), so
their sorted order is the label order.  Standard library only (zlib writes
the PNGs).  Usage:
    scripts/fashion_mnist_to_png.py OUT [--limit N] [--src DIR]
"""
import argparse
import gzip
import os
import struct
import sys
import zlib

CLASSES = ["tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
           "sneaker", "bag", "ankle_boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    nd = raw[3]
    dims = struct.unpack(">" + "I" * nd, raw[4:4 + 4 * nd])
    body = raw[4 + 4 * nd:]
    n = 1
    for d in dims:
        n *= d
    if len(body) != n:
        sys.exit(f"{path}: expected {n} data bytes, got {len(body)}")
    return dims, body


def png_gray(width, height, pixels):
    """An 8-bit grayscale PNG of pixels (height rows of width bytes)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + pixels[r * width:(r + 1) * width] for r in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def write_split(src, prefix, out, limit):
    (n, h, w), images = read_idx(os.path.join(src, prefix + "-images-idx3-ubyte.gz"))
    (nl,), labels = read_idx(os.path.join(src, prefix + "-labels-idx1-ubyte.gz"))
    if nl != n:
        sys.exit(f"{prefix}: {n} images but {nl} labels")
    if limit:
        n = min(n, limit)
    for k, name in enumerate(CLASSES):
        os.makedirs(os.path.join(out, f"{k}-{name}"), exist_ok=True)
    size = h * w
    for i in range(n):
        label = labels[i]
        path = os.path.join(out, f"{label}-{CLASSES[label]}", f"{i:05d}.png")
        with open(path, "wb") as f:
            f.write(png_gray(w, h, images[i * size:(i + 1) * size]))
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--limit", type=int, default=0, help="at most N images per split")
    ap.add_argument("--src", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    for split, prefix in (("train", "train"), ("test", "t10k")):
        n = write_split(a.src, prefix, os.path.join(a.out, split), a.limit)
        print(f"{split}: {n} images in {os.path.join(a.out, split)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes an image folder of random RGB PNGs for benchmark B11 (big models):

    OUT/<class>/<index>.png      two classes, a-noise and b-noise

Pixels are uniform noise from a fixed seed, so every sitting trains on the
same bytes; only the speed and memory of the training steps are measured,
not what is learned.  Standard library only (zlib writes the PNGs).
Usage:
    bench/b11_data.py OUT [--per-class N] [--size S]
"""
import argparse
import os
import random
import struct
import zlib


def png_rgb(width, height, pixels):
    """An 8-bit RGB PNG of pixels (height rows of 3 * width bytes)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    stride = 3 * width
    rows = b"".join(b"\x00" + pixels[r * stride:(r + 1) * stride] for r in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--per-class", type=int, default=32)
    ap.add_argument("--size", type=int, default=224)
    a = ap.parse_args()
    rng = random.Random(11)
    for cls in ("a-noise", "b-noise"):
        d = os.path.join(a.out, cls)
        os.makedirs(d, exist_ok=True)
        for i in range(a.per_class):
            path = os.path.join(d, "%03d.png" % i)
            if os.path.exists(path):
                continue
            pixels = rng.randbytes(3 * a.size * a.size)
            with open(path + ".tmp", "wb") as f:
                f.write(png_rgb(a.size, a.size, pixels))
            os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()

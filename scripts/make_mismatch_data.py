#!/usr/bin/python3
"""Writes the data of the data-mismatch study (configs/mismatch/*.yaml) into
data/mismatch/: Fashion-MNIST split into two domains.

  web    the first 50,000 training images as they are: plentiful, clean
         ("images from the web"): web-images.gz, web-labels.gz
  phone  the 10,000 test images and the last 10,000 training images as a
         phone camera might take them: each one blurred (Gaussian, sigma
         0.7-1.5 px), its contrast lowered (x 0.45-0.75 around its mean),
         lit a little differently (-15..+25), rotated a little (up to 12
         degrees either way), with sensor noise (sigma 8-16), seeded:
         phone-images.gz, phone-labels.gz

Both are IDX files dlc reads (format idx).  Needs Debian's python3-numpy; the
Fashion-MNIST files come from Debian's dataset-fashion-mnist.

    /usr/bin/python3 scripts/make_mismatch_data.py [FMNIST_DIR] [OUT_DIR] [SEED]
"""
import gzip
import os
import struct
import sys

import numpy as np

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
OUT = sys.argv[2] if len(sys.argv) > 2 else "data/mismatch"
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 7


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx(path, array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    tmp = path + ".tmp"
    with gzip.open(tmp, "wb") as f:
        f.write(header + array.tobytes())
    os.replace(tmp, path)


def blur(img, sigma):
    r = max(1, int(np.ceil(3 * sigma)))
    k = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * sigma * sigma))
    k /= k.sum()
    p = np.pad(img, r, mode="edge")
    rows = np.stack([np.convolve(row, k, mode="valid") for row in p])
    return np.stack([np.convolve(col, k, mode="valid") for col in rows.T]).T


def rotate(img, degrees):
    h, w = img.shape
    a = np.deg2rad(degrees)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy, xx = np.mgrid[0:h, 0:w]
    sy = cy + (yy - cy) * np.cos(a) - (xx - cx) * np.sin(a)
    sx = cx + (yy - cy) * np.sin(a) + (xx - cx) * np.cos(a)
    y0, x0 = np.floor(sy).astype(int), np.floor(sx).astype(int)
    fy, fx = sy - y0, sx - x0
    out = np.zeros_like(img, dtype=np.float64)
    for dy in (0, 1):
        for dx in (0, 1):
            yi, xi = y0 + dy, x0 + dx
            ok = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
            wgt = (fy if dy else 1 - fy) * (fx if dx else 1 - fx)
            out[ok] += wgt[ok] * img[yi[ok], xi[ok]]
    return out


def phone(img, rng):
    x = img.astype(np.float64)
    x = rotate(x, rng.uniform(-12, 12))
    x = blur(x, rng.uniform(0.7, 1.5))
    m = x.mean()
    x = m + (x - m) * rng.uniform(0.45, 0.75) + rng.uniform(-15, 25)
    x = x + rng.normal(0, rng.uniform(8, 16), x.shape)
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def main():
    os.makedirs(OUT, exist_ok=True)
    tr_x = read_idx(os.path.join(SRC, "train-images-idx3-ubyte.gz"))
    tr_y = read_idx(os.path.join(SRC, "train-labels-idx1-ubyte.gz"))
    te_x = read_idx(os.path.join(SRC, "t10k-images-idx3-ubyte.gz"))
    te_y = read_idx(os.path.join(SRC, "t10k-labels-idx1-ubyte.gz"))
    write_idx(os.path.join(OUT, "web-images.gz"), tr_x[:50000])
    write_idx(os.path.join(OUT, "web-labels.gz"), tr_y[:50000])
    rng = np.random.default_rng(SEED)
    px = np.concatenate([te_x, tr_x[50000:]])
    py = np.concatenate([te_y, tr_y[50000:]])
    out = np.stack([phone(img, rng) for img in px])
    write_idx(os.path.join(OUT, "phone-images.gz"), out)
    write_idx(os.path.join(OUT, "phone-labels.gz"), py)
    print(f"{OUT}: web 50000, phone {len(py)} images")


if __name__ == "__main__":
    main()

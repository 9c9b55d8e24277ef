#!/usr/bin/env python3
"""Cross-check dlc's safetensors files against an independent reader/writer.

Uses only numpy and json (no safetensors package), so the check does not
share code or assumptions with src/io/safetensors.c beyond the format itself.

  safetensors_check.py read FILE    print every tensor and metadata entry
  safetensors_check.py write FILE   write the fixed file test_io.c expects

`read` prints, in header order:
  tensor <name> <dtype> <d0>x<d1>... : <v0> <v1> ...   (values as %.9g)
  meta <key as hex of its UTF-8 bytes> <value, the same>
and fails (exit 1) on anything a strict reader should refuse.
"""
import json
import struct
import sys

import numpy as np


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        sys.exit("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        sys.exit("header length past end of file")
    if (8 + n) % 8 != 0:
        sys.exit("data section not 8-byte aligned: %d" % (8 + n))
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    data = raw[8 + n :]
    out = []
    end_max = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            sys.exit("unexpected dtype " + entry["dtype"])
        shape = tuple(entry["shape"])
        begin, end = entry["data_offsets"]
        if begin != end_max:
            sys.exit("tensor %s not contiguous: begins at %d, expected %d" % (name, begin, end_max))
        end_max = end
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != 4 * count:
            sys.exit("size mismatch for " + name)
        arr = np.frombuffer(data[begin:end], dtype="<f4").reshape(shape)
        dims = "x".join(str(d) for d in shape) if shape else "scalar"
        vals = "".join(" %.9g" % float(v) for v in arr.reshape(-1))
        out.append("tensor %s F32 %s :%s" % (name, dims, vals))
    if end_max != len(data):
        sys.exit("trailing bytes after the last tensor")
    for k, v in header.get("__metadata__", {}).items():
        out.append("meta %s %s" % (k.encode("utf-8").hex(), v.encode("utf-8").hex()))
    print("\n".join(out))


def write(path):
    # Deliberately unlike dlc's writer: metadata first, data stored in reverse
    # order of the header, indented JSON, and a header length that leaves the
    # data section misaligned for floats.
    tensors = {
        "weight": np.arange(12, dtype=np.float32).reshape(3, 4) / np.float32(3),
        "bias": np.array([-1.5, 0.0, 2.25], dtype=np.float32),
        "scalar": np.array(7.0, dtype=np.float32),
        "empty": np.zeros((0, 2), dtype=np.float32),
    }
    blobs = {name: arr.astype("<f4").tobytes() for name, arr in tensors.items()}
    offsets = {}
    offset = 0
    for name in reversed(list(tensors)):
        offsets[name] = (offset, offset + len(blobs[name]))
        offset += len(blobs[name])
    header = {"__metadata__": {"format": "np", "note": "caf\u00e9 \"quoted\""}}
    for name, arr in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": list(offsets[name])}
    text = json.dumps(header, indent=1, ensure_ascii=False).encode("utf-8")
    if (8 + len(text)) % 4 == 0:
        text += b" "
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in reversed(list(tensors)):
            f.write(blobs[name])


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write"):
        sys.exit(__doc__)
    (read if sys.argv[1] == "read" else write)(sys.argv[2])


if __name__ == "__main__":
    main()

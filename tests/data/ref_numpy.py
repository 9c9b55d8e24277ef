"""The reference-file format of make_reference.py (b"DLCREF1\\n", the array
count, then per array its name, dims and float32 data), written from numpy
arrays, for the scripts that do not need torch."""
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ref")


def write(name, arrays):
    with open(os.path.join(OUT, name + ".ref"), "wb") as f:
        f.write(b"DLCREF1\n")
        f.write(struct.pack("<I", len(arrays)))
        for key, a in arrays.items():
            a = np.ascontiguousarray(np.asarray(a, dtype=np.float32))
            b = key.encode()
            f.write(struct.pack("<I", len(b)))
            f.write(b)
            f.write(struct.pack("<I", a.ndim))
            for d in a.shape:
                f.write(struct.pack("<I", d))
            f.write(a.tobytes())

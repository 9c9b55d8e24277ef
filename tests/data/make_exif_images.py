#!/usr/bin/env python3
"""Writes tests/data/images/exif/: JPEGs whose Exif Orientation tag says how
to turn the stored pixels upright, as a phone camera writes them.

orient1.jpg .. orient8.jpg: each shows, once its tag is applied, the same
upright 16 x 8 picture (four quadrants: red top-left, green top-right, blue
bottom-left, white bottom-right); its stored pixels are that picture turned
by the tag's inverse.  rot180.jpg: the picture turned 180 degrees, no tag
(orient3.jpg's pixels as they are stored).  orient6_le.jpg: orient6.jpg
with a little-endian Exif block of two tags, as cameras write.  bad_exif.jpg: orient6.jpg with
its Exif block's first IFD offset pointing past the block (malformed: read
as stored).  Checked against PIL's ImageOps.exif_transpose before writing.

Run: /usr/bin/python3 tests/data/make_exif_images.py  (PIL only)
"""
import io
import os
import struct

from PIL import Image, ImageOps

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images", "exif")
W, H = 16, 8
QUADRANTS = [((255, 0, 0), (0, 255, 0)), ((0, 0, 255), (255, 255, 255))]
T = Image.Transpose
# the transpose that undoes each tag (PIL's exif_transpose applies the tag)
INVERSE = {1: None, 2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM,
           5: T.TRANSPOSE, 6: T.ROTATE_90, 7: T.TRANSVERSE, 8: T.ROTATE_270}


def upright():
    im = Image.new("RGB", (W, H))
    for y in range(H):
        for x in range(W):
            im.putpixel((x, y), QUADRANTS[y * 2 // H][x * 2 // W])
    return im


def save(im, name, orientation=None):
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95, subsampling=0, exif=exif.tobytes())
    data = buf.getvalue()
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    return data


def close(a, b):
    return all(abs(p - q) <= 48 for pa, pb in zip(a.getdata(), b.getdata()) for p, q in zip(pa, pb))


def main():
    os.makedirs(OUT, exist_ok=True)
    up = upright()
    for o in range(1, 9):
        stored = up if INVERSE[o] is None else up.transpose(INVERSE[o])
        save(stored, "orient%d.jpg" % o, o)
        back = ImageOps.exif_transpose(Image.open(os.path.join(OUT, "orient%d.jpg" % o)))
        assert back.size == (W, H) and close(back, up), o
    save(up.transpose(T.ROTATE_180), "rot180.jpg")
    # PIL writes big-endian ("MM") Exif; cameras often write little-endian
    # ("II"), with other tags before Orientation: orient6.jpg's pixels under
    # such a block, two entries (Make, then Orientation)
    data = open(os.path.join(OUT, "orient6.jpg"), "rb").read()
    seg = data.index(b"\xff\xe1")
    seg_end = seg + 2 + int.from_bytes(data[seg + 2:seg + 4], "big")
    le = struct.pack("<2sHIH", b"II", 42, 8, 2)
    le += struct.pack("<HHI4s", 0x010F, 2, 4, b"dlc\x00")   # Make, ASCII, inline
    le += struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0)          # Orientation, SHORT
    le += struct.pack("<I", 0)                              # no next IFD
    payload = b"Exif\x00\x00" + le
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    with open(os.path.join(OUT, "orient6_le.jpg"), "wb") as f:
        f.write(data[:seg] + app1 + data[seg_end:])
    back = ImageOps.exif_transpose(Image.open(os.path.join(OUT, "orient6_le.jpg")))
    assert back.size == (W, H) and close(back, up)
    # malformed: the TIFF header's IFD offset (after "Exif\0\0" "II*\0") made huge
    data = bytearray(open(os.path.join(OUT, "orient6.jpg"), "rb").read())
    at = data.index(b"Exif\x00\x00") + 6
    assert data[at:at + 4] in (b"II*\x00", b"MM\x00*")
    data[at + 4:at + 8] = b"\xff\xff\xff\x7f" if data[at] == ord("I") else b"\x7f\xff\xff\xff"
    with open(os.path.join(OUT, "bad_exif.jpg"), "wb") as f:
        f.write(bytes(data))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes data/fortunes.txt, the English corpus of the character language models
(configs/charlm_*.yaml), from Debian's `fortunes` package (apt-get install fortunes).

The package's fortune files (/usr/share/games/fortunes/*, without the .dat
indexes and .u8 links, in name order - the same files the PyTorch peer of
benchmark B3 reads) are joined and cleaned for a character model:
  * terminal tricks are dropped: "x BACKSPACE" overstrikes, bells and other
    control characters (line ends stay);
  * tabs become a space;
  * the "%" lines between fortunes stay: the model learns where a fortune ends.
The text is UTF-8; its few non-ASCII letters are left to the vocabulary's
min_count (they become <unk>).  Prints the size.

    python3 scripts/prepare_fortunes.py [SRC_DIR] [OUT]   (defaults as above)
"""
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/games/fortunes"
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "data", "fortunes.txt")

if not os.path.isdir(SRC):
    sys.exit(f"prepare_fortunes: {SRC} not found: install Debian's 'fortunes' package")
names = sorted(n for n in os.listdir(SRC)
               if not n.endswith((".dat", ".u8")) and os.path.isfile(os.path.join(SRC, n))
               and not os.path.islink(os.path.join(SRC, n)))
parts = []
for n in names:
    with open(os.path.join(SRC, n), "rb") as f:
        t = f.read().decode("utf-8", errors="replace")
    t = re.sub(r".\x08", "", t)          # overstrike: a character, then backspace
    t = t.replace("\t", " ")
    t = re.sub(r"[\x00-\x09\x0b-\x1f\x7f]", "", t)
    if not t.endswith("\n"):
        t += "\n"
    parts.append(t)
text = "".join(parts)
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w", encoding="utf-8") as f:
    f.write(text)
data = text.encode("utf-8")
print(f"{OUT}: {len(names)} fortune files, {len(data)} bytes, {len(text)} characters, "
      f"{text.count(chr(10))} lines, {len(set(text))} distinct characters")

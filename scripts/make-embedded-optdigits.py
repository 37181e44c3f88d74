#!/usr/bin/env python3
"""Copies the UCI optical digits embedded in gan-data out of the scikit-learn wheel.

scikit-learn ships the test set of the UCI "Optical Recognition of Handwritten Digits" data as
sklearn/datasets/data/digits.csv.gz: 1,797 rows of 64 pixel values (an 8x8 image, each value
the count of set pixels in a 4x4 block of a 32x32 bitmap, 0-16) and the digit (0-9). The file
is copied byte for byte; the script checks its shape, ranges and classes first.

Output: crates/gan-data/assets/optdigits-1797.csv.gz

Usage: scripts/make-embedded-optdigits.py [PATH/TO/scikit_learn-*.whl]
Without a path it runs `pip download scikit-learn==1.9.1` (the wheel for this Python) in a
temporary directory.
"""
import glob
import gzip
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "gan-data", "assets", "optdigits-1797.csv.gz")
MEMBER = "sklearn/datasets/data/digits.csv.gz"


def wheel(argv):
    if len(argv) > 1:
        return argv[1]
    tmp = tempfile.mkdtemp(prefix="sklearn-wheel-")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "scikit-learn==1.9.1", "-d", tmp],
        check=True, stdout=subprocess.DEVNULL)
    return glob.glob(os.path.join(tmp, "scikit_learn-*.whl"))[0]


def main():
    raw = zipfile.ZipFile(wheel(sys.argv)).read(MEMBER)
    rows = gzip.decompress(raw).decode("ascii").strip().split("\n")
    assert len(rows) == 1797, f"{len(rows)} rows, expected 1797"
    counts = [0] * 10
    for i, row in enumerate(rows):
        values = [int(float(v)) for v in row.split(",")]
        assert len(values) == 65, f"row {i}: {len(values)} values, expected 65"
        assert all(0 <= v <= 16 for v in values[:64]), f"row {i}: a pixel outside 0-16"
        assert 0 <= values[64] <= 9, f"row {i}: label {values[64]}"
        counts[values[64]] += 1
    with open(OUT, "wb") as f:
        f.write(raw)
    print(f"{OUT}: {len(raw)} bytes, sha256 {hashlib.sha256(raw).hexdigest()}")
    print("digits per class:", ", ".join(f"{d}: {c}" for d, c in enumerate(counts)))


if __name__ == "__main__":
    main()

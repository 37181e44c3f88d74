#!/usr/bin/env bash
# The fault harness, full form: a small ring8 run (Flex, a checkpoint and a metrics line every
# iteration) is killed with SIGKILL N times during its checkpoint writes, stopped once with
# SIGINT, given a torn metrics line and (as root, on a 16 MB tmpfs) a full disk, and resumed
# after each fault; its final weights and every logged loss must equal bitwise those of the
# same run left alone. Prints the figures docs/reliability.md records. CI runs the short form
# (10 kills) as the test `faults::faults_never_change_the_final_weights`.
#
#   scripts/faults.sh [KILLS]     default 50
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
kills="${1:-50}"
case "$kills" in
  '' | *[!0-9]*)
    echo "scripts/faults.sh: KILLS must be a whole number, not '$kills'" >&2
    exit 2
    ;;
esac
bash scripts/setup.sh
source scripts/env.sh
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
# The same build as scripts/test.sh (all backends, clippy as the compiler), so that one warm
# target directory serves both.
export CARGO_INCREMENTAL=0 CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export RUSTC_WORKSPACE_WRAPPER
GAN_FAULT_KILLS="$kills" cargo test --all-features --test it -- \
  --exact faults::faults_never_change_the_final_weights --nocapture

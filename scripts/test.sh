#!/usr/bin/env bash
# The project's test command (README, CI): installs what is missing (scripts/setup.sh), then
# checks formatting, builds every target once with all four backends (flex, ndarray, wgpu, tch)
# while clippy lints our crates, runs the tests with cargo-nextest, runs the doctests, and
# prints the 15 slowest tests with their seconds and the total.
#
#   scripts/test.sh           the full suite (what CI runs)
#   scripts/test.sh --quick   the edit loop: the same build and lints, then the Flex tests only,
#                             without the long statistical runs and the quality runs of the
#                             defaults; no doctests
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h | --help)
      sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "scripts/test.sh: unknown argument '$arg' (expected --quick or --help)" >&2
      exit 2
      ;;
  esac
done

bash scripts/setup.sh
source scripts/env.sh

# Every backend's runtime must be present: a missing one fails the run instead of skipping.
missing=()
[ -x "$GAN_TORCH_VENV/bin/python" ] || missing+=("libtorch (PyTorch venv at $GAN_TORCH_VENV)")
if ! ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1 && ! ls /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  missing+=("a Vulkan driver for wgpu (mesa-vulkan-drivers)")
fi
command -v cargo-nextest >/dev/null 2>&1 || missing+=("cargo-nextest (scripts/setup.sh installs it)")
if [ "${#missing[@]}" -gt 0 ]; then
  printf '[test] missing: %s\n' "${missing[@]}" >&2
  exit 1
fi

# A fresh clone rebuilds our own crates from scratch: incremental state would only cost time.
export CARGO_INCREMENTAL=0
# Two tests at a time (one per core), each with one CPU thread for Flex (rayon), libtorch
# (OpenMP) and lavapipe: oversubscribed libtorch threads run several times slower.
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export LP_NUM_THREADS="${LP_NUM_THREADS:-1}"

step() { echo "[test] $*"; }
start=$(date +%s)
phase_start=$start
phases=()
phase_done() {
  local now
  now=$(date +%s)
  phases+=("$1 $((now - phase_start)) s")
  phase_start=$now
}

step "cargo fmt --check"
cargo fmt --all -- --check
phase_done fmt

# Clippy lints our crates while they are compiled for the tests: clippy-driver is the workspace's
# compiler (what `cargo clippy` sets up, with `-D warnings`), so the dependencies are built once
# instead of once more in check mode, and every target (lib, bins, tests, examples, benches)
# is linted with all features. The quick loop builds the same way, so that both reuse one
# build; the doctests below reuse it too, so the variables stay set for the rest of the script.
export RUSTC_WORKSPACE_WRAPPER
RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
if [ "$quick" -eq 1 ]; then profile=quick; else profile=ci; fi

step "build and lint every target (flex, ndarray, wgpu, tch; clippy -D warnings)"
cargo test --workspace --all-features --lib --bins --tests --examples --benches --no-run
phase_done build
step "cargo nextest run --profile $profile"
status=0
cargo nextest run --workspace --all-features --lib --bins --tests --profile "$profile" || status=$?
phase_done tests

if [ "$quick" -eq 0 ] && [ "$status" -eq 0 ]; then
  step "cargo test --doc"
  cargo test --workspace --all-features --doc --quiet || status=$?
  phase_done doctests
fi

python3 scripts/slowest-tests.py "target/nextest/$profile/junit.xml" 15 || true
step "phases: $(IFS=,; echo "${phases[*]}" | sed 's/,/, /g')"
if [ "$status" -ne 0 ]; then
  step "FAILED after $(($(date +%s) - start)) s"
  exit "$status"
fi
step "all checks passed in $(($(date +%s) - start)) s"

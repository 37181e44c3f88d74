#!/usr/bin/env bash
# The project's test command: installs what is missing (scripts/setup.sh), then checks
# formatting, lints with every backend compiled in, and runs the whole test suite once with all
# four backends (flex, ndarray, wgpu, tch) in one build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."

bash scripts/setup.sh
source scripts/env.sh

# Every backend's runtime must be present: a missing one fails the run instead of skipping.
missing=()
[ -x "$GAN_TORCH_VENV/bin/python" ] || missing+=("libtorch (PyTorch venv at $GAN_TORCH_VENV)")
if ! ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1 && ! ls /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  missing+=("a Vulkan driver for wgpu (mesa-vulkan-drivers)")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  printf '[test] missing backend runtime: %s\n' "${missing[@]}" >&2
  exit 1
fi

step() { echo "[test] $*"; }
start=$(date +%s)
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy --all-targets --all-features -D warnings"
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings
step "cargo test --all-features (flex, ndarray, wgpu, tch)"
cargo test --workspace --all-features --no-fail-fast
step "all checks passed in $(( $(date +%s) - start )) s"

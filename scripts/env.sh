# Sourced by the other scripts: shared locations and the libtorch environment.
# GAN_CACHE holds what setup installs outside the checkout (the libtorch venv, the build dir).
export GAN_CACHE="${GAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gan-rs}"
export GAN_TORCH_VENV="${GAN_TORCH_VENV:-$GAN_CACHE/torch-venv}"
export GAN_TORCH_VERSION="2.9.0"
# One warm target directory shared by every checkout on this machine (CI clones included).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$GAN_CACHE/target}"
# tch (libtorch) is found through the venv's PyTorch; build.rs embeds its lib dir as an rpath.
if [ -x "$GAN_TORCH_VENV/bin/python" ]; then
  export VIRTUAL_ENV="$GAN_TORCH_VENV"
  export PATH="$GAN_TORCH_VENV/bin:$PATH"
  export LIBTORCH_USE_PYTORCH=1
fi

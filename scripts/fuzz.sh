#!/usr/bin/env bash
# The fuzz harnesses of every file the toolkit reads (IDX, CIFAR-10 batches, .npy, image-folder
# files, run configs, and a checkpoint's state.json, weights and optimizer state). A reader may
# refuse an input, never panic, never allocate without bound. Prints executions, speed and
# outcomes per reader; docs/reliability.md records them.
#
#   scripts/fuzz.sh [EXECS] [READER,...]         in process: seeded structured mutation under an
#                                                allocation cap (default 1000000 per reader;
#                                                CI runs 2,000 as the test binary `fuzz`)
#   scripts/fuzz.sh --afl [EXECS] [READER,...]   coverage-guided: AFL++ through cargo-afl
#                                                (installed when missing), EXECS per reader
#
# In-process inputs that panicked are kept under $GAN_FUZZ_DIR/crashes (default: fuzz/ in the
# target directory); GAN_FUZZ_REPLAY=READER:INDEX scripts/fuzz.sh rewrites one of them there
# for a regression test. AFL++ keeps its findings under $GAN_FUZZ_DIR/afl/READER/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
afl=0
if [ "${1:-}" = "--afl" ]; then
  afl=1
  shift
fi
execs="${1:-1000000}"
case "$execs" in
  '' | *[!0-9]*)
    echo "scripts/fuzz.sh: EXECS must be a whole number, not '$execs'" >&2
    exit 2
    ;;
esac
all="idx,cifar10,npy,image,config,state,weights,optimizer"
readers="${2:-$all}"
for r in ${readers//,/ }; do
  case ",$all," in
    *",$r,"*) ;;
    *)
      echo "scripts/fuzz.sh: unknown reader '$r' (expected some of $all)" >&2
      exit 2
      ;;
  esac
done
bash scripts/setup.sh
source scripts/env.sh
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"
export GAN_FUZZ_DIR="${GAN_FUZZ_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/fuzz}"

if [ "$afl" -eq 0 ]; then
  # The same build as scripts/test.sh (all backends, clippy as the compiler), so that one warm
  # target directory serves both.
  export CARGO_INCREMENTAL=0 CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
  RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
  export RUSTC_WORKSPACE_WRAPPER
  GAN_FUZZ_READERS="$readers" GAN_FUZZ_EXECS="$execs" \
    cargo test --all-features --test fuzz -- --nocapture
  exit 0
fi

# AFL++: cargo-afl builds its own AFL++ (4.40c) and instruments rustc's output; no system
# AFL++ or matching LLVM is needed.
if ! cargo afl --version >/dev/null 2>&1; then
  echo "[fuzz] installing cargo-afl 0.18.2"
  cargo install cargo-afl --version 0.18.2 --locked
fi
target="${CARGO_TARGET_DIR:-$PWD/target}/afl"
(cd fuzz && CARGO_TARGET_DIR="$target" cargo afl build --release --quiet)
bin="$target/release/gan-fuzz"
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
failed=0
for r in ${readers//,/ }; do
  out="$GAN_FUZZ_DIR/afl/$r"
  rm -rf "$out"
  mkdir -p "$out"
  "$bin" "$r" --seeds "$out/in"
  start=$(date +%s)
  cargo afl fuzz -i "$out/in" -o "$out/out" -E "$execs" "$bin" "$r" >"$out/log.txt" 2>&1 || {
    tail -20 "$out/log.txt" >&2
    exit 1
  }
  stats="$out/out/default/fuzzer_stats"
  crashes=$(find "$out/out/default/crashes" -type f -name 'id:*' | wc -l)
  hangs=$(find "$out/out/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
  printf '%-9s %s executions in %s s, %s/s, %s edges, corpus %s, %s crashes, %s hangs\n' "$r" \
    "$(awk '/^execs_done/ {print $3}' "$stats")" "$(($(date +%s) - start))" \
    "$(awk '/^execs_per_sec/ {print $3}' "$stats")" "$(awk '/^edges_found/ {print $3}' "$stats")" \
    "$(awk '/^corpus_count/ {print $3}' "$stats")" "$crashes" "$hangs"
  if [ "$crashes" -gt 0 ]; then
    echo "[fuzz] $r: crashes in $out/out/default/crashes" >&2
    failed=1
  fi
done
exit "$failed"

//! The integration tests: one binary, one module per subject, so that the generic trainer is
//! monomorphised and linked once per backend rather than once per test file.
//!
//! The suite is meant to run under `cargo nextest` (`scripts/test.sh`), which starts every test
//! in its own process: tests that seed Burn's backend RNG (`determinism`) then cannot race with
//! other tests drawing from it. Under plain `cargo test` they take a lock against each other
//! only.
//!
//! - Statistical claims (the theory of the paper, the 1-D fits, the default job's quality) are
//!   proven on Flex with fixed seeds and stated tolerances.
//! - `equivalence` proves that ndarray, wgpu and libtorch run the same algorithm as Flex: the
//!   same weights and batches give the same parameters after 20 iterations of every loss.
//! - Everything else (models, losses, penalties, checkpoints, resume, data, the command line)
//!   runs on every backend compiled in.

#[macro_use]
mod common;

mod algorithm;
mod backend_choice;
mod backends;
mod cli;
mod convolutions;
mod cyclegan;
mod data;
mod determinism;
mod docs;
mod equivalence;
mod eval_inception;
mod eval_metrics;
mod export;
#[cfg(all(unix, feature = "flex"))]
mod faults;
mod logs;
mod losses;
mod models;
mod npy;
#[cfg(feature = "flex")]
mod parallel;
mod quality;
mod run_spec;
mod theory;
mod training;
mod variants;

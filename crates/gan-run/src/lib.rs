//! A GAN run on disk, from its config to its samples and scores: the application behind the
//! `gan` command, as a library. Everything here is generic over Burn's `Backend`; the `gan`
//! crate picks the backend.
//!
//! - [`algorithm`]: which GAN algorithm an image run trains (classic, InfoGAN, EBGAN, BEGAN);
//! - [`toy`] and [`image`]: the run configs of the 2-D and image experiments and their
//!   front ends, which build the models, the data source and the classic algorithm and train
//!   it into a run directory (`config.json` written once, atomically, by this crate);
//! - [`sample`]: a trained run's generator (or discriminator) on any backend, samples as PNG or
//!   `.npy`;
//! - [`translation`]: CycleGAN between two unpaired image domains (`"kind": "translation"`
//!   runs) and the translation of new images by a trained run;
//! - [`report`]: a run as one self-contained HTML page (`gan report`);
//! - [`eval`]: the evaluation protocol (held-out splits, the domain classifier and its cache,
//!   the metrics table and `eval.json`);
//! - [`SampleView`] and [`PreviewWriter`]: an observer that draws the algorithm's previews as
//!   `samples/step-NNNNNNNN.png` and `samples.png` (image grids, or scatter plots of 2-D
//!   samples over the data); [`draw_loss_curve`]: `loss_curve.png` from `metrics.jsonl`;
//!   [`train`]: [`gan_train::fit`] with both and the scalar logs of [`logs`] (`metrics.csv`,
//!   a TensorBoard event file).

pub mod algorithm;
mod error;
pub mod eval;
pub mod export;
pub mod image;
pub mod logs;
mod options;
pub mod parallel;
mod preview;
pub mod report;
mod rundir;
pub mod sample;
pub mod toy;
pub mod translation;

pub use algorithm::AlgorithmConfig;
pub use error::{GanError, Result};
pub use options::RunOptions;
pub use parallel::{Nodes, Parallel};
pub use preview::{DATA, PreviewWriter, SAMPLES, SampleView, draw_loss_curve, draw_preview, train};

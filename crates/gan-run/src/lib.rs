//! A GAN training run on disk, around [`gan_train::fit`]: the pictures a person looks at while
//! and after training.
//!
//! - [`SampleView`] and [`PreviewWriter`]: an observer that draws the algorithm's previews as
//!   `samples/step-NNNNNNNN.png` and `samples.png` (image grids, or scatter plots of 2-D
//!   samples over the data);
//! - [`draw_loss_curve`]: `loss_curve.png` from `metrics.jsonl`;
//! - [`train`]: `fit` with both.

mod preview;

pub use preview::{PreviewWriter, SampleView, draw_loss_curve, draw_preview, train};

//! Datasets for training generative adversarial networks.
//!
//! Every dataset hands out minibatches as Burn tensors on any backend through the
//! [`BatchSource`] trait, drawn with a seeded RNG so runs repeat exactly. This release has the
//! 2-D toy distributions the GAN literature uses to study mode collapse ([`toy`]).

mod error;
mod source;
pub mod toy;

pub use error::{DataError, Result};
pub use source::{Batch, BatchSource, DataRng, ToySampler};
pub use toy::{GridConfig, MoonsConfig, RingConfig, SpiralConfig, Toy2d};

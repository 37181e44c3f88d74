//! Adversarial training: the alternating optimisation of Goodfellow et al. (2014),
//! Algorithm 1, with the loss variants of the later literature.
//!
//! - [`GanLoss`]: minimax, non-saturating, least squares, Wasserstein and hinge losses, all
//!   computed from discriminator logits in numerically stable forms.
//! - [`OptimizerConfig`]: SGD with momentum, Adam and RMSProp, one per network.
//! - [`Trainer`]: `k` discriminator steps then one generator step per iteration, for any
//!   models implementing `gan_models::{Generator, Discriminator}`.

mod error;
mod loss;
mod optim;
mod trainer;

pub use error::{Result, TrainError};
pub use loss::{GanLoss, softplus};
pub use optim::{AdamParams, GanOptimizer, OptimizerConfig, RmsPropParams, SgdParams};
pub use trainer::{StepLosses, TrainConfig, Trainer};

//! Adversarial training: the alternating optimisation of Goodfellow et al. (2014),
//! Algorithm 1, with the loss variants of the later literature.
//!
//! - [`GanLoss`]: minimax, non-saturating, least squares, Wasserstein and hinge losses, all
//!   computed from discriminator logits in numerically stable forms.
//! - [`OptimizerConfig`]: SGD with momentum, Adam and RMSProp, one per network.
//! - [`Trainer`]: `k` discriminator steps then one generator step per iteration, for any
//!   models implementing `gan_models::{Generator, Discriminator}`.

pub mod checkpoint;
mod ema;
mod error;
mod loss;
mod optim;
pub mod penalty;
pub mod run;
mod trainer;

pub use checkpoint::{
    CHECKPOINT_FORMAT, GeneratorWeights, latest_checkpoint, load_discriminator, load_generator,
    prune_checkpoints,
};
pub use ema::ema_update;
pub use error::{CheckpointError, Result, TrainError};
pub use loss::{GanLoss, softplus};
pub use optim::{AdamParams, GanOptimizer, OptimizerConfig, RmsPropParams, SgdParams};
pub use penalty::{GradientPenalty, PenaltyTerms, gradient_penalty, input_gradient};
pub use run::{Metrics, Observer, RunConfig, RunDir, RunSummary, SampleView, fit};
pub use trainer::{HostLosses, StepLosses, TrainConfig, Trainer, cross_entropy};

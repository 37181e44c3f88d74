//! Adversarial training: the alternating optimisation of Goodfellow et al. (2014),
//! Algorithm 1, with the loss variants of the later literature.
//!
//! - [`GanLoss`]: minimax, non-saturating, least squares, Wasserstein and hinge losses, all
//!   computed from discriminator logits in numerically stable forms.
//! - [`OptimizerConfig`]: SGD with momentum, Adam and RMSProp, one per network.
//! - [`Algorithm`]: what every GAN algorithm provides — its [`Player`]s (a module, its
//!   optimizer and learning-rate schedule), its step, its checkpointable state and named
//!   scalar logs — and [`fit`], the one loop that drives any of them (cadence, progress,
//!   divergence checks, checkpoints, resume, previews for observers).
//! - [`Trainer`]: the classic algorithm, `k` discriminator steps then one generator step per
//!   iteration, for any models implementing `gan_models::{Generator, Discriminator}`.
//!
//! - [`InfoGan`], [`Ebgan`] and [`Began`]: InfoGAN's latent codes and `Q` head, and the two
//!   energy-based GANs with autoencoder discriminators ([`energy`]). DRAGAN is the classic
//!   algorithm with [`GradientPenalty::Dragan`] ([`LossPreset::Dragan`]).
//!
//! - [`CycleGan`]: unpaired image-to-image translation (Zhu et al. 2017), two generators
//!   and two PatchGAN discriminators with cycle-consistency and identity terms and pools of
//!   generated images ([`ImagePool`]).
//!
//! A new GAN algorithm is one new file: a type that implements [`Algorithm`].

pub mod algorithm;
mod began;
pub mod checkpoint;
mod classic;
mod cyclegan;
mod ebgan;
mod ema;
pub mod energy;
mod error;
mod infogan;
mod loss;
mod optim;
pub mod parallel;
pub mod penalty;
pub mod run;
mod variant;

pub use algorithm::{Algorithm, LogEntry, LrSchedule, Player, StepLog};
pub use began::{BEGAN, Began, BeganConfig};
pub use checkpoint::{
    CHECKPOINT_FORMAT, CheckpointReader, CheckpointWriter, GeneratorWeights,
    OLDEST_CHECKPOINT_FORMAT, latest_checkpoint, load_checkpoint, load_discriminator,
    load_generator, prune_checkpoints, save_checkpoint,
};
pub use classic::{
    CLASSIC, HostLosses, LossPreset, StepLosses, TrainConfig, Trainer, cross_entropy,
};
pub use cyclegan::{
    CYCLEGAN, CycleGan, CycleGanConfig, ImagePool, MAX_POOL, SemanticClassifier, l1_distance,
    least_squares, semantic_consistency,
};
pub use ebgan::{EBGAN, Ebgan, EbganConfig};
pub use ema::ema_update;
pub use error::{CheckpointError, Result, TrainError};
pub use infogan::{INFOGAN, InfoGan, InfoGanConfig, InfoTerms, information_loss};
pub use loss::{GanLoss, softplus};
pub use optim::{AdamParams, GanOptimizer, OptimizerConfig, RmsPropParams, SgdParams};
pub use parallel::{Peer, Shard, ShardedSource};
pub use penalty::{
    GradientPenalty, PenaltyTerms, dragan_points, dragan_points_shard, gradient_penalty,
    input_gradient,
};
pub use run::{Metrics, Observer, Preview, RunConfig, RunDir, RunSummary, fit};
pub use variant::check_shared;

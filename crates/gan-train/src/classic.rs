//! The classic algorithm: Algorithm 1 of Goodfellow et al. (2014) — `k` discriminator steps,
//! then one generator step — with the loss family, weight clipping, gradient penalties,
//! ACGAN's auxiliary classifier and an EMA generator.

use burn::config::Config;
use burn::module::ModuleVisitor;
use burn::module::{AutodiffModule, ModuleMapper, Param};
use burn::optim::GradientsParams;
use burn::tensor::activation::{log_softmax, sigmoid};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Int, Tensor};
use gan_data::{Batch, BatchSource};
use gan_models::{Discriminator, GanRng, Generator, Prior, rng_from_seed};
use rand::RngExt;

use serde::{Deserialize, Serialize};

use crate::algorithm::{Algorithm, LrSchedule, Player, StepLog};
use crate::checkpoint::{CheckpointReader, CheckpointWriter};
use crate::ema::ema_update;
use crate::error::{Result as TrainResult, TrainError};
use crate::loss::GanLoss;
use crate::optim::OptimizerConfig;
use crate::parallel::Shard;
use crate::penalty::{GradientPenalty, dragan_points_shard, gradient_penalty};

/// The classic algorithm's name in checkpoints.
pub const CLASSIC: &str = "classic";

/// Hyper-parameters of adversarial training (Algorithm 1 of Goodfellow et al. 2014).
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// The adversarial loss.
    #[config(default = "GanLoss::NonSaturating")]
    pub loss: GanLoss,
    /// Number of iterations of Algorithm 1 (each: `k` discriminator steps, one generator step).
    #[config(default = 10000)]
    pub iterations: usize,
    /// Discriminator steps per generator step (`k` in Algorithm 1).
    #[config(default = 1)]
    pub k: usize,
    /// Minibatch size `m`: data examples and noise samples per step.
    #[config(default = 64)]
    pub batch_size: usize,
    /// The generator's optimizer.
    #[config(default = "OptimizerConfig::adam()")]
    pub g_optimizer: OptimizerConfig,
    /// The discriminator's optimizer.
    #[config(default = "OptimizerConfig::adam()")]
    pub d_optimizer: OptimizerConfig,
    /// The generator's learning rate.
    #[config(default = 2e-4)]
    pub g_lr: f64,
    /// The discriminator's learning rate (differs from `g_lr` for two-time-scale training).
    #[config(default = 2e-4)]
    pub d_lr: f64,
    /// Clip every discriminator weight to `[-c, c]` after each step (WGAN's Lipschitz bound).
    #[config(default = "None")]
    pub weight_clip: Option<f64>,
    /// A penalty on the discriminator's input gradient (WGAN-GP or R1).
    #[config(default = "None")]
    pub penalty: Option<GradientPenalty>,
    /// Step `h` of the central difference that gives the penalty's parameter gradient
    /// (see [`crate::penalty`]); its error is `O(h²)`.
    #[config(default = 1e-2)]
    pub penalty_step: f64,
    /// Weight of the auxiliary classification loss for discriminators with a class head (ACGAN).
    #[config(default = 1.0)]
    pub aux_weight: f64,
    /// Decay `β` of an exponential moving average of the generator's weights, used for
    /// sampling when set (0.999 is common).
    #[config(default = "None")]
    pub ema_decay: Option<f64>,
    /// Draw fresh noise for the generator step instead of reusing the discriminator step's
    /// generated batch (the literal form of Algorithm 1; costs one more generator forward
    /// pass per iteration when `k = 1`).
    #[config(default = false)]
    pub fresh_noise_for_generator: bool,
    /// Linear learning-rate decay: from iteration `lr_decay_start * iterations` on, both
    /// learning rates fall linearly towards zero at `iterations` (as in CycleGAN's second
    /// half). `None` keeps them constant.
    #[config(default = "None")]
    pub lr_decay_start: Option<f64>,
    /// Seed of the noise generator and of the backend's random state (dropout masks), which is
    /// reseeded from `(seed, iteration)` at every iteration so that a resumed run matches.
    #[config(default = 0)]
    pub seed: u64,
}

/// The largest minibatch [`TrainConfig::validate`] accepts.
pub const MAX_BATCH: usize = 1 << 16;
/// The most iterations [`TrainConfig::validate`] accepts (a run that long is a typo).
pub const MAX_ITERATIONS: usize = 1_000_000_000;

impl TrainConfig {
    /// Checks the config.
    pub fn validate(&self) -> TrainResult<()> {
        let invalid = |field, value: String, expected| TrainError::InvalidParameter {
            field,
            value,
            expected,
        };
        if self.k == 0 {
            return Err(invalid("k", "0".into(), "at least 1"));
        }
        if !(1..=MAX_BATCH).contains(&self.batch_size) {
            return Err(invalid(
                "batch_size",
                self.batch_size.to_string(),
                "from 1 to 65,536 (the most one step allocates for)",
            ));
        }
        if self.iterations > MAX_ITERATIONS {
            return Err(invalid(
                "iterations",
                self.iterations.to_string(),
                "at most 1,000,000,000 (fewer --steps or --epochs)",
            ));
        }
        self.g_optimizer.validate("g_optimizer")?;
        self.d_optimizer.validate("d_optimizer")?;
        for (field, lr) in [("g_lr", self.g_lr), ("d_lr", self.d_lr)] {
            if !(lr.is_finite() && lr > 0.0) {
                return Err(invalid(field, lr.to_string(), "a finite number > 0"));
            }
        }
        if let Some(c) = self.weight_clip
            && !(c.is_finite() && c > 0.0)
        {
            return Err(invalid("weight_clip", c.to_string(), "a finite number > 0"));
        }
        if let Some(penalty) = &self.penalty {
            penalty.validate()?;
        }
        if !(self.penalty_step.is_finite() && self.penalty_step > 0.0) {
            return Err(invalid(
                "penalty_step",
                self.penalty_step.to_string(),
                "a finite number > 0",
            ));
        }
        if !(self.aux_weight.is_finite() && self.aux_weight >= 0.0) {
            return Err(invalid(
                "aux_weight",
                self.aux_weight.to_string(),
                "a finite number >= 0",
            ));
        }
        if let Some(decay) = self.ema_decay
            && !(0.0..1.0).contains(&decay)
        {
            return Err(invalid(
                "ema_decay",
                decay.to_string(),
                "a number in [0, 1)",
            ));
        }
        if let Some(start) = self.lr_decay_start
            && !(0.0..1.0).contains(&start)
        {
            return Err(invalid(
                "lr_decay_start",
                start.to_string(),
                "a fraction of the iterations in [0, 1)",
            ));
        }
        Ok(())
    }

    /// The factor applied to both learning rates at iteration `t` (counted from 0): 1, or
    /// `(iterations - t) / (iterations - start)` once `t` passes the decay's start.
    pub fn lr_factor(&self, t: usize) -> f64 {
        self.lr_schedule().factor(t)
    }

    /// Both players' learning-rate schedule.
    pub fn lr_schedule(&self) -> LrSchedule {
        match self.lr_decay_start {
            None => LrSchedule::Constant,
            Some(start) => LrSchedule::LinearDecay {
                start,
                iterations: self.iterations,
            },
        }
    }
}

/// A loss with the settings its paper trains it with, applied to a [`TrainConfig`] by
/// [`TrainConfig::with_preset`]. The Wasserstein loss needs a constraint on the critic, so it
/// comes in two presets: weight clipping (WGAN) and the gradient penalty (WGAN-GP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossPreset {
    /// The 2014 minimax game (saturating generator loss); nothing else changes.
    Minimax,
    /// Non-saturating: G maximises `log D(G(z))`; nothing else changes.
    NonSaturating,
    /// Least squares (LSGAN); nothing else changes.
    LeastSquares,
    /// Hinge; nothing else changes.
    Hinge,
    /// WGAN (Arjovsky et al. 2017): the Wasserstein loss, weights clipped to `[-0.01, 0.01]`,
    /// RMSProp at 5e-5 for both networks, `k = 5`.
    Wgan,
    /// WGAN-GP (Gulrajani et al. 2017): the Wasserstein loss, gradient penalty with `λ = 10`,
    /// Adam with `β = (0, 0.9)` for both networks, `k = 5`. Its critic should have no batch
    /// norm (the penalty is per sample).
    WganGp,
    /// DRAGAN (Kodali et al. 2017): the non-saturating loss plus the DRAGAN penalty with
    /// `λ = 10` (as in compare_gan) around the real samples; optimizers unchanged. Its
    /// discriminator should have no batch norm, as WGAN-GP's.
    Dragan,
}

impl LossPreset {
    /// Whether the preset's critic must be free of batch norm: the gradient penalties are per
    /// sample, their difference quotients need the same function at `x ± h u`, and batch norm
    /// mixes the samples of a batch (Gulrajani et al. 2017, section 4). WGAN-GP and DRAGAN.
    pub fn forbids_batch_norm(self) -> bool {
        matches!(self, LossPreset::WganGp | LossPreset::Dragan)
    }
}

impl TrainConfig {
    /// This config with `preset`'s loss and settings: any weight clipping and penalty are
    /// cleared first, then the preset sets its loss and, for the Wasserstein presets, its
    /// constraint, optimizers, learning rates and `k`.
    pub fn with_preset(mut self, preset: LossPreset) -> Self {
        self.weight_clip = None;
        self.penalty = None;
        self.loss = match preset {
            LossPreset::Minimax => GanLoss::Minimax,
            LossPreset::NonSaturating => GanLoss::NonSaturating,
            LossPreset::LeastSquares => GanLoss::LeastSquares,
            LossPreset::Hinge => GanLoss::Hinge,
            LossPreset::Wgan => {
                self.weight_clip = Some(0.01);
                self.g_optimizer = OptimizerConfig::RmsProp(crate::RmsPropParams::new());
                self.d_optimizer = OptimizerConfig::RmsProp(crate::RmsPropParams::new());
                self.g_lr = 5e-5;
                self.d_lr = 5e-5;
                self.k = 5;
                GanLoss::Wasserstein
            }
            LossPreset::WganGp => {
                self.penalty = Some(GradientPenalty::wgan_gp());
                let adam = OptimizerConfig::Adam(
                    crate::AdamParams::new().with_beta_1(0.0).with_beta_2(0.9),
                );
                self.g_optimizer = adam.clone();
                self.d_optimizer = adam;
                self.k = 5;
                GanLoss::Wasserstein
            }
            LossPreset::Dragan => {
                self.penalty = Some(GradientPenalty::dragan());
                GanLoss::NonSaturating
            }
        };
        self
    }
}

/// The losses and discriminator outputs of one training iteration, still on the device so that
/// nothing is read back unless the caller asks.
#[derive(Debug, Clone)]
pub struct StepLosses<B: Backend> {
    /// Discriminator objective of the last discriminator step: adversarial loss, plus the
    /// auxiliary classification loss and the gradient penalty where enabled.
    pub d_loss: Tensor<B, 1>,
    /// Generator objective: adversarial loss plus the auxiliary loss where enabled.
    pub g_loss: Tensor<B, 1>,
    /// Mean `sigmoid(D logit)` on the real batch of the last discriminator step.
    pub d_real: Tensor<B, 1>,
    /// Mean `sigmoid(D logit)` on the generated batch of the last discriminator step.
    pub d_fake: Tensor<B, 1>,
    /// Value of the gradient penalty (included in `d_loss`).
    pub penalty: Option<Tensor<B, 1>>,
    /// Auxiliary classification loss of the discriminator on real and generated samples.
    pub aux: Option<Tensor<B, 1>>,
    /// L2 norms of the full parameter gradients `[generator, discriminator]` (last steps), when
    /// measured.
    pub grad_norms: Option<Tensor<B, 1>>,
}

/// [`StepLosses`] read back to the host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostLosses {
    /// Discriminator objective.
    pub d_loss: f32,
    /// Generator objective.
    pub g_loss: f32,
    /// Mean `D(x)` on real data.
    pub d_real: f32,
    /// Mean `D(G(z))`.
    pub d_fake: f32,
    /// Gradient penalty value.
    pub penalty: Option<f32>,
    /// Auxiliary classification loss.
    pub aux: Option<f32>,
    /// Gradient norms `[generator, discriminator]`.
    pub grad_norms: Option<[f32; 2]>,
}

impl HostLosses {
    /// The first non-finite loss, by name (e.g. `"generator loss"`), if any.
    pub fn non_finite(&self) -> Option<(&'static str, f32)> {
        [
            ("discriminator loss", Some(self.d_loss)),
            ("generator loss", Some(self.g_loss)),
            ("gradient penalty", self.penalty),
            ("auxiliary loss", self.aux),
        ]
        .into_iter()
        .find_map(|(name, v)| v.filter(|v| !v.is_finite()).map(|v| (name, v)))
    }
}

impl<B: Backend> StepLosses<B> {
    /// Reads everything back to the host in one transfer.
    pub fn to_host(&self) -> HostLosses {
        let mut parts = vec![
            self.d_loss.clone(),
            self.g_loss.clone(),
            self.d_real.clone(),
            self.d_fake.clone(),
        ];
        parts.extend(self.penalty.clone());
        parts.extend(self.aux.clone());
        parts.extend(self.grad_norms.clone());
        let v = Tensor::cat(parts, 0)
            .into_data()
            .iter::<f32>()
            .collect::<Vec<_>>();
        let mut next = 4;
        let mut take = |present: bool| {
            present.then(|| {
                next += 1;
                v[next - 1]
            })
        };
        let penalty = take(self.penalty.is_some());
        let aux = take(self.aux.is_some());
        let grad_norms = self.grad_norms.is_some().then(|| [v[next], v[next + 1]]);
        HostLosses {
            d_loss: v[0],
            g_loss: v[1],
            d_real: v[2],
            d_fake: v[3],
            penalty,
            aux,
            grad_norms,
        }
    }
}

/// A generated batch (attached to the generator's graph) and its labels.
type Generated<B> = (Tensor<B, 2>, Option<Tensor<B, 1, Int>>);

/// What one discriminator step leaves for the rest of the iteration.
struct DiscriminatorStep<B: AutodiffBackend> {
    d_loss: Tensor<B::InnerBackend, 1>,
    d_real: Tensor<B::InnerBackend, 1>,
    d_fake: Tensor<B::InnerBackend, 1>,
    penalty: Option<Tensor<B::InnerBackend, 1>>,
    aux: Option<Tensor<B::InnerBackend, 1>>,
    grad_norm: Option<Tensor<B::InnerBackend, 1>>,
    /// The generated batch (still attached to the generator's graph) and its labels.
    fake: Option<Generated<B>>,
}

/// Runs Algorithm 1: each [`Trainer::step`] makes `k` discriminator updates, each on a fresh
/// minibatch of `m` data examples and `m` noise samples, then one generator update.
pub struct Trainer<B, G, D>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: Discriminator<B> + AutodiffModule<B>,
{
    config: TrainConfig,
    generator: Player<B, G>,
    discriminator: Player<B, D>,
    ema: Option<G::InnerModule>,
    prior: Prior,
    rng: GanRng,
    device: B::Device,
    iteration: usize,
    shard: Shard,
}

/// The classic algorithm's own state in a checkpoint (in format version 1 these were
/// top-level fields of `state.json`, under the same names).
#[derive(Serialize, Deserialize)]
struct ClassicState {
    rng: GanRng,
    config: serde_json::Value,
}

impl<B, G, D> Trainer<B, G, D>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: Discriminator<B> + AutodiffModule<B>,
{
    /// A trainer for `generator` and `discriminator`, with latent codes from `prior`.
    pub fn new(
        config: TrainConfig,
        generator: G,
        discriminator: D,
        prior: Prior,
        device: B::Device,
    ) -> TrainResult<Self> {
        config.validate()?;
        if generator.sample_features() != discriminator.input_features() {
            return Err(TrainError::ShapeMismatch {
                what: "generator output",
                got: generator.sample_features(),
                expected: discriminator.input_features(),
            });
        }
        let schedule = config.lr_schedule();
        Ok(Self {
            rng: rng_from_seed(config.seed),
            shard: Shard::WHOLE,
            ema: config.ema_decay.map(|_| generator.valid()),
            generator: Player::new(
                "generator",
                generator,
                &config.g_optimizer,
                config.g_lr,
                schedule,
            ),
            discriminator: Player::new(
                "discriminator",
                discriminator,
                &config.d_optimizer,
                config.d_lr,
                schedule,
            ),
            prior,
            device,
            iteration: 0,
            config,
        })
    }

    /// The generator.
    pub fn generator(&self) -> &G {
        self.generator.module()
    }

    /// The discriminator.
    pub fn discriminator(&self) -> &D {
        self.discriminator.module()
    }

    /// The moving average of the generator's weights, when `ema_decay` is set.
    pub fn ema_generator(&self) -> Option<&G::InnerModule> {
        self.ema.as_ref()
    }

    /// The generator used for sampling and evaluation: the moving average when enabled,
    /// otherwise the current generator in inference mode.
    pub fn inference_generator(&self) -> G::InnerModule {
        match &self.ema {
            Some(ema) => ema.clone(),
            None => self.generator().valid(),
        }
    }

    /// Number of completed iterations.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// The training configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Changes both learning rates from the next update on (a learning-rate schedule, or a
    /// final low-rate phase). The checkpoint records the new rates: a run resumed from it must
    /// be configured with them.
    pub fn set_learning_rates(&mut self, g_lr: f64, d_lr: f64) {
        self.config.g_lr = g_lr;
        self.config.d_lr = d_lr;
        self.generator.set_lr(g_lr);
        self.discriminator.set_lr(d_lr);
    }

    /// Whether every parameter of both networks (and of the moving average) is finite. Reads
    /// one number per network back to the host.
    pub fn weights_finite(&self) -> bool {
        finite_sum(self.generator())
            && finite_sum(self.discriminator())
            && self.ema.as_ref().is_none_or(finite_sum)
    }

    /// The prior latent codes are drawn from.
    pub fn prior(&self) -> Prior {
        self.prior
    }

    /// The device training runs on.
    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// Consumes the trainer and returns the two networks.
    pub fn into_models(self) -> (G, D) {
        (
            self.generator.into_module(),
            self.discriminator.into_module(),
        )
    }

    /// Draws `n` latent codes from the prior with the trainer's RNG.
    pub fn sample_noise(&mut self, n: usize) -> Tensor<B, 2> {
        let dim = self.generator().latent_dim();
        self.prior.sample(n, dim, &mut self.rng, &self.device)
    }

    /// `m` latent codes for a training step: in a data-parallel run, this replica's rows of
    /// the global minibatch's codes (see [`crate::parallel`]).
    fn training_noise(&mut self, m: usize) -> Tensor<B, 2> {
        let z = self.sample_noise(self.shard.global(m));
        self.shard.rows(z)
    }

    /// One iteration of Algorithm 1.
    pub fn step<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
    ) -> TrainResult<StepLosses<B::InnerBackend>> {
        self.step_with(data, false)
    }

    /// One iteration of Algorithm 1; with `measure` the parameter gradient norms of both
    /// networks are computed too (a little extra device work, still no host transfer).
    pub fn step_with<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
        measure: bool,
    ) -> TrainResult<StepLosses<B::InnerBackend>> {
        B::seed(
            &self.device,
            iteration_seed(self.config.seed, self.iteration),
        );
        let m = self.shard.local(self.config.batch_size);
        let reuse = self.config.k == 1 && !self.config.fresh_noise_for_generator;
        let mut last = None;
        for _ in 0..self.config.k {
            last = Some(self.discriminator_update(data, measure, reuse)?);
        }
        let last = last.expect("k >= 1 discriminator steps ran");

        let (fake, labels) = match last.fake {
            Some(kept) => kept,
            None => {
                let Batch { labels, .. } = data.next_batch(m, &self.device);
                let z = self.training_noise(m);
                (self.generator().generate(z, labels.clone()), labels)
            }
        };
        // The generator step differentiates through D but never updates it: a copy of D whose
        // parameters are not tracked gives G the same gradient without computing D's weight
        // gradients (the copy shares D's running statistics, which update as before).
        let frozen = self.discriminator().clone().no_grad();
        let (fake_logits, fake_aux) = frozen.discriminate_with_aux(fake, labels.clone());
        let mut g_loss = self.config.loss.generator(fake_logits);
        if let (Some(class_logits), Some(labels)) = (fake_aux, labels) {
            g_loss = g_loss + cross_entropy(class_logits, labels) * self.config.aux_weight;
        }
        let g = self.generator.take();
        let grads = GradientsParams::from_grads(g_loss.backward(), &g);
        let g_norm = measure.then(|| grad_norm(&g, &grads, &self.device));
        let g = self.generator.update(g, grads, self.iteration)?;
        if let (Some(decay), Some(ema)) = (self.config.ema_decay, self.ema.take()) {
            self.ema = Some(ema_update(ema, &g.valid(), decay));
        }
        self.iteration += 1;

        Ok(StepLosses {
            d_loss: last.d_loss,
            g_loss: g_loss.detach().inner(),
            d_real: last.d_real,
            d_fake: last.d_fake,
            penalty: last.penalty,
            aux: last.aux,
            grad_norms: g_norm
                .zip(last.grad_norm)
                .map(|(g, d)| Tensor::cat(vec![g, d], 0)),
        })
    }

    /// One discriminator update on a fresh minibatch, leaving the generator untouched: the
    /// inner loop of Algorithm 1, exposed for experiments that train `D` against a fixed `G`.
    /// Does not count as an iteration.
    pub fn train_discriminator<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
    ) -> TrainResult<StepLosses<B::InnerBackend>> {
        let step = self.discriminator_update(data, false, false)?;
        Ok(StepLosses {
            g_loss: step.d_loss.zeros_like(),
            d_loss: step.d_loss,
            d_real: step.d_real,
            d_fake: step.d_fake,
            penalty: step.penalty,
            aux: step.aux,
            grad_norms: None,
        })
    }

    fn discriminator_update<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
        measure: bool,
        keep_fake: bool,
    ) -> TrainResult<DiscriminatorStep<B>> {
        let m = self.shard.local(self.config.batch_size);
        let Batch { samples, labels } = data.next_batch(m, &self.device);
        if labels.is_none() {
            if self.generator().num_classes().is_some() {
                return Err(TrainError::MissingLabels { model: "generator" });
            }
            if self.discriminator().num_classes().is_some() {
                return Err(TrainError::MissingLabels {
                    model: "discriminator",
                });
            }
        }
        let features = samples.dims()[1];
        if features != self.discriminator().input_features() {
            return Err(TrainError::ShapeMismatch {
                what: "data batch",
                got: features,
                expected: self.discriminator().input_features(),
            });
        }
        let z = self.training_noise(m);
        let fake = self.generator().generate(z, labels.clone());
        let penalty_points = self.config.penalty.map(|penalty| {
            let real = samples.clone().inner();
            match penalty {
                GradientPenalty::WganGp { .. } => {
                    let global = self.shard.global(m);
                    let eps: Vec<f32> = (0..global).map(|_| self.rng.random::<f32>()).collect();
                    let eps = self.shard.pick(eps, 1);
                    let eps =
                        Tensor::<B::InnerBackend, 1>::from_floats(eps.as_slice(), &self.device)
                            .reshape([m, 1]);
                    real * eps.clone() + fake.clone().inner() * (eps.neg() + 1.0)
                }
                GradientPenalty::Dragan { .. } => {
                    dragan_points_shard(real, &mut self.rng, self.shard)
                }
                GradientPenalty::R1 { .. } => real,
            }
        });

        let d = self.discriminator.take();
        let (real_logits, real_aux) = d.discriminate_with_aux(samples, labels.clone());
        let (fake_logits, fake_aux) =
            d.discriminate_with_aux(fake.clone().detach(), labels.clone());
        let d_real = sigmoid(real_logits.clone().detach()).mean().inner();
        let d_fake = sigmoid(fake_logits.clone().detach()).mean().inner();
        let mut objective = self.config.loss.discriminator(real_logits, fake_logits);
        let mut aux = None;
        if let (Some(real_aux), Some(fake_aux), Some(y)) = (real_aux, fake_aux, labels.clone()) {
            let class_loss = cross_entropy(real_aux, y.clone()) + cross_entropy(fake_aux, y);
            aux = Some(class_loss.clone().detach().inner());
            objective = objective + class_loss * self.config.aux_weight;
        }
        let mut reported = objective.clone().detach().inner();
        let mut penalty_value = None;
        if let (Some(penalty), Some(points)) = (self.config.penalty, penalty_points) {
            let terms = gradient_penalty::<B, D>(
                &penalty,
                &d,
                points,
                labels.clone(),
                self.config.penalty_step,
            );
            reported = reported + terms.value.clone();
            penalty_value = Some(terms.value);
            objective = objective + terms.surrogate;
        }
        let grads = GradientsParams::from_grads(objective.backward(), &d);
        let grad_norm = measure.then(|| grad_norm(&d, &grads, &self.device));
        self.discriminator.update(d, grads, self.iteration)?;
        if let Some(c) = self.config.weight_clip {
            let d = self.discriminator.take();
            self.discriminator.put(d.map(&mut Clip { bound: c }));
        }
        Ok(DiscriminatorStep {
            d_loss: reported,
            d_real,
            d_fake,
            penalty: penalty_value,
            aux,
            grad_norm,
            fake: keep_fake.then_some((fake, labels)),
        })
    }

    /// Samples `n` points from the inference generator (see
    /// [`Trainer::inference_generator`]), with noise from the trainer's RNG.
    pub fn sample(&mut self, n: usize) -> Tensor<B::InnerBackend, 2>
    where
        G::InnerModule: Generator<B::InnerBackend>,
    {
        let z = self.sample_noise(n).inner();
        self.inference_generator().generate(z, None)
    }

    /// Generates from given latent codes (and labels for conditional models) with the
    /// inference generator, e.g. a fixed batch of noise for sample grids.
    pub fn generate(
        &self,
        z: Tensor<B::InnerBackend, 2>,
        labels: Option<Tensor<B::InnerBackend, 1, Int>>,
    ) -> Tensor<B::InnerBackend, 2>
    where
        G::InnerModule: Generator<B::InnerBackend>,
    {
        self.inference_generator().generate(z, labels)
    }
}

impl<B, G, D> Trainer<B, G, D>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: Discriminator<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    /// Writes a checkpoint of the trainer and the data source's position under `root`
    /// (atomically, see [`crate::checkpoint`]) and points `root/latest` at it. Returns the
    /// checkpoint's directory.
    pub fn save_checkpoint<S: BatchSource<B> + ?Sized>(
        &self,
        data: &S,
        root: &std::path::Path,
    ) -> TrainResult<std::path::PathBuf> {
        crate::checkpoint::save_checkpoint(self, data, root)
    }

    /// Restores the trainer and the data source from the checkpoint directory `dir` (a
    /// `step-*` directory, see [`crate::latest_checkpoint`]). The models must have the
    /// checkpoint's architecture and the training config must match the saved one except for
    /// `iterations`. On an error the trainer is left as it was.
    pub fn load_checkpoint<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
        dir: &std::path::Path,
    ) -> TrainResult<()> {
        crate::checkpoint::load_checkpoint(self, data, dir)
    }
}

impl<B: Backend> StepLosses<B> {
    /// The losses as the named scalars of a run's metrics: `d_loss`, `g_loss`, `d_real`,
    /// `d_fake`, then `penalty`, `aux`, `g_grad_norm` and `d_grad_norm` where present.
    pub fn into_log(self) -> StepLog<B> {
        let mut log = StepLog::new()
            .loss("d_loss", "discriminator loss", self.d_loss)
            .loss("g_loss", "generator loss", self.g_loss)
            .stat("d_real", self.d_real)
            .stat("d_fake", self.d_fake);
        if let Some(penalty) = self.penalty {
            log = log.loss("penalty", "gradient penalty", penalty);
        }
        if let Some(aux) = self.aux {
            log = log.loss("aux", "auxiliary loss", aux);
        }
        if let Some(norms) = self.grad_norms {
            let [g, d] = norms.chunk(2, 0).try_into().expect("two gradient norms");
            log = log.grad_norms(Some(g), Some(d));
        }
        log
    }
}

impl<B, G, D> Algorithm<B> for Trainer<B, G, D>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: Discriminator<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    fn name(&self) -> &'static str {
        CLASSIC
    }

    fn step<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
        measure: bool,
    ) -> TrainResult<StepLog<B::InnerBackend>> {
        Ok(self.step_with(data, measure)?.into_log())
    }

    fn iteration(&self) -> usize {
        self.iteration
    }

    fn iterations(&self) -> usize {
        self.config.iterations
    }

    fn device(&self) -> &B::Device {
        &self.device
    }

    fn weights_finite(&self) -> bool {
        Trainer::weights_finite(self)
    }

    fn save(&self, checkpoint: &mut CheckpointWriter) -> TrainResult<()> {
        checkpoint.player(&self.generator)?;
        checkpoint.player(&self.discriminator)?;
        if let Some(ema) = &self.ema {
            checkpoint.module("generator_ema", ema)?;
        }
        checkpoint.state(&ClassicState {
            rng: self.rng.clone(),
            config: serde_json::to_value(&self.config).expect("configs serialise to JSON"),
        });
        Ok(())
    }

    fn restore(&mut self, checkpoint: &CheckpointReader) -> TrainResult<()> {
        let state: ClassicState = checkpoint.state()?;
        // Compare the typed configs (re-serialised), so that float fields stored as f32
        // compare by value rather than by their decimal text.
        let saved: TrainConfig =
            serde_json::from_value(state.config).map_err(|e| crate::CheckpointError::Corrupt {
                path: checkpoint.state_path(),
                reason: format!("config: {e}"),
            })?;
        checkpoint.check_config(&saved, &self.config, &["iterations"])?;
        // Load into copies so that a failure leaves the trainer as it was.
        let generator = checkpoint.player(&self.generator, &self.device)?;
        let discriminator = checkpoint.player(&self.discriminator, &self.device)?;
        let ema = match &self.ema {
            Some(ema) => Some(checkpoint.module("generator_ema", ema.clone())?),
            None => None,
        };
        self.generator.restore(generator);
        self.discriminator.restore(discriminator);
        self.ema = ema;
        self.rng = state.rng;
        self.iteration = checkpoint.iteration();
        Ok(())
    }

    fn preview(&self, n: usize, seed: u64) -> Option<Tensor<B::InnerBackend, 2>> {
        let generator = self.generator();
        let z = self
            .prior
            .fixed::<B::InnerBackend>(n, generator.latent_dim(), seed, &self.device);
        let labels = generator.num_classes().map(|classes| {
            let labels: Vec<i64> = (0..n).map(|i| (i % classes) as i64).collect();
            Tensor::<B::InnerBackend, 1, Int>::from_ints(labels.as_slice(), &self.device)
        });
        Some(self.generate(z, labels))
    }

    fn join(&mut self, peer: &crate::parallel::Peer) {
        self.generator.join(peer);
        self.discriminator.join(peer);
        self.shard = peer.shard();
    }
}

/// The backend seed for an iteration: a SplitMix64 mix of the run seed and the iteration.
pub(crate) fn iteration_seed(seed: u64, iteration: usize) -> u64 {
    let mut x = seed ^ (iteration as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Mean cross-entropy of class logits against integer labels.
///
/// # Shapes
/// - `logits`: `[batch, classes]`
/// - `labels`: `[batch]`
/// - output: `[1]`
pub fn cross_entropy<B: Backend>(logits: Tensor<B, 2>, labels: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    let batch = labels.dims()[0];
    log_softmax(logits, 1)
        .gather(1, labels.reshape([batch, 1]))
        .mean()
        .neg()
}

/// L2 norm of a module's full parameter gradient, on the device.
pub(crate) fn grad_norm<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    grads: &GradientsParams,
    device: &B::Device,
) -> Tensor<B::InnerBackend, 1> {
    struct SumSquares<'a, B: AutodiffBackend> {
        grads: &'a GradientsParams,
        total: Option<Tensor<B::InnerBackend, 1>>,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for SumSquares<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if let Some(g) = self.grads.get::<B::InnerBackend, D>(param.id) {
                let s = g.powi_scalar(2).sum();
                self.total = Some(match self.total.take() {
                    Some(t) => t + s,
                    None => s,
                });
            }
        }
    }
    let mut visitor = SumSquares::<B> { grads, total: None };
    module.visit(&mut visitor);
    visitor
        .total
        .map(Tensor::sqrt)
        .unwrap_or_else(|| Tensor::zeros([1], device))
}

/// Whether the sum of all of a module's float tensors is finite (any NaN or infinity makes it
/// not).
pub(crate) fn finite_sum<B: Backend, M: burn::module::Module<B>>(module: &M) -> bool {
    crate::ema::flat_tensors(module)
        .into_iter()
        .map(|t| t.sum())
        .reduce(|a, b| a + b)
        .is_none_or(|total| total.into_scalar().elem::<f32>().is_finite())
}

/// Clamps every parameter into `[-bound, bound]`.
struct Clip {
    bound: f64,
}

impl<B: AutodiffBackend> ModuleMapper<B> for Clip {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, tensor, mapper) = param.consume();
        let require_grad = tensor.is_require_grad();
        let mut clipped = Tensor::from_inner(
            tensor
                .inner()
                .clamp((-self.bound).elem::<f32>(), self.bound.elem::<f32>()),
        );
        if require_grad {
            clipped = clipped.require_grad();
        }
        Param::from_mapped_value(id, clipped, mapper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Constant until the decay starts, then linear towards zero at the last iteration.
    #[test]
    fn learning_rate_decays_linearly_after_its_start() {
        let c = TrainConfig::new()
            .with_iterations(100)
            .with_lr_decay_start(Some(0.5));
        let factors: Vec<f64> = [0, 49, 50, 75, 99]
            .iter()
            .map(|&t| c.lr_factor(t))
            .collect();
        assert_eq!(factors, [1.0, 1.0, 1.0, 0.5, 0.02]);
        assert_eq!(TrainConfig::new().lr_factor(9999), 1.0);
    }

    #[test]
    fn invalid_configs_name_the_field() {
        let field_of = |c: TrainConfig| match c.validate() {
            Err(TrainError::InvalidParameter { field, .. }) => field,
            other => panic!("expected InvalidParameter, got {other:?}"),
        };
        assert_eq!(field_of(TrainConfig::new().with_k(0)), "k");
        assert_eq!(
            field_of(TrainConfig::new().with_batch_size(0)),
            "batch_size"
        );
        assert_eq!(field_of(TrainConfig::new().with_g_lr(0.0)), "g_lr");
        assert_eq!(
            field_of(TrainConfig::new().with_lr_decay_start(Some(1.0))),
            "lr_decay_start"
        );
        assert_eq!(
            field_of(TrainConfig::new().with_d_lr(f64::INFINITY)),
            "d_lr"
        );
        assert_eq!(
            field_of(TrainConfig::new().with_weight_clip(Some(-0.01))),
            "weight_clip"
        );
        assert!(TrainConfig::new().validate().is_ok());
    }

    /// The Wasserstein presets carry their constraint; the others clear it.
    #[test]
    fn presets_set_their_papers_settings() {
        let wgan = TrainConfig::new().with_preset(LossPreset::Wgan);
        assert_eq!(wgan.loss, GanLoss::Wasserstein);
        assert_eq!(wgan.weight_clip, Some(0.01));
        assert_eq!((wgan.k, wgan.g_lr, wgan.d_lr), (5, 5e-5, 5e-5));
        assert!(matches!(&wgan.d_optimizer, OptimizerConfig::RmsProp(_)));
        let gp = wgan.with_preset(LossPreset::WganGp);
        assert_eq!(gp.loss, GanLoss::Wasserstein);
        assert_eq!(gp.weight_clip, None);
        assert_eq!(gp.penalty, Some(GradientPenalty::WganGp { lambda: 10.0 }));
        assert!(matches!(
            &gp.g_optimizer,
            OptimizerConfig::Adam(p) if p.beta_1 == 0.0 && p.beta_2 == 0.9
        ));
        assert!(LossPreset::WganGp.forbids_batch_norm());
        let hinge = gp.with_preset(LossPreset::Hinge);
        assert_eq!((hinge.loss, hinge.penalty), (GanLoss::Hinge, None));
        assert!(hinge.validate().is_ok());
    }

    #[test]
    fn config_round_trips_through_json() {
        let config = TrainConfig::new()
            .with_loss(GanLoss::Hinge)
            .with_k(5)
            .with_d_optimizer(OptimizerConfig::RmsProp(crate::RmsPropParams::new()))
            .with_weight_clip(Some(0.01));
        let json = serde_json::to_string(&config).unwrap();
        let back: TrainConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
    }
}

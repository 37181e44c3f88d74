//! InfoGAN (Chen et al. 2016): the generator's input is noise `z` joined to latent codes — one
//! categorical code `c_d` and continuous codes `c_c ~ U[−1, 1]` — and a head `Q` on the
//! discriminator's trunk predicts the codes of generated samples. Maximising the variational
//! lower bound of the mutual information `I(c; G(z, c))` is minimising
//! `L_I = CE(Q_d, c_d) + λ_c · MSE(Q_c, c_c)` (the cross-entropy of the categorical code and a
//! fixed-variance Gaussian log-likelihood of the continuous ones), which is added, with weight
//! `λ`, to the generator's loss and to the discriminator's (whose trunk `Q` shares).
//!
//! The adversarial logit and `Q`'s outputs are separate heads on the trunk's features: the
//! logit comes from [`gan_models::FeatureDiscriminator`], `Q` is a [`QHead`] player of its own.

use burn::config::Config;
use burn::module::{AutodiffModule, Module};
use burn::optim::GradientsParams;
use burn::tensor::activation::sigmoid;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use gan_data::{Batch, BatchSource};
use gan_models::{FeatureDiscriminator, GanRng, Generator, Prior, QHead};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::algorithm::{Algorithm, Player, StepLog};
use crate::checkpoint::{CheckpointReader, CheckpointWriter};
use crate::classic::{TrainConfig, cross_entropy, finite_sum, grad_norm, iteration_seed};
use crate::error::{Result as TrainResult, TrainError};
use crate::variant::{GeneratorSide, check_shared, saved_config};

/// InfoGAN's name in checkpoints.
pub const INFOGAN: &str = "infogan";

/// InfoGAN's codes and the weights of its information term.
#[derive(Config, Debug, PartialEq)]
pub struct InfoGanConfig {
    /// Values of the categorical code (10 for digits); 0 for none.
    #[config(default = 10)]
    pub categories: usize,
    /// Number of continuous codes, each `U[−1, 1]`.
    #[config(default = 2)]
    pub continuous: usize,
    /// Weight `λ` of the information term in both players' losses (1 in the paper).
    #[config(default = 1.0)]
    pub lambda: f64,
    /// Weight `λ_c` of the continuous codes' squared error within the term.
    #[config(default = 1.0)]
    pub lambda_continuous: f64,
}

impl InfoGanConfig {
    /// Checks the config.
    pub fn validate(&self) -> TrainResult<()> {
        let invalid = |field, value: String, expected| TrainError::InvalidParameter {
            field,
            value,
            expected,
        };
        if self.categories == 1 {
            return Err(invalid("categories", "1".into(), "0 (none) or at least 2"));
        }
        if self.code_dim() == 0 {
            return Err(invalid(
                "continuous",
                "0".into(),
                "at least 1 when there is no categorical code",
            ));
        }
        for (field, value) in [
            ("lambda", self.lambda),
            ("lambda_continuous", self.lambda_continuous),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(invalid(field, value.to_string(), "a finite number >= 0"));
            }
        }
        Ok(())
    }

    /// Inputs the codes add to the generator's latent vector, and outputs of `Q`: the
    /// categorical code one-hot, then the continuous codes.
    pub fn code_dim(&self) -> usize {
        self.categories + self.continuous
    }

    /// The code block of the latent vector for given code values, `[n, code_dim]`: the
    /// categorical value `categories[i]` one-hot, then the continuous values
    /// `continuous[i * self.continuous..][..self.continuous]`. Join it to noise with
    /// [`InfoGanConfig::latent`].
    pub fn codes<B: Backend>(
        &self,
        categories: &[usize],
        continuous: &[f32],
        device: &B::Device,
    ) -> Tensor<B, 2> {
        let n = categories
            .len()
            .max(continuous.len() / self.continuous.max(1));
        let dim = self.code_dim();
        let mut values = vec![0.0f32; n * dim];
        for (i, row) in values.chunks_mut(dim).enumerate() {
            if self.categories > 0 {
                row[categories[i] % self.categories] = 1.0;
            }
            let c = self.continuous;
            row[self.categories..].copy_from_slice(&continuous[i * c..(i + 1) * c]);
        }
        Tensor::from_data(TensorData::new(values, [n, dim]), device)
    }

    /// The generator's latent vector: noise `z` (`[n, noise]`) joined to `codes`
    /// (`[n, code_dim]`).
    pub fn latent<B: Backend>(z: Tensor<B, 2>, codes: Tensor<B, 2>) -> Tensor<B, 2> {
        Tensor::cat(vec![z, codes], 1)
    }

    /// Draws `n` code values: categorical values uniform, continuous ones `U[−1, 1]`.
    pub fn draw<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> (Vec<usize>, Vec<f32>) {
        let categories = (0..n)
            .map(|_| {
                if self.categories > 0 {
                    rng.random_range(0..self.categories)
                } else {
                    0
                }
            })
            .collect();
        let continuous = (0..n * self.continuous)
            .map(|_| rng.random_range(-1.0f32..1.0))
            .collect();
        (categories, continuous)
    }
}

/// The information term's parts for one batch.
#[derive(Debug, Clone)]
pub struct InfoTerms<B: Backend> {
    /// `CE + λ_c · MSE`, `[1]`.
    pub total: Tensor<B, 1>,
    /// The categorical code's cross-entropy, `[1]`, when there is one.
    pub categorical: Option<Tensor<B, 1>>,
    /// The continuous codes' mean squared error, `[1]`, when there are any.
    pub continuous: Option<Tensor<B, 1>>,
    /// The fraction of samples whose categorical code `Q` predicts (its arg-max), `[1]`.
    pub accuracy: Option<Tensor<B, 1>>,
}

/// InfoGAN's information term `CE(Q_d, c_d) + λ_c · MSE(Q_c, c_c)` from `Q`'s outputs `q`
/// (`[n, categories + continuous]`: logits, then predictions), the categorical values
/// `categories` (`[n]`) and the continuous values `continuous` (`[n, continuous]`).
pub fn information_loss<B: Backend>(
    config: &InfoGanConfig,
    q: Tensor<B, 2>,
    categories: Tensor<B, 1, Int>,
    continuous: Tensor<B, 2>,
) -> InfoTerms<B> {
    let [n, _] = q.dims();
    let k = config.categories;
    let (categorical, accuracy) = if k > 0 {
        let logits = q.clone().slice([0..n, 0..k]);
        let predicted = logits.clone().argmax(1).reshape([n]);
        let accuracy = predicted.equal(categories.clone()).float().mean();
        (Some(cross_entropy(logits, categories)), Some(accuracy))
    } else {
        (None, None)
    };
    let continuous_error = (config.continuous > 0).then(|| {
        (q.slice([0..n, k..k + config.continuous]) - continuous)
            .square()
            .mean()
    });
    let total = match (categorical.clone(), continuous_error.clone()) {
        (Some(ce), Some(mse)) => ce + mse * config.lambda_continuous,
        (Some(ce), None) => ce,
        (None, Some(mse)) => mse * config.lambda_continuous,
        (None, None) => unreachable!("a validated InfoGAN config has a code"),
    };
    InfoTerms {
        total,
        categorical,
        continuous: continuous_error,
        accuracy,
    }
}

/// InfoGAN, generic over the generator `G` (whose latent vector is the noise joined to the
/// codes) and the discriminator `D` (whose trunk `Q` shares).
pub struct InfoGan<B, G, D>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: FeatureDiscriminator<B> + AutodiffModule<B>,
{
    config: TrainConfig,
    info: InfoGanConfig,
    generator: GeneratorSide<B, G>,
    discriminator: Player<B, D>,
    q: Player<B, QHead<B>>,
    device: B::Device,
    iteration: usize,
}

/// InfoGAN's own state in a checkpoint.
#[derive(Serialize, Deserialize)]
struct InfoGanState {
    rng: GanRng,
    config: serde_json::Value,
    info: InfoGanConfig,
}

impl<B, G, D> InfoGan<B, G, D>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: FeatureDiscriminator<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    /// InfoGAN with the shared settings of `config` (loss, optimizers — `Q` uses the
    /// discriminator's —, rates, batch size, iterations, EMA, seed; `k > 1`, clipping or a
    /// penalty are refused), its codes `info`, and `Q` on the discriminator's features. The
    /// generator's latent dimension is the noise's plus [`InfoGanConfig::code_dim`].
    pub fn new(
        config: TrainConfig,
        info: InfoGanConfig,
        generator: G,
        discriminator: D,
        q: QHead<B>,
        prior: Prior,
        device: B::Device,
    ) -> TrainResult<Self> {
        check_shared(&config, INFOGAN, true)?;
        info.validate()?;
        if generator.num_classes().is_some() || discriminator.num_classes().is_some() {
            return Err(TrainError::Unused {
                algorithm: INFOGAN,
                field: "condition",
                value: "class-conditional networks".into(),
            });
        }
        if generator.latent_dim() <= info.code_dim() {
            return Err(TrainError::ShapeMismatch {
                what: "generator latent input (noise + codes)",
                got: generator.latent_dim(),
                expected: info.code_dim() + 1,
            });
        }
        if generator.sample_features() != discriminator.input_features() {
            return Err(TrainError::ShapeMismatch {
                what: "generator output",
                got: generator.sample_features(),
                expected: discriminator.input_features(),
            });
        }
        if q.outputs() != info.code_dim() {
            return Err(TrainError::ShapeMismatch {
                what: "Q head output",
                got: q.outputs(),
                expected: info.code_dim(),
            });
        }
        let schedule = config.lr_schedule();
        Ok(Self {
            generator: GeneratorSide::new(&config, generator, prior),
            discriminator: Player::new(
                "discriminator",
                discriminator,
                &config.d_optimizer,
                config.d_lr,
                schedule,
            ),
            q: Player::new("q", q, &config.d_optimizer, config.d_lr, schedule),
            config,
            info,
            device,
            iteration: 0,
        })
    }

    /// The generator.
    pub fn generator(&self) -> &G {
        self.generator.player.module()
    }

    /// The discriminator.
    pub fn discriminator(&self) -> &D {
        self.discriminator.module()
    }

    /// The `Q` head.
    pub fn q(&self) -> &QHead<B> {
        self.q.module()
    }

    /// The codes' configuration.
    pub fn info(&self) -> &InfoGanConfig {
        &self.info
    }

    /// Noise dimension: the generator's latent dimension less the codes'.
    pub fn noise_dim(&self) -> usize {
        self.generator().latent_dim() - self.info.code_dim()
    }

    /// The generator for sampling (the weight average when kept).
    pub fn inference_generator(&self) -> G::InnerModule {
        self.generator.inference()
    }

    /// Generates from noise `z` (`[n, noise_dim]`) and given code values with the inference
    /// generator.
    pub fn generate(
        &self,
        z: Tensor<B::InnerBackend, 2>,
        categories: &[usize],
        continuous: &[f32],
    ) -> Tensor<B::InnerBackend, 2> {
        let codes = self.info.codes(categories, continuous, &self.device);
        self.inference_generator()
            .generate(InfoGanConfig::latent(z, codes), None)
    }

    /// `Q`'s predicted categorical code for samples `x` (`[n, features]`), in inference mode.
    pub fn predict_category(&self, x: Tensor<B::InnerBackend, 2>) -> Vec<usize>
    where
        D::InnerModule: FeatureDiscriminator<B::InnerBackend>,
    {
        let (_, features) = self
            .discriminator()
            .valid()
            .discriminate_with_features(x, None);
        let q = self.q().valid().forward(features);
        let n = q.dims()[0];
        q.slice([0..n, 0..self.info.categories.max(1)])
            .argmax(1)
            .into_data()
            .iter::<i64>()
            .map(|v| v as usize)
            .collect()
    }
}

impl<B, G, D> Algorithm<B> for InfoGan<B, G, D>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: FeatureDiscriminator<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    fn name(&self) -> &'static str {
        INFOGAN
    }

    fn step<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
        measure: bool,
    ) -> TrainResult<StepLog<B::InnerBackend>> {
        B::seed(
            &self.device,
            iteration_seed(self.config.seed, self.iteration),
        );
        let (m, t) = (
            self.generator.shard.local(self.config.batch_size),
            self.iteration,
        );
        let Batch { samples, .. } = data.next_batch(m, &self.device);
        let expected = self.discriminator().input_features();
        if samples.dims()[1] != expected {
            return Err(TrainError::ShapeMismatch {
                what: "data batch",
                got: samples.dims()[1],
                expected,
            });
        }
        let z = self.generator.noise(m, self.noise_dim(), &self.device);
        let shard = self.generator.shard;
        let (categories, continuous) = self.info.draw(shard.global(m), &mut self.generator.rng);
        let (categories, continuous) = (
            shard.pick(categories, 1),
            shard.pick(continuous, self.info.continuous),
        );
        let codes = self.info.codes::<B>(&categories, &continuous, &self.device);
        let fake = self
            .generator()
            .generate(InfoGanConfig::latent(z, codes), None);
        let categories = Tensor::<B, 1, Int>::from_data(
            TensorData::new(
                categories.iter().map(|&c| c as i64).collect::<Vec<_>>(),
                [m],
            ),
            &self.device,
        );
        let continuous = Tensor::<B, 2>::from_data(
            TensorData::new(continuous, [m, self.info.continuous]),
            &self.device,
        );
        let lambda = self.info.lambda;

        // Discriminator and Q: the adversarial loss plus λ L_I on the generated batch.
        let d = self.discriminator.take();
        let q = self.q.take();
        let (real_logits, _) = d.discriminate_with_features(samples, None);
        let (fake_logits, features) = d.discriminate_with_features(fake.clone().detach(), None);
        let d_real = sigmoid(real_logits.clone().detach()).mean().inner();
        let d_fake = sigmoid(fake_logits.clone().detach()).mean().inner();
        let info_d = information_loss(
            &self.info,
            q.forward(features),
            categories.clone(),
            continuous.clone(),
        );
        let adversarial = self.config.loss.discriminator(real_logits, fake_logits);
        let d_loss = adversarial.clone() + info_d.total * lambda;
        let mut grads = d_loss.backward();
        let d_grads = GradientsParams::from_module(&mut grads, &d);
        let q_grads = GradientsParams::from_module(&mut grads, &q);
        let d_norm = measure.then(|| grad_norm(&d, &d_grads, &self.device));
        self.discriminator.update(d, d_grads, t)?;
        self.q.update(q, q_grads, t)?;

        // Generator: the adversarial loss plus λ L_I through the updated, frozen D and Q.
        let frozen_d = self.discriminator().clone().no_grad();
        let frozen_q = self.q().clone().no_grad();
        let (logits, features) = frozen_d.discriminate_with_features(fake, None);
        let info = information_loss(
            &self.info,
            frozen_q.forward(features),
            categories,
            continuous,
        );
        let g_loss = self.config.loss.generator(logits) + info.total.clone() * lambda;
        let grads = GradientsParams::from_grads(g_loss.backward(), self.generator());
        let g_norm = measure.then(|| grad_norm(self.generator(), &grads, &self.device));
        self.generator.update(grads, t)?;
        self.iteration += 1;

        let mut log = StepLog::new()
            .loss("d_loss", "discriminator loss", adversarial.detach().inner())
            .loss("g_loss", "generator loss", g_loss.detach().inner())
            .stat("d_real", d_real)
            .stat("d_fake", d_fake)
            .loss("info", "information loss", info.total.detach().inner());
        if let Some(ce) = info.categorical {
            log = log.stat("info_categorical", ce.detach().inner());
        }
        if let Some(mse) = info.continuous {
            log = log.stat("info_continuous", mse.detach().inner());
        }
        if let Some(accuracy) = info.accuracy {
            log = log.stat("q_accuracy", accuracy.inner());
        }
        Ok(log.grad_norms(g_norm, d_norm))
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
        self.generator.finite() && finite_sum(self.discriminator()) && finite_sum(self.q())
    }

    fn save(&self, checkpoint: &mut CheckpointWriter) -> TrainResult<()> {
        self.generator.save(checkpoint)?;
        checkpoint.player(&self.discriminator)?;
        checkpoint.player(&self.q)?;
        checkpoint.state(&InfoGanState {
            rng: self.generator.rng.clone(),
            config: serde_json::to_value(&self.config).expect("configs serialise to JSON"),
            info: self.info.clone(),
        });
        Ok(())
    }

    fn restore(&mut self, checkpoint: &CheckpointReader) -> TrainResult<()> {
        let state: InfoGanState = checkpoint.state()?;
        let saved: TrainConfig = saved_config(checkpoint, state.config)?;
        checkpoint.check_config(&saved, &self.config, &["iterations"])?;
        checkpoint.check_config(&state.info, &self.info, &[])?;
        let generator = self.generator.load(checkpoint, &self.device)?;
        let discriminator = checkpoint.player(&self.discriminator, &self.device)?;
        let q = checkpoint.player(&self.q, &self.device)?;
        self.generator.install(generator, state.rng);
        self.discriminator.restore(discriminator);
        self.q.restore(q);
        self.iteration = checkpoint.iteration();
        Ok(())
    }

    /// Columns by categorical value (column `j` has value `j mod categories`), rows by noise
    /// (one fixed `z` per row), continuous codes 0.
    fn preview(&self, n: usize, seed: u64) -> Option<Tensor<B::InnerBackend, 2>> {
        let columns = self.info.categories.max(1);
        let rows = n.div_ceil(columns);
        let z = self.generator.prior.fixed::<B::InnerBackend>(
            rows,
            self.noise_dim(),
            seed,
            &self.device,
        );
        let row_of: Vec<i64> = (0..n).map(|i| (i / columns) as i64).collect();
        let z = z.select(
            0,
            Tensor::from_data(TensorData::new(row_of, [n]), &self.device),
        );
        let categories: Vec<usize> = (0..n).map(|i| i % columns).collect();
        let continuous = vec![0.0; n * self.info.continuous];
        Some(self.generate(z, &categories, &continuous))
    }

    fn join(&mut self, peer: &crate::parallel::Peer) {
        self.generator.join(peer);
        self.discriminator.join(peer);
        self.q.join(peer);
    }
}

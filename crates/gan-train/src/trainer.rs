use burn::config::Config;
use burn::module::{AutodiffModule, ModuleMapper, Param};
use burn::optim::GradientsParams;
use burn::tensor::activation::sigmoid;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use gan_data::{Batch, BatchSource};
use gan_models::{Discriminator, GanRng, Generator, Prior, rng_from_seed};

use crate::error::{Result as TrainResult, TrainError};
use crate::loss::GanLoss;
use crate::optim::{GanOptimizer, OptimizerConfig};

/// Hyper-parameters of adversarial training (Algorithm 1 of Goodfellow et al. 2014).
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// The adversarial loss.
    #[config(default = "GanLoss::NonSaturating")]
    pub loss: GanLoss,
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
    /// Draw fresh noise for the generator step instead of reusing the discriminator step's
    /// generated batch (the literal form of Algorithm 1; costs one more generator forward
    /// pass per iteration when `k = 1`).
    #[config(default = false)]
    pub fresh_noise_for_generator: bool,
    /// Seed of the noise generator.
    #[config(default = 0)]
    pub seed: u64,
}

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
        if self.batch_size == 0 {
            return Err(invalid("batch_size", "0".into(), "at least 1"));
        }
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
        Ok(())
    }
}

/// The losses and discriminator outputs of one training iteration, still on the device so that
/// nothing is read back unless the caller asks.
#[derive(Debug, Clone)]
pub struct StepLosses<B: Backend> {
    /// Discriminator loss of the last discriminator step.
    pub d_loss: Tensor<B, 1>,
    /// Generator loss.
    pub g_loss: Tensor<B, 1>,
    /// Mean `sigmoid(D logit)` on the real batch of the last discriminator step.
    pub d_real: Tensor<B, 1>,
    /// Mean `sigmoid(D logit)` on the generated batch of the last discriminator step.
    pub d_fake: Tensor<B, 1>,
}

impl<B: Backend> StepLosses<B> {
    /// Reads the values to the host: `[d_loss, g_loss, d_real, d_fake]`.
    pub fn to_host(&self) -> [f32; 4] {
        let values = Tensor::cat(
            vec![
                self.d_loss.clone(),
                self.g_loss.clone(),
                self.d_real.clone(),
                self.d_fake.clone(),
            ],
            0,
        )
        .into_data();
        let v = values.iter::<f32>().collect::<Vec<_>>();
        [v[0], v[1], v[2], v[3]]
    }
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
    generator: Option<G>,
    discriminator: Option<D>,
    g_optim: GanOptimizer<G, B>,
    d_optim: GanOptimizer<D, B>,
    prior: Prior,
    rng: GanRng,
    device: B::Device,
    iteration: usize,
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
        Ok(Self {
            g_optim: config.g_optimizer.init(),
            d_optim: config.d_optimizer.init(),
            rng: rng_from_seed(config.seed),
            generator: Some(generator),
            discriminator: Some(discriminator),
            prior,
            device,
            iteration: 0,
            config,
        })
    }

    /// The generator.
    pub fn generator(&self) -> &G {
        self.generator
            .as_ref()
            .expect("generator is present between steps")
    }

    /// The discriminator.
    pub fn discriminator(&self) -> &D {
        self.discriminator
            .as_ref()
            .expect("discriminator is present between steps")
    }

    /// Number of completed iterations.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// The training configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Consumes the trainer and returns the two networks.
    pub fn into_models(self) -> (G, D) {
        (
            self.generator.expect("generator is present between steps"),
            self.discriminator
                .expect("discriminator is present between steps"),
        )
    }

    /// Draws `n` latent codes from the prior with the trainer's RNG.
    pub fn sample_noise(&mut self, n: usize) -> Tensor<B, 2> {
        let dim = self.generator().latent_dim();
        self.prior.sample(n, dim, &mut self.rng, &self.device)
    }

    /// One iteration of Algorithm 1.
    pub fn step<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
    ) -> TrainResult<StepLosses<B::InnerBackend>> {
        let m = self.config.batch_size;
        let loss = self.config.loss;
        let reuse = self.config.k == 1 && !self.config.fresh_noise_for_generator;
        let mut kept_fake = None;
        let mut d_stats = None;

        for _ in 0..self.config.k {
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
            let z = self.sample_noise(m);
            let fake = self.generator().generate(z, labels.clone());
            let d = self.discriminator.take().expect("discriminator present");
            let real_logits = d.discriminate(samples, labels.clone());
            let fake_logits = d.discriminate(fake.clone().detach(), labels.clone());
            let d_real = sigmoid(real_logits.clone().detach()).mean().inner();
            let d_fake = sigmoid(fake_logits.clone().detach()).mean().inner();
            let d_loss = loss.discriminator(real_logits, fake_logits);
            let grads = GradientsParams::from_grads(d_loss.backward(), &d);
            let mut d = self.d_optim.step(self.config.d_lr, d, grads);
            if let Some(c) = self.config.weight_clip {
                d = d.map(&mut Clip { bound: c });
            }
            self.discriminator = Some(d);
            d_stats = Some((d_loss.detach().inner(), d_real, d_fake));
            if reuse {
                kept_fake = Some((fake, labels));
            }
        }

        let (fake, labels) = match kept_fake {
            Some(kept) => kept,
            None => {
                let Batch { labels, .. } = data.next_batch(m, &self.device);
                let z = self.sample_noise(m);
                (self.generator().generate(z, labels.clone()), labels)
            }
        };
        let g_loss = loss.generator(self.discriminator().discriminate(fake, labels));
        let g = self.generator.take().expect("generator present");
        let grads = GradientsParams::from_grads(g_loss.backward(), &g);
        self.generator = Some(self.g_optim.step(self.config.g_lr, g, grads));
        self.iteration += 1;

        let (d_loss, d_real, d_fake) = d_stats.expect("k >= 1 discriminator steps ran");
        Ok(StepLosses {
            d_loss,
            g_loss: g_loss.detach().inner(),
            d_real,
            d_fake,
        })
    }

    /// Samples `n` points from the generator in inference mode (dropout and batch norm in
    /// evaluation behaviour), on the inner backend.
    pub fn sample(&mut self, n: usize) -> Tensor<B::InnerBackend, 2>
    where
        G::InnerModule: Generator<B::InnerBackend>,
    {
        let z = self.sample_noise(n).inner();
        self.generator().valid().generate(z, None)
    }
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
            field_of(TrainConfig::new().with_d_lr(f64::INFINITY)),
            "d_lr"
        );
        assert_eq!(
            field_of(TrainConfig::new().with_weight_clip(Some(-0.01))),
            "weight_clip"
        );
        assert_eq!(TrainConfig::new().validate(), Ok(()));
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

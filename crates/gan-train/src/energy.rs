//! The terms of the energy-based GANs, whose discriminator is an autoencoder
//! ([`gan_models::Autoencoder`]) and scores a sample by how badly it reconstructs it.
//!
//! - EBGAN (Zhao et al. 2017): the energy is the per-sample mean squared reconstruction error
//!   ([`mse_energy`]); `L_D = E(x) + max(0, m − E(G(z)))` ([`ebgan_discriminator_loss`]),
//!   `L_G = E(G(z)) + w · PT` with the pull-away term [`pull_away`] on the codes of the
//!   generated batch.
//! - BEGAN (Berthelot et al. 2017): the loss is the mean absolute reconstruction error
//!   ([`l1_energy`]); `L_D = L(x) − k_t · L(G(z))`, `L_G = L(G(z))`, and `k_t` follows the
//!   balance `γ L(x) = L(G(z))` ([`began_balance`]), with the convergence measure
//!   [`began_convergence`].

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::{AutodiffBackend, Backend};
use gan_data::{Batch, BatchSource};
use gan_models::{Autoencoder, GanRng, Generator, Prior};

use crate::algorithm::Player;
use crate::checkpoint::{CheckpointReader, CheckpointWriter};
use crate::classic::{TrainConfig, finite_sum, iteration_seed};
use crate::error::{Result as TrainResult, TrainError};
use crate::parallel::Peer;
use crate::variant::{GeneratorSide, check_shared, saved_config};

/// The per-sample mean squared reconstruction error `E(x) = ‖D(x) − x‖² / n`.
///
/// # Shapes
/// - `x`, `reconstruction`: `[batch, n]`
/// - output: `[batch, 1]`
pub fn mse_energy<B: Backend>(x: Tensor<B, 2>, reconstruction: Tensor<B, 2>) -> Tensor<B, 2> {
    (reconstruction - x).square().mean_dim(1)
}

/// The per-sample mean absolute reconstruction error `L(x) = ‖D(x) − x‖₁ / n`.
///
/// # Shapes
/// - `x`, `reconstruction`: `[batch, n]`
/// - output: `[batch, 1]`
pub fn l1_energy<B: Backend>(x: Tensor<B, 2>, reconstruction: Tensor<B, 2>) -> Tensor<B, 2> {
    (reconstruction - x).abs().mean_dim(1)
}

/// EBGAN's discriminator loss `mean E(x) + mean max(0, m − E(G(z)))`: real energies are pushed
/// down, generated ones up until they reach the margin `m`.
///
/// # Shapes
/// - `real`, `fake`: `[batch, 1]` energies
/// - output: `[1]`
pub fn ebgan_discriminator_loss<B: Backend>(
    real: Tensor<B, 2>,
    fake: Tensor<B, 2>,
    margin: f64,
) -> Tensor<B, 1> {
    real.mean() + relu(fake.neg() + margin).mean()
}

/// EBGAN's pull-away term: the mean squared cosine similarity over the pairs `i ≠ j` of a
/// batch's codes, `1 / (N (N − 1)) Σ_{i≠j} (sᵢᵀ sⱼ / ‖sᵢ‖ ‖sⱼ‖)²`, each row normalised by its
/// own L2 norm. It is 0 for mutually orthogonal codes and 1 for parallel ones; the generator
/// lowers it to spread its samples. `0` for a batch of one.
///
/// # Shapes
/// - `codes`: `[batch, dim]`
/// - output: `[1]`
pub fn pull_away<B: Backend>(codes: Tensor<B, 2>) -> Tensor<B, 1> {
    let [n, _] = codes.dims();
    if n < 2 {
        return Tensor::zeros([1], &codes.device());
    }
    let norms = codes.clone().square().sum_dim(1).sqrt().clamp_min(1e-12); // [n, 1]
    let unit = codes / norms;
    let cosines = unit.clone().matmul(unit.clone().transpose()); // [n, n]
    // The diagonal holds ‖sᵢ‖² = 1 up to rounding: subtract it as computed.
    let diagonal = unit.square().sum_dim(1).square().sum(); // Σᵢ (sᵢᵀ sᵢ)²
    (cosines.square().sum() - diagonal) / ((n * (n - 1)) as f64)
}

/// BEGAN's balance update `k_{t+1} = clip(k_t + λ_k (γ L(x) − L(G(z))), 0, 1)`.
///
/// # Shapes
/// - `k`, `real`, `fake`: `[1]`
/// - output: `[1]`
pub fn began_balance<B: Backend>(
    k: Tensor<B, 1>,
    real: Tensor<B, 1>,
    fake: Tensor<B, 1>,
    gamma: f64,
    lambda_k: f64,
) -> Tensor<B, 1> {
    (k + (real * gamma - fake) * lambda_k).clamp(0.0, 1.0)
}

/// BEGAN's convergence measure `M = L(x) + |γ L(x) − L(G(z))|`, which falls as training
/// converges.
///
/// # Shapes
/// - `real`, `fake`: `[1]`
/// - output: `[1]`
pub fn began_convergence<B: Backend>(
    real: Tensor<B, 1>,
    fake: Tensor<B, 1>,
    gamma: f64,
) -> Tensor<B, 1> {
    real.clone() + (real * gamma - fake).abs()
}

/// What EBGAN and BEGAN share: a generator against an autoencoder discriminator, each with its
/// own optimizer, one update of each per iteration on the same noise.
pub(crate) struct AutoencoderGame<B, G, A>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    A: Autoencoder<B> + AutodiffModule<B>,
{
    pub config: TrainConfig,
    pub generator: GeneratorSide<B, G>,
    pub discriminator: Player<B, A>,
    pub device: B::Device,
    pub iteration: usize,
    /// The peer of a data-parallel run, when this game is one replica.
    pub peer: Option<Peer>,
}

impl<B, G, A> AutoencoderGame<B, G, A>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    A: Autoencoder<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    pub fn new(
        name: &'static str,
        config: TrainConfig,
        generator: G,
        autoencoder: A,
        prior: Prior,
        device: B::Device,
    ) -> TrainResult<Self> {
        check_shared(&config, name, false)?;
        if generator.num_classes().is_some() {
            return Err(TrainError::Unused {
                algorithm: name,
                field: "generator.condition",
                value: "class-conditional".into(),
            });
        }
        if generator.sample_features() != autoencoder.input_features() {
            return Err(TrainError::ShapeMismatch {
                what: "generator output",
                got: generator.sample_features(),
                expected: autoencoder.input_features(),
            });
        }
        Ok(Self {
            generator: GeneratorSide::new(&config, generator, prior),
            discriminator: Player::new(
                "discriminator",
                autoencoder,
                &config.d_optimizer,
                config.d_lr,
                config.lr_schedule(),
            ),
            config,
            device,
            iteration: 0,
            peer: None,
        })
    }

    /// Seeds the backend for the iteration and draws a real minibatch and a generated one
    /// (attached to the generator's graph).
    pub fn batches<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
    ) -> TrainResult<(Tensor<B, 2>, Tensor<B, 2>)> {
        B::seed(
            &self.device,
            iteration_seed(self.config.seed, self.iteration),
        );
        let m = self.generator.shard.local(self.config.batch_size);
        let Batch { samples, .. } = data.next_batch(m, &self.device);
        let features = samples.dims()[1];
        let expected = self.discriminator.module().input_features();
        if features != expected {
            return Err(TrainError::ShapeMismatch {
                what: "data batch",
                got: features,
                expected,
            });
        }
        let generator = self.generator.player.module();
        let dim = generator.latent_dim();
        let z = self.generator.noise(m, dim, &self.device);
        let fake = self.generator.player.module().generate(z, None);
        Ok((samples, fake))
    }

    /// Differentiates `g_loss` into the generator, steps it and counts the iteration; returns
    /// the gradient's norm when `measure`.
    pub fn update_generator(
        &mut self,
        g_loss: Tensor<B, 1>,
        measure: bool,
    ) -> TrainResult<Option<Tensor<B::InnerBackend, 1>>> {
        let grads = GradientsParams::from_grads(g_loss.backward(), self.generator.player.module());
        let norm = measure.then(|| {
            crate::classic::grad_norm(self.generator.player.module(), &grads, &self.device)
        });
        self.generator.update(grads, self.iteration)?;
        self.iteration += 1;
        Ok(norm)
    }

    /// Joins a data-parallel run as `peer`: both players and the noise.
    pub fn join(&mut self, peer: &Peer) {
        self.generator.join(peer);
        self.discriminator.join(peer);
        self.peer = Some(peer.clone());
    }

    pub fn finite(&self) -> bool {
        self.generator.finite() && finite_sum(self.discriminator.module())
    }

    pub fn config_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.config).expect("configs serialise to JSON")
    }

    pub fn save(&self, checkpoint: &mut CheckpointWriter) -> TrainResult<()> {
        self.generator.save(checkpoint)?;
        checkpoint.player(&self.discriminator)
    }

    /// Restores both players, the RNG and the iteration after checking the saved shared
    /// config; on an error nothing changes.
    pub fn restore(
        &mut self,
        checkpoint: &CheckpointReader,
        config: serde_json::Value,
        rng: GanRng,
    ) -> TrainResult<()> {
        let saved: TrainConfig = saved_config(checkpoint, config)?;
        checkpoint.check_config(&saved, &self.config, &["iterations"])?;
        let generator = self.generator.load(checkpoint, &self.device)?;
        let discriminator = checkpoint.player(&self.discriminator, &self.device)?;
        self.generator.install(generator, rng);
        self.discriminator.restore(discriminator);
        self.iteration = checkpoint.iteration();
        Ok(())
    }

    pub fn preview(&self, n: usize, seed: u64) -> Tensor<B::InnerBackend, 2> {
        let generator = self.generator.inference();
        let z = self.generator.prior.fixed::<B::InnerBackend>(
            n,
            generator.latent_dim(),
            seed,
            &self.device,
        );
        generator.generate(z, None)
    }
}

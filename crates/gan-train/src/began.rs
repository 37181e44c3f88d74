//! BEGAN (Berthelot et al. 2017): the discriminator is an autoencoder with an L1
//! reconstruction loss `L`; it lowers `L(x)` and raises `L(G(z))` in proportion `k_t`, which a
//! proportional controller keeps at the balance `γ L(x) = L(G(z))`. The generator lowers
//! `L(G(z))`. `k_t` is the algorithm's state: a checkpoint stores it and a resumed run
//! continues it exactly. See [`crate::energy`] for the terms.

use burn::config::Config;
use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};
use gan_data::BatchSource;
use gan_models::{Autoencoder, GanRng, Generator, Prior};
use serde::{Deserialize, Serialize};

use crate::algorithm::{Algorithm, StepLog};
use crate::checkpoint::{CheckpointReader, CheckpointWriter};
use crate::classic::TrainConfig;
use crate::energy::{AutoencoderGame, began_balance, began_convergence, l1_energy};
use crate::error::{Result as TrainResult, TrainError};

/// BEGAN's name in checkpoints.
pub const BEGAN: &str = "began";

/// BEGAN's own hyper-parameters.
#[derive(Config, Debug, PartialEq)]
pub struct BeganConfig {
    /// The diversity ratio `γ = E L(G(z)) / E L(x)` the controller aims for (0.5 or 0.75 in
    /// the paper; lower values give sharper, less diverse samples).
    #[config(default = 0.5)]
    pub gamma: f64,
    /// The controller's gain `λ_k` (0.001 in the paper).
    #[config(default = 1e-3)]
    pub lambda_k: f64,
    /// The initial balance `k_0` (0 in the paper).
    #[config(default = 0.0)]
    pub k0: f64,
}

impl BeganConfig {
    /// Checks the config.
    pub fn validate(&self) -> TrainResult<()> {
        let invalid = |field, value: f64, expected| TrainError::InvalidParameter {
            field,
            value: value.to_string(),
            expected,
        };
        if !(self.gamma.is_finite() && self.gamma > 0.0 && self.gamma <= 1.0) {
            return Err(invalid("gamma", self.gamma, "a number in (0, 1]"));
        }
        if !(self.lambda_k.is_finite() && self.lambda_k >= 0.0) {
            return Err(invalid("lambda_k", self.lambda_k, "a finite number >= 0"));
        }
        if !(0.0..=1.0).contains(&self.k0) {
            return Err(invalid("k0", self.k0, "a number in [0, 1]"));
        }
        Ok(())
    }
}

/// BEGAN, generic over the generator `G` and the autoencoder discriminator `A`.
pub struct Began<B, G, A>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    A: Autoencoder<B> + AutodiffModule<B>,
{
    game: AutoencoderGame<B, G, A>,
    began: BeganConfig,
    /// `k_t`, `[1]`, kept on the device (no host transfer per iteration).
    k: Tensor<B::InnerBackend, 1>,
}

/// BEGAN's own state in a checkpoint.
#[derive(Serialize, Deserialize)]
struct BeganState {
    rng: GanRng,
    config: serde_json::Value,
    began: BeganConfig,
    /// `k_t`, stored as the f32 the device holds (JSON round-trips it exactly).
    k: f32,
}

impl<B, G, A> Began<B, G, A>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    A: Autoencoder<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    /// BEGAN with the shared settings of `config` (optimizers, rates, batch size, iterations,
    /// EMA, seed; a loss, `k`, clipping or a penalty are refused) and its own `began`.
    pub fn new(
        config: TrainConfig,
        began: BeganConfig,
        generator: G,
        autoencoder: A,
        prior: Prior,
        device: B::Device,
    ) -> TrainResult<Self> {
        began.validate()?;
        let k = Tensor::from_floats([began.k0 as f32], &device);
        Ok(Self {
            game: AutoencoderGame::new(BEGAN, config, generator, autoencoder, prior, device)?,
            began,
            k,
        })
    }

    /// The current balance `k_t` (one host transfer).
    pub fn k(&self) -> f32 {
        self.k.clone().into_scalar().elem()
    }

    /// The generator.
    pub fn generator(&self) -> &G {
        self.game.generator.player.module()
    }

    /// The autoencoder discriminator.
    pub fn discriminator(&self) -> &A {
        self.game.discriminator.module()
    }

    /// The generator for sampling (the weight average when kept).
    pub fn inference_generator(&self) -> G::InnerModule {
        self.game.generator.inference()
    }
}

impl<B, G, A> Algorithm<B> for Began<B, G, A>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    A: Autoencoder<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    fn name(&self) -> &'static str {
        BEGAN
    }

    fn step<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
        measure: bool,
    ) -> TrainResult<StepLog<B::InnerBackend>> {
        let (real, fake) = self.game.batches(data)?;
        let t = self.game.iteration;
        let BeganConfig {
            gamma, lambda_k, ..
        } = self.began;

        // Discriminator: L(x) − k_t L(G(z)), with k_t a constant of the step.
        let d = self.game.discriminator.take();
        let l_real = l1_energy(real.clone(), d.autoencode(real).0).mean();
        let detached = fake.clone().detach();
        let l_fake_d = l1_energy(detached.clone(), d.autoencode(detached).0).mean();
        let k = Tensor::<B, 1>::from_inner(self.k.clone());
        let d_loss = l_real.clone() - k * l_fake_d;
        let grads = GradientsParams::from_grads(d_loss.backward(), &d);
        let d_norm = measure.then(|| crate::classic::grad_norm(&d, &grads, &self.game.device));
        self.game.discriminator.update(d, grads, t)?;

        // Generator: L(G(z)) under the updated discriminator.
        let frozen = self.game.discriminator.module().clone().no_grad();
        let g_loss = l1_energy(fake.clone(), frozen.autoencode(fake).0).mean();
        let g_norm = self.game.update_generator(g_loss.clone(), measure)?;

        // The controller, on the values of this iteration's two updates.
        let mut l_real = l_real.detach().inner();
        let mut l_fake = g_loss.detach().inner();
        if let Some(peer) = &self.game.peer {
            // k_t is shared state: every replica updates it from the global minibatch's losses.
            let both = peer.mean(
                Tensor::cat(vec![l_real, l_fake], 0),
                "BEGAN's loss all-reduce",
            )?;
            l_real = both.clone().narrow(0, 0, 1);
            l_fake = both.narrow(0, 1, 1);
        }
        let d_loss = d_loss.detach().inner();
        self.k = began_balance(
            self.k.clone(),
            l_real.clone(),
            l_fake.clone(),
            gamma,
            lambda_k,
        );
        let convergence = began_convergence(l_real.clone(), l_fake.clone(), gamma);
        let log = StepLog::new()
            .loss("d_loss", "discriminator loss", d_loss)
            .loss("g_loss", "generator loss", l_fake.clone())
            .stat("l_real", l_real)
            .stat("l_fake", l_fake)
            .stat("k", self.k.clone())
            .stat("convergence", convergence);
        Ok(log.grad_norms(g_norm, d_norm))
    }

    fn iteration(&self) -> usize {
        self.game.iteration
    }

    fn iterations(&self) -> usize {
        self.game.config.iterations
    }

    fn device(&self) -> &B::Device {
        &self.game.device
    }

    fn weights_finite(&self) -> bool {
        self.game.finite()
    }

    fn save(&self, checkpoint: &mut CheckpointWriter) -> TrainResult<()> {
        self.game.save(checkpoint)?;
        checkpoint.state(&BeganState {
            rng: self.game.generator.rng.clone(),
            config: self.game.config_json(),
            began: self.began.clone(),
            k: self.k(),
        });
        Ok(())
    }

    fn restore(&mut self, checkpoint: &CheckpointReader) -> TrainResult<()> {
        let state: BeganState = checkpoint.state()?;
        checkpoint.check_config(&state.began, &self.began, &[])?;
        if !(0.0..=1.0).contains(&state.k) {
            return Err(crate::CheckpointError::Corrupt {
                path: checkpoint.state_path(),
                reason: format!("k = {} is outside [0, 1]", state.k),
            }
            .into());
        }
        self.game.restore(checkpoint, state.config, state.rng)?;
        self.k = Tensor::from_floats([state.k], &self.game.device);
        Ok(())
    }

    fn preview(&self, n: usize, seed: u64) -> Option<Tensor<B::InnerBackend, 2>> {
        Some(self.game.preview(n, seed))
    }

    fn join(&mut self, peer: &crate::parallel::Peer) {
        self.game.join(peer);
    }
}

//! EBGAN (Zhao et al. 2017): the discriminator is an autoencoder whose reconstruction error is
//! an energy, low on the data and pushed up to a margin on generated samples; the generator
//! lowers its samples' energy and, through the pull-away term, spreads their codes. See
//! [`crate::energy`] for the terms.

use burn::config::Config;
use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use gan_data::BatchSource;
use gan_models::{Autoencoder, GanRng, Generator, Prior};
use serde::{Deserialize, Serialize};

use crate::algorithm::{Algorithm, StepLog};
use crate::checkpoint::{CheckpointReader, CheckpointWriter};
use crate::classic::TrainConfig;
use crate::energy::{AutoencoderGame, ebgan_discriminator_loss, mse_energy, pull_away};
use crate::error::{Result as TrainResult, TrainError};

/// EBGAN's name in checkpoints.
pub const EBGAN: &str = "ebgan";

/// EBGAN's own hyper-parameters.
#[derive(Config, Debug, PartialEq)]
pub struct EbganConfig {
    /// The margin `m` of the discriminator's hinge on generated energies.
    #[config(default = 1.0)]
    pub margin: f64,
    /// Weight of the pull-away term in the generator's loss (0.1 in the paper).
    #[config(default = 0.1)]
    pub pull_away: f64,
}

impl EbganConfig {
    /// Checks the config.
    pub fn validate(&self) -> TrainResult<()> {
        for (field, value) in [("margin", self.margin), ("pull_away", self.pull_away)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(TrainError::InvalidParameter {
                    field,
                    value: value.to_string(),
                    expected: "a finite number >= 0",
                });
            }
        }
        Ok(())
    }
}

/// EBGAN, generic over the generator `G` and the autoencoder discriminator `A`.
pub struct Ebgan<B, G, A>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    A: Autoencoder<B> + AutodiffModule<B>,
{
    game: AutoencoderGame<B, G, A>,
    ebgan: EbganConfig,
}

/// EBGAN's own state in a checkpoint.
#[derive(Serialize, Deserialize)]
struct EbganState {
    rng: GanRng,
    config: serde_json::Value,
    ebgan: EbganConfig,
}

impl<B, G, A> Ebgan<B, G, A>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    A: Autoencoder<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    /// EBGAN with the shared settings of `config` (optimizers, rates, batch size, iterations,
    /// EMA, seed; a loss, `k`, clipping or a penalty are refused) and its own `ebgan`.
    pub fn new(
        config: TrainConfig,
        ebgan: EbganConfig,
        generator: G,
        autoencoder: A,
        prior: Prior,
        device: B::Device,
    ) -> TrainResult<Self> {
        ebgan.validate()?;
        Ok(Self {
            game: AutoencoderGame::new(EBGAN, config, generator, autoencoder, prior, device)?,
            ebgan,
        })
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

impl<B, G, A> Algorithm<B> for Ebgan<B, G, A>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    A: Autoencoder<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    fn name(&self) -> &'static str {
        EBGAN
    }

    fn step<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
        measure: bool,
    ) -> TrainResult<StepLog<B::InnerBackend>> {
        let (real, fake) = self.game.batches(data)?;
        let t = self.game.iteration;

        // Discriminator: real energies down, generated ones up to the margin.
        let d = self.game.discriminator.take();
        let e_real = mse_energy(real.clone(), d.autoencode(real).0);
        let detached = fake.clone().detach();
        let e_fake = mse_energy(detached.clone(), d.autoencode(detached).0);
        let d_loss = ebgan_discriminator_loss(e_real.clone(), e_fake.clone(), self.ebgan.margin);
        let grads = GradientsParams::from_grads(d_loss.backward(), &d);
        let d_norm = measure.then(|| crate::classic::grad_norm(&d, &grads, &self.game.device));
        self.game.discriminator.update(d, grads, t)?;

        // Generator: lower the energy of its samples, spread their codes.
        let frozen = self.game.discriminator.module().clone().no_grad();
        let (reconstruction, codes) = frozen.autoencode(fake.clone());
        let energy = mse_energy(fake, reconstruction).mean();
        let pt = pull_away(codes);
        let g_loss = energy.clone() + pt.clone() * self.ebgan.pull_away;
        let g_norm = self.game.update_generator(g_loss.clone(), measure)?;

        let log = StepLog::new()
            .loss("d_loss", "discriminator loss", d_loss.detach().inner())
            .loss("g_loss", "generator loss", g_loss.detach().inner())
            .stat("e_real", e_real.detach().inner().mean())
            .stat("e_fake", e_fake.detach().inner().mean())
            .stat("pull_away", pt.detach().inner());
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
        checkpoint.state(&EbganState {
            rng: self.game.generator.rng.clone(),
            config: self.game.config_json(),
            ebgan: self.ebgan.clone(),
        });
        Ok(())
    }

    fn restore(&mut self, checkpoint: &CheckpointReader) -> TrainResult<()> {
        let state: EbganState = checkpoint.state()?;
        checkpoint.check_config(&state.ebgan, &self.ebgan, &[])?;
        self.game.restore(checkpoint, state.config, state.rng)
    }

    fn preview(&self, n: usize, seed: u64) -> Option<Tensor<B::InnerBackend, 2>> {
        Some(self.game.preview(n, seed))
    }

    fn join(&mut self, peer: &crate::parallel::Peer) {
        self.game.join(peer);
    }
}

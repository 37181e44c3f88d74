//! What the algorithms after the classic one share: the shared hyper-parameters they take
//! from [`TrainConfig`] (and the ones they refuse), and the generator's side of the game — its
//! player, its weight average, its prior and the noise RNG.

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use gan_models::{GanRng, Generator, Prior, rng_from_seed};

use crate::algorithm::Player;
use crate::checkpoint::{CheckpointReader, CheckpointWriter};
use crate::classic::{TrainConfig, finite_sum};
use crate::ema::ema_update;
use crate::error::{Result as TrainResult, TrainError};
use crate::loss::GanLoss;
use crate::parallel::{Peer, Shard};

/// Checks the shared settings of `config` for the algorithm named `algorithm`, refusing what it
/// does not use: weight clipping, gradient penalties, `k > 1` and, unless `uses_loss`, a loss
/// other than the default. InfoGAN, EBGAN and BEGAN call it when they are built; a front end
/// can call it before it writes anything.
pub fn check_shared(
    config: &TrainConfig,
    algorithm: &'static str,
    uses_loss: bool,
) -> TrainResult<()> {
    config.validate()?;
    let unused = |field: &'static str, value: String| TrainError::Unused {
        algorithm,
        field,
        value,
    };
    if config.k != 1 {
        return Err(unused("k", config.k.to_string()));
    }
    if let Some(c) = config.weight_clip {
        return Err(unused("weight_clip", c.to_string()));
    }
    if let Some(p) = &config.penalty {
        return Err(unused("penalty", format!("{p:?}")));
    }
    if !uses_loss && config.loss != GanLoss::NonSaturating {
        return Err(unused("loss", format!("{:?}", config.loss)));
    }
    Ok(())
}

/// The generator's side of a two-player algorithm.
pub(crate) struct GeneratorSide<B: AutodiffBackend, G: Generator<B> + AutodiffModule<B>> {
    pub player: Player<B, G>,
    pub ema: Option<G::InnerModule>,
    pub ema_decay: Option<f64>,
    pub prior: Prior,
    pub rng: GanRng,
    /// The rows of the global minibatch this replica trains on.
    pub shard: Shard,
}

impl<B, G> GeneratorSide<B, G>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    /// The generator `generator`, trained with `config`'s generator optimizer and rate.
    pub fn new(config: &TrainConfig, generator: G, prior: Prior) -> Self {
        Self {
            ema: config.ema_decay.map(|_| generator.valid()),
            player: Player::new(
                "generator",
                generator,
                &config.g_optimizer,
                config.g_lr,
                config.lr_schedule(),
            ),
            ema_decay: config.ema_decay,
            prior,
            rng: rng_from_seed(config.seed),
            shard: Shard::WHOLE,
        }
    }

    /// Joins a data-parallel run as `peer`.
    pub fn join(&mut self, peer: &Peer) {
        self.player.join(peer);
        self.shard = peer.shard();
    }

    /// `n` training codes of dimension `dim` from the prior: this replica's rows of the
    /// global minibatch's codes.
    pub fn noise(&mut self, n: usize, dim: usize, device: &B::Device) -> Tensor<B, 2> {
        let z = self
            .prior
            .sample(self.shard.global(n), dim, &mut self.rng, device);
        self.shard.rows(z)
    }

    /// One optimizer step of the generator at iteration `t`, then the weight average.
    pub fn update(&mut self, grads: GradientsParams, t: usize) -> TrainResult<()> {
        let g = self.player.take();
        let g = self.player.update(g, grads, t)?;
        if let (Some(decay), Some(ema)) = (self.ema_decay, self.ema.take()) {
            self.ema = Some(ema_update(ema, &g.valid(), decay));
        }
        Ok(())
    }

    /// The generator for sampling: the weight average when kept, else the current weights.
    pub fn inference(&self) -> G::InnerModule {
        match &self.ema {
            Some(ema) => ema.clone(),
            None => self.player.module().valid(),
        }
    }

    /// Whether the generator's (and the average's) weights are finite.
    pub fn finite(&self) -> bool {
        finite_sum(self.player.module()) && self.ema.as_ref().is_none_or(finite_sum)
    }

    /// Writes the player and the average.
    pub fn save(&self, checkpoint: &mut CheckpointWriter) -> TrainResult<()> {
        checkpoint.player(&self.player)?;
        if let Some(ema) = &self.ema {
            checkpoint.module("generator_ema", ema)?;
        }
        Ok(())
    }

    /// Reads the player and the average into copies, to be installed with [`Self::install`].
    pub fn load(
        &self,
        checkpoint: &CheckpointReader,
        device: &B::Device,
    ) -> TrainResult<LoadedGenerator<B, G>> {
        Ok(LoadedGenerator {
            player: checkpoint.player(&self.player, device)?,
            ema: match &self.ema {
                Some(ema) => Some(checkpoint.module("generator_ema", ema.clone())?),
                None => None,
            },
        })
    }

    /// Installs what [`Self::load`] read and the restored RNG.
    pub fn install(&mut self, loaded: LoadedGenerator<B, G>, rng: GanRng) {
        self.player.restore(loaded.player);
        self.ema = loaded.ema;
        self.rng = rng;
    }
}

/// A generator read from a checkpoint, not yet installed.
pub(crate) struct LoadedGenerator<B: AutodiffBackend, G: AutodiffModule<B>> {
    player: (G, crate::optim::GanOptimizer<G, B>),
    ema: Option<G::InnerModule>,
}

/// Parses a config saved in an algorithm's checkpoint state.
pub(crate) fn saved_config<T: serde::de::DeserializeOwned>(
    checkpoint: &CheckpointReader,
    value: serde_json::Value,
) -> TrainResult<T> {
    serde_json::from_value(value).map_err(|e| {
        crate::CheckpointError::Corrupt {
            path: checkpoint.state_path(),
            reason: format!("config: {e}"),
        }
        .into()
    })
}

//! The shape every GAN algorithm shares: players, a step, a checkpointable state and named
//! scalar logs.
//!
//! An [`Algorithm`] owns its players — each a named module with its own optimizer and
//! learning-rate schedule ([`Player`]) — its step, and whatever state of its own a resumed run
//! needs (an RNG, a balance term, image pools). It reports each step as a [`StepLog`] of named
//! scalars that stay on the device until the loop reads them. [`crate::fit`] drives any
//! algorithm: the cadence, progress, divergence checks, checkpoints of every player, resume and
//! previews are the loop's, not the algorithm's.
//!
//! [`crate::Trainer`] (Algorithm 1 of Goodfellow et al. 2014, with the loss family, penalties,
//! ACGAN and EMA) is one implementation; a new GAN algorithm is another, in a file of its own.

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use burn::tensor::backend::{AutodiffBackend, Backend};
use gan_data::BatchSource;

use crate::checkpoint::{CheckpointReader, CheckpointWriter};
use crate::error::Result;
use crate::optim::{GanOptimizer, OptimizerConfig};
use crate::parallel::Peer;

/// A GAN training algorithm, driven by [`crate::fit`].
pub trait Algorithm<B: AutodiffBackend> {
    /// The algorithm's name, written into checkpoints: a checkpoint of another algorithm is
    /// refused on resume.
    fn name(&self) -> &'static str;

    /// Runs one iteration on minibatches from `data`. With `measure`, the step also reports
    /// what is costly to compute every time (gradient norms): the loop asks for it on the
    /// iterations it logs.
    fn step<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
        measure: bool,
    ) -> Result<StepLog<B::InnerBackend>>;

    /// Iterations completed.
    fn iteration(&self) -> usize;

    /// Iterations the run is configured for.
    fn iterations(&self) -> usize;

    /// The device training runs on.
    fn device(&self) -> &B::Device;

    /// Whether every weight of every player is finite (a checkpoint is never written
    /// otherwise).
    fn weights_finite(&self) -> bool;

    /// Writes the players and the algorithm's own state into a checkpoint. The loop adds the
    /// iteration and the data source's position.
    fn save(&self, checkpoint: &mut CheckpointWriter) -> Result<()>;

    /// Restores the players, the algorithm's own state and the iteration from a checkpoint.
    /// On an error the algorithm is left as it was.
    fn restore(&mut self, checkpoint: &CheckpointReader) -> Result<()>;

    /// `n` samples for the run's preview pictures, flat `[n, features]`, generated from fixed
    /// inputs that depend on `seed` alone (so pictures of one run are comparable over time);
    /// `None` when the algorithm has nothing to show.
    fn preview(&self, n: usize, seed: u64) -> Option<Tensor<B::InnerBackend, 2>>;

    /// Makes this algorithm one replica of a data-parallel run (see [`crate::parallel`]):
    /// every player [joins](Player::join) `peer`, and every random draw of a minibatch's size
    /// draws the global minibatch's numbers and keeps the peer's rows ([`Peer::shard`]).
    /// Called once, before training starts.
    fn join(&mut self, peer: &Peer);

    /// Called on every peer of a data-parallel run just before the leader writes a
    /// checkpoint, so that the leader can save what only the other peers hold (CycleGAN's
    /// image pools: each peer pools its own rows' fakes). Every peer makes the same
    /// collective calls. Nothing by default: the replicas are identical.
    fn gather(&mut self, peer: &Peer) -> Result<()> {
        let _ = peer;
        Ok(())
    }
}

/// One named scalar of a [`StepLog`].
#[derive(Debug, Clone)]
pub struct LogEntry<B: Backend> {
    /// Its key in `metrics.jsonl`, e.g. `"d_loss"`.
    pub key: &'static str,
    /// The value, `[1]`, still on the device.
    pub value: Tensor<B, 1>,
    /// For losses: what [`crate::TrainError::Diverged`] calls it when it is not finite (e.g.
    /// `"discriminator loss"`). Watched entries are checked on every iteration; the others
    /// (statistics, gradient norms) are only logged.
    pub watch: Option<&'static str>,
}

/// The named scalars one iteration reports, in the order they are logged.
#[derive(Debug, Clone)]
pub struct StepLog<B: Backend> {
    /// The entries.
    pub entries: Vec<LogEntry<B>>,
}

impl<B: Backend> Default for StepLog<B> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<B: Backend> StepLog<B> {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a loss, watched for divergence under the name `what`.
    pub fn loss(mut self, key: &'static str, what: &'static str, value: Tensor<B, 1>) -> Self {
        self.entries.push(LogEntry {
            key,
            value,
            watch: Some(what),
        });
        self
    }

    /// Adds a statistic that is logged but not watched.
    pub fn stat(mut self, key: &'static str, value: Tensor<B, 1>) -> Self {
        self.entries.push(LogEntry {
            key,
            value,
            watch: None,
        });
        self
    }

    /// Adds the generator's and the discriminator's gradient norms (`g_grad_norm`,
    /// `d_grad_norm`) when both were measured.
    pub fn grad_norms(self, g: Option<Tensor<B, 1>>, d: Option<Tensor<B, 1>>) -> Self {
        match (g, d) {
            (Some(g), Some(d)) => self.stat("g_grad_norm", g).stat("d_grad_norm", d),
            _ => self,
        }
    }

    /// The watched entries, concatenated into one `[n]` tensor (in order), with their names;
    /// `None` when nothing is watched.
    pub fn watched(&self) -> Option<(Tensor<B, 1>, Vec<&'static str>)> {
        let (values, names): (Vec<_>, Vec<_>) = self
            .entries
            .iter()
            .filter_map(|e| e.watch.map(|what| (e.value.clone(), what)))
            .unzip();
        (!values.is_empty()).then(|| (Tensor::cat(values, 0), names))
    }

    /// Reads every entry back to the host in one transfer.
    pub fn to_host(&self) -> Vec<(&'static str, f32)> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let values = Tensor::cat(self.entries.iter().map(|e| e.value.clone()).collect(), 0)
            .into_data()
            .iter::<f32>()
            .collect::<Vec<_>>();
        self.entries.iter().map(|e| e.key).zip(values).collect()
    }
}

/// A learning-rate schedule: the factor applied to a player's base learning rate at each
/// iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LrSchedule {
    /// The base rate throughout.
    Constant,
    /// Constant until iteration `start · iterations`, then falling linearly towards zero at
    /// `iterations` (CycleGAN's second half).
    LinearDecay {
        /// Where the decay starts, as a fraction of the iterations in `[0, 1)`.
        start: f64,
        /// The run's iterations.
        iterations: usize,
    },
}

impl LrSchedule {
    /// The factor at iteration `t` (counted from 0): 1, or `(iterations - t) / (iterations -
    /// start)` once `t` passes the decay's start.
    pub fn factor(&self, t: usize) -> f64 {
        match *self {
            LrSchedule::Constant => 1.0,
            LrSchedule::LinearDecay { start, iterations } => {
                let total = iterations as f64;
                let from = start * total;
                let t = t as f64;
                if t < from || total <= from {
                    1.0
                } else {
                    ((total - t) / (total - from)).clamp(0.0, 1.0)
                }
            }
        }
    }
}

/// A trained network: a named module, its optimizer and its learning-rate schedule.
///
/// The name keys the player's files in a checkpoint (`NAME.safetensors` for the weights,
/// `NAME_optim.mpk` for the optimizer state), so it must be unique within an algorithm.
pub struct Player<B: AutodiffBackend, M: AutodiffModule<B>> {
    name: &'static str,
    module: Option<M>,
    optimizer: GanOptimizer<M, B>,
    optimizer_config: OptimizerConfig,
    lr: f64,
    schedule: LrSchedule,
    peer: Option<Peer>,
}

impl<B: AutodiffBackend, M: AutodiffModule<B>> Player<B, M> {
    /// A player `name` training `module` with a fresh optimizer from `optimizer` at base rate
    /// `lr`.
    pub fn new(
        name: &'static str,
        module: M,
        optimizer: &OptimizerConfig,
        lr: f64,
        schedule: LrSchedule,
    ) -> Self {
        Self {
            name,
            module: Some(module),
            optimizer: optimizer.init(),
            optimizer_config: optimizer.clone(),
            lr,
            schedule,
            peer: None,
        }
    }

    /// Makes this player a replica of a data-parallel run: from now on its gradients are
    /// averaged over all peers before each update (see [`crate::parallel`]).
    pub fn join(&mut self, peer: &Peer) {
        self.peer = Some(peer.clone());
    }

    /// The player's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The module.
    pub fn module(&self) -> &M {
        self.module
            .as_ref()
            .expect("a player's module is present between updates")
    }

    /// Takes the module out for an update (put it back with [`Player::update`] or
    /// [`Player::put`]).
    pub fn take(&mut self) -> M {
        self.module
            .take()
            .expect("a player's module is present between updates")
    }

    /// Puts a module back without an update (e.g. after weight clipping).
    pub fn put(&mut self, module: M) {
        self.module = Some(module);
    }

    /// Consumes the player and returns its module.
    pub fn into_module(self) -> M {
        self.module
            .expect("a player's module is present between updates")
    }

    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Changes the base learning rate from the next update on.
    pub fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    /// The learning rate of an update at iteration `t`: the base rate times the schedule.
    pub fn lr_at(&self, t: usize) -> f64 {
        self.lr * self.schedule.factor(t)
    }

    /// The optimizer's settings.
    pub fn optimizer_config(&self) -> &OptimizerConfig {
        &self.optimizer_config
    }

    /// One optimizer step on `module` (taken out with [`Player::take`]) with the gradients
    /// `grads` at iteration `t`; the updated module becomes the player's. In a data-parallel
    /// run the gradients are first averaged over the peers; if that fails, the module is put
    /// back unchanged and the error returned.
    pub fn update(&mut self, module: M, grads: GradientsParams, t: usize) -> Result<&M> {
        let grads = match &self.peer {
            Some(peer) => match peer.all_reduce_grads(&module, grads) {
                Ok(grads) => grads,
                Err(e) => {
                    self.module = Some(module);
                    return Err(e);
                }
            },
            None => grads,
        };
        let lr = self.lr_at(t);
        let updated = self.optimizer.step(lr, module, grads);
        Ok(self.module.insert(updated))
    }

    /// Replaces the module and the optimizer (a restored checkpoint).
    pub fn restore(&mut self, (module, optimizer): (M, GanOptimizer<M, B>)) {
        self.module = Some(module);
        self.optimizer = optimizer;
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &GanOptimizer<M, B> {
        &self.optimizer
    }
}

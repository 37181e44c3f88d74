//! Data-parallel training on Burn's collective (`burn::collective`, the `burn-collective`
//! crate): peers that each hold a replica of every player, train on their own share of the
//! global minibatch and average their gradients before every optimizer step.
//!
//! A run with `P` peers is the one-peer run split by rows:
//!
//! - Every peer draws the *global* minibatch's random numbers (noise, codes, penalty points)
//!   from the same seeded stream and keeps its own rows ([`Shard`]); its data source draws the
//!   global minibatch and keeps its rows too ([`ShardedSource`]). The RNG streams of all peers
//!   therefore stay identical, a checkpoint written by one peer resumes all of them, and the
//!   union of the peers' minibatches is exactly the one-peer minibatch.
//! - Each player's gradients are all-reduced (mean) before its optimizer step
//!   ([`Peer::all_reduce_grads`]), in the order the module visits its parameters, so replicas
//!   built in separate processes (whose parameter ids differ) reduce the same tensors together.
//!   With every loss a mean over the minibatch, the mean of the peers' gradients is the
//!   gradient of the global minibatch, and the replicas stay identical after every step.
//! - What differs from one peer: batch-norm statistics are computed over each peer's rows (as
//!   in PyTorch's DistributedDataParallel), and terms computed over a whole minibatch (EBGAN's
//!   pull-away term, DRAGAN's data standard deviation, minibatch statistics) see the peer's
//!   rows only.
//!
//! [`crate::fit`] with a peer ([`crate::run::fit_peer`]) makes every peer agree, each
//! iteration, on whether to stop (Ctrl-C on any peer stops all of them at the same
//! iteration), reads the losses as means over the peers, and lets only the leader write the
//! run directory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use burn::collective::{PeerId, ReduceOperation, all_reduce};
use burn::module::{AutodiffModule, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{BasicOps, Tensor, TensorKind, TensorPrimitive};
use gan_data::{Batch, BatchSource};

use crate::error::{Result, TrainError};

/// Which rows of the global minibatch a peer trains on: rows `rank·m .. (rank+1)·m` of
/// `count·m`, where `m` is the peer's own batch size. An algorithm's `batch_size` is the
/// global minibatch; each peer trains on `batch_size / count` of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// The peer's position among all peers, `0..count`.
    pub rank: usize,
    /// How many peers share the minibatch.
    pub count: usize,
}

impl Default for Shard {
    fn default() -> Self {
        Self::WHOLE
    }
}

impl Shard {
    /// The whole minibatch: one peer.
    pub const WHOLE: Shard = Shard { rank: 0, count: 1 };

    /// This peer's share of a global minibatch of `batch_size` (which the peers split evenly;
    /// `gan_run` checks that they can).
    pub fn local(&self, batch_size: usize) -> usize {
        batch_size / self.count
    }

    /// The global size of a draw of which this peer keeps `m` rows.
    pub fn global(&self, m: usize) -> usize {
        m * self.count
    }

    /// This peer's rows of a tensor whose first dimension is the global minibatch.
    pub fn rows<B: Backend, const D: usize, K: TensorKind<B> + BasicOps<B>>(
        &self,
        global: Tensor<B, D, K>,
    ) -> Tensor<B, D, K> {
        if self.count == 1 {
            return global;
        }
        let m = global.dims()[0] / self.count;
        global.narrow(0, self.rank * m, m)
    }

    /// This peer's rows of host values laid out row by row, `per_row` values a row.
    pub fn pick<T>(&self, global: Vec<T>, per_row: usize) -> Vec<T> {
        if self.count == 1 {
            return global;
        }
        let m = global.len() / per_row / self.count;
        global
            .into_iter()
            .skip(self.rank * m * per_row)
            .take(m * per_row)
            .collect()
    }
}

/// A data source that draws the global minibatch from `inner` and hands out this peer's rows
/// of it (samples and labels). Every peer wraps a source built with the same seed, so the
/// peers' positions stay equal and a checkpoint's position resumes all of them.
#[derive(Debug, Clone)]
pub struct ShardedSource<S> {
    inner: S,
    shard: Shard,
}

impl<S> ShardedSource<S> {
    /// Wraps `inner` for the peer `shard`.
    pub fn new(inner: S, shard: Shard) -> Self {
        Self { inner, shard }
    }
}

impl<B: Backend, S: BatchSource<B>> BatchSource<B> for ShardedSource<S> {
    fn sample_shape(&self) -> Vec<usize> {
        self.inner.sample_shape()
    }

    fn num_classes(&self) -> Option<usize> {
        self.inner.num_classes()
    }

    fn next_batch(&mut self, m: usize, device: &B::Device) -> Batch<B> {
        let Batch { samples, labels } = self.inner.next_batch(self.shard.global(m), device);
        Batch {
            samples: self.shard.rows(samples),
            labels: labels.map(|y| self.shard.rows(y)),
        }
    }

    fn state(&self) -> Option<String> {
        self.inner.state()
    }

    fn restore_state(&mut self, state: &str) -> gan_data::Result<()> {
        self.inner.restore_state(state)
    }
}

/// One peer of a data-parallel run, registered with Burn's collective.
///
/// Cloning a peer gives a handle to the same peer (the progress clock is shared).
#[derive(Debug, Clone)]
pub struct Peer {
    id: PeerId,
    shard: Shard,
    progress: Arc<AtomicU64>,
}

impl Peer {
    /// The peer with collective id `id` training on rows `shard` of the global minibatch. It
    /// must be registered (`burn::collective::register` on the inner backend) before its first
    /// collective call; [`crate::run::fit_peer`] does not register it.
    pub fn new(id: u32, shard: Shard) -> Self {
        Self {
            id: PeerId::from(id),
            shard,
            progress: Arc::new(AtomicU64::new(now_millis())),
        }
    }

    /// The peer's collective id.
    pub fn id(&self) -> PeerId {
        self.id
    }

    /// The peer's rows of the global minibatch.
    pub fn shard(&self) -> Shard {
        self.shard
    }

    /// Whether this peer writes the run directory (rank 0).
    pub fn is_leader(&self) -> bool {
        self.shard.rank == 0
    }

    /// Milliseconds since the Unix epoch at which the last collective call of this peer
    /// returned (or the peer was made): what a watchdog reads to tell a stalled run from a
    /// slow one.
    pub fn last_progress(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }

    fn tick(&self) {
        self.progress.store(now_millis(), Ordering::Relaxed);
    }

    /// The mean of `tensor` over all peers (every peer must call this, in the same order).
    pub fn mean<B: Backend, const D: usize>(
        &self,
        tensor: Tensor<B, D>,
        what: &'static str,
    ) -> Result<Tensor<B, D>> {
        self.reduce(tensor, ReduceOperation::Mean, what)
    }

    /// The sum of `tensor` over all peers (every peer must call this, in the same order).
    /// Where each peer fills only its own part and leaves the rest 0, the sum is every peer's
    /// part, exactly: an all-gather.
    pub fn sum<B: Backend, const D: usize>(
        &self,
        tensor: Tensor<B, D>,
        what: &'static str,
    ) -> Result<Tensor<B, D>> {
        self.reduce(tensor, ReduceOperation::Sum, what)
    }

    fn reduce<B: Backend, const D: usize>(
        &self,
        tensor: Tensor<B, D>,
        op: ReduceOperation,
        what: &'static str,
    ) -> Result<Tensor<B, D>> {
        let shape = tensor.shape();
        let primitive = tensor.into_primitive().tensor();
        let reduced =
            all_reduce::<B>(self.id, primitive, op).map_err(|e| collective_error(what, e))?;
        self.tick();
        Ok(Tensor::<B, D>::from_primitive(TensorPrimitive::Float(reduced)).reshape(shape))
    }

    /// Replaces each of `module`'s gradients in `grads` by its mean over all peers. The
    /// gradients are laid end to end in the order `module` visits its parameters and reduced in
    /// one call (one bucket per player, as DistributedDataParallel does), so replicas built in
    /// separate processes (whose parameter ids differ) reduce the same values together.
    /// Parameters without a gradient are left out; the replicas' graphs are the same, so they
    /// are left out on every peer.
    pub fn all_reduce_grads<B: AutodiffBackend, M: AutodiffModule<B>>(
        &self,
        module: &M,
        mut grads: GradientsParams,
    ) -> Result<GradientsParams> {
        let mut gather = Gather::<B> {
            grads: &mut grads,
            flat: Vec::new(),
            taken: Vec::new(),
        };
        module.visit(&mut gather);
        let (flat, taken) = (gather.flat, gather.taken);
        if flat.is_empty() {
            return Ok(grads);
        }
        let bucket = self.mean(Tensor::cat(flat, 0), "a gradient all-reduce")?;
        let mut taken = taken.into_iter();
        let next = taken.next();
        let mut scatter = Scatter::<B> {
            grads: &mut grads,
            bucket,
            taken,
            next,
            offset: 0,
        };
        module.visit(&mut scatter);
        Ok(grads)
    }
}

/// Serialises data-parallel runs within a process: Burn's collective keeps one server per
/// backend and process, so two runs at once would join each other's collective. Hold the
/// guard from registering the peers until they have finished.
pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static COLLECTIVE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    COLLECTIVE.lock().unwrap_or_else(|e| e.into_inner())
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch, on the clock [`Peer::last_progress`] uses.
pub fn clock_millis() -> u64 {
    now_millis()
}

fn collective_error(what: &'static str, e: burn::collective::CollectiveError) -> TrainError {
    TrainError::Collective {
        what,
        reason: format!("{e:?}"),
    }
}

/// Takes the gradients out of a [`GradientsParams`], flattened, in visiting order.
struct Gather<'a, B: AutodiffBackend> {
    grads: &'a mut GradientsParams,
    flat: Vec<Tensor<B::InnerBackend, 1>>,
    taken: Vec<ParamId>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Gather<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(grad) = self.grads.remove::<B::InnerBackend, D>(param.id) {
            let n = grad.shape().num_elements();
            self.flat.push(grad.reshape([n]));
            self.taken.push(param.id);
        }
    }
}

/// Puts the reduced gradients back, slice by slice, in the same visiting order.
struct Scatter<'a, B: AutodiffBackend> {
    grads: &'a mut GradientsParams,
    bucket: Tensor<B::InnerBackend, 1>,
    taken: std::vec::IntoIter<ParamId>,
    next: Option<ParamId>,
    offset: usize,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Scatter<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if self.next != Some(param.id) {
            return;
        }
        let shape = param.val().shape();
        let n = shape.num_elements();
        let grad = self.bucket.clone().narrow(0, self.offset, n).reshape(shape);
        self.grads.register::<B::InnerBackend, D>(param.id, grad);
        self.offset += n;
        self.next = self.taken.next();
    }
}

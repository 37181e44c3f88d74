//! CycleGAN (Zhu et al. 2017): unpaired image-to-image translation between two domains `A`
//! and `B`, with generators `G: A → B` and `F: B → A` and PatchGAN discriminators `D_B` (real
//! `b` against `G(a)`) and `D_A` (real `a` against `F(b)`).
//!
//! One iteration, as the reference implementation (`models/cycle_gan_model.py`) runs it:
//!
//! 1. Both generators are updated together, the discriminators frozen, on
//!    `L_G = LS(D_B(G(a)), 1) + LS(D_A(F(b)), 1) + λ (‖F(G(a)) − a‖₁ + ‖G(F(b)) − b‖₁)
//!    + λ_id λ (‖G(b) − b‖₁ + ‖F(a) − a‖₁)`, where `LS(s, t)` is the mean squared difference of
//!    every patch score from `t` and `‖·‖₁` the mean absolute difference ([`least_squares`],
//!    [`l1_distance`]).
//!    With `λ_sem > 0`, CyCADA's semantic-consistency term (Hoffman et al. 2018) joins it:
//!    `λ_sem (CE(f(G(a)), argmax f(a)) + CE(f(F(b)), argmax f(b)))` for a fixed classifier `f`
//!    of domain `A`'s images ([`SemanticClassifier`], [`semantic_consistency`]): a translation
//!    must keep the class that `f` sees in its source.
//! 2. Both discriminators are updated on `½ (LS(D(real), 1) + LS(D(fake), 0))`, the fakes
//!    drawn from an [`ImagePool`] of earlier generated images (Shrivastava et al. 2017).
//!
//! Each of the four networks is a [`Player`] with its own Adam; Adam is element-wise, so two
//! optimizers with the same settings are the reference's one optimizer over both generators'
//! (or both discriminators') parameters.
//!
//! The data is a [`BatchSource`] of unpaired pairs: row `i` of a minibatch holds an image of
//! `A` followed by an image of `B` ([`gan_data::Unpaired`]), drawn independently.

use burn::config::Config;
use burn::module::{AutodiffModule, Module, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor, TensorData};
use gan_data::{Batch, BatchSource};
use gan_models::{GanRng, PatchDiscriminator, Translator, rng_from_seed};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::algorithm::{Algorithm, Player, StepLog};
use crate::checkpoint::{CheckpointReader, CheckpointWriter};
use crate::classic::{TrainConfig, finite_sum, grad_norm, iteration_seed};
use crate::error::{Result as TrainResult, TrainError};
use crate::parallel::{Peer, Shard};
use crate::variant::{check_shared, saved_config};

/// CycleGAN's name in checkpoints.
pub const CYCLEGAN: &str = "cyclegan";

/// CycleGAN's own hyper-parameters (the reference's defaults).
#[derive(Config, Debug, PartialEq)]
pub struct CycleGanConfig {
    /// `λ`, the weight of the cycle-consistency terms (10 in the paper).
    #[config(default = 10.0)]
    pub lambda_cycle: f64,
    /// `λ_id`, the weight of the identity terms relative to `λ` (0.5 in the reference; 0
    /// leaves them out). Identity needs both domains to have the same image shape.
    #[config(default = 0.5)]
    pub lambda_identity: f64,
    /// Generated images kept per discriminator in its [`ImagePool`] (50 in the paper; 0
    /// trains the discriminators on the newest fakes only).
    #[config(default = 50)]
    pub pool_size: usize,
    /// `λ_sem`, the weight of CyCADA's semantic-consistency term (Hoffman et al. 2018); 0
    /// leaves it out. Above 0 it needs a classifier of `A`'s images
    /// ([`CycleGan::with_semantic`]) and both domains' images of one shape.
    #[config(default = 0.0)]
    pub lambda_semantic: f64,
}

/// The largest pool accepted.
pub const MAX_POOL: usize = 100_000;

impl CycleGanConfig {
    /// Checks the config.
    pub fn validate(&self) -> TrainResult<()> {
        let invalid = |field, value: String, expected| TrainError::InvalidParameter {
            field,
            value,
            expected,
        };
        if !(self.lambda_cycle.is_finite() && self.lambda_cycle >= 0.0) {
            return Err(invalid(
                "lambda_cycle",
                self.lambda_cycle.to_string(),
                "a finite number >= 0",
            ));
        }
        if !(self.lambda_identity.is_finite() && self.lambda_identity >= 0.0) {
            return Err(invalid(
                "lambda_identity",
                self.lambda_identity.to_string(),
                "a finite number >= 0",
            ));
        }
        if !(self.lambda_semantic.is_finite() && self.lambda_semantic >= 0.0) {
            return Err(invalid(
                "lambda_semantic",
                self.lambda_semantic.to_string(),
                "a finite number >= 0",
            ));
        }
        if self.pool_size > MAX_POOL {
            return Err(invalid(
                "pool_size",
                self.pool_size.to_string(),
                "at most 100000 images",
            ));
        }
        Ok(())
    }
}

/// The least-squares adversarial term `mean((s − target)²)` over every patch score of every
/// image (the reference's `GANLoss('lsgan')`).
///
/// # Shapes
/// - `scores`: `[batch, patches]`
/// - output: `[1]`
pub fn least_squares<B: Backend>(scores: Tensor<B, 2>, target: f64) -> Tensor<B, 1> {
    (scores - target).square().mean()
}

/// The mean absolute difference of two batches of images (PyTorch's `L1Loss`), the unit of
/// the cycle and identity terms.
///
/// # Shapes
/// - `x`, `y`: `[batch, features]`
/// - output: `[1]`
pub fn l1_distance<B: Backend>(x: Tensor<B, 2>, y: Tensor<B, 2>) -> Tensor<B, 1> {
    (x - y).abs().mean()
}

/// CyCADA's semantic-consistency term for one direction: the cross-entropy of a classifier's
/// logits on translated images against the class the same classifier gives each source image
/// (its arg-max, a pseudo-label: no label of either domain is used).
///
/// # Shapes
/// - `translated`, `source`: `[batch, classes]` logits
/// - output: `[1]`
pub fn semantic_consistency<B: Backend>(
    translated: Tensor<B, 2>,
    source: Tensor<B, 2>,
) -> Tensor<B, 1> {
    let labels = source.detach().argmax(1);
    let log_p = burn::tensor::activation::log_softmax(translated, 1);
    log_p.gather(1, labels).mean().neg()
}

/// The fixed classifier `f` of CyCADA's semantic-consistency term, trained beforehand on
/// images of domain `A` (the source domain whose labels are known): class logits
/// `[n, classes]` of images `[n, features of A]` in the generators' range `[-1, 1]`. It is
/// never updated; the generators' gradients flow through it. Any
/// `Fn(Tensor<B, 2>) -> Tensor<B, 2> + Send` is one.
pub trait SemanticClassifier<B: Backend>: Send {
    /// Class logits of `images`.
    ///
    /// # Shapes
    /// - `images`: `[n, features of A]`; output: `[n, classes]`
    fn logits(&self, images: Tensor<B, 2>) -> Tensor<B, 2>;
}

impl<B: Backend, F: Fn(Tensor<B, 2>) -> Tensor<B, 2> + Send> SemanticClassifier<B> for F {
    fn logits(&self, images: Tensor<B, 2>) -> Tensor<B, 2> {
        self(images)
    }
}

/// A buffer of generated images that the discriminators train on instead of only the newest
/// ones (Shrivastava et al. 2017; CycleGAN's `util/image_pool.py`).
///
/// For each image of a queried batch, in order: while the pool holds fewer than `capacity`
/// images, the image is stored and returned; once it is full, with probability ½ a stored
/// image chosen uniformly is returned and the new one takes its place, and otherwise the new
/// image is returned and the pool is left as it is. The images stay on the device; the choices
/// are drawn on the host from the pool's own seeded RNG.
#[derive(Debug, Clone)]
pub struct ImagePool<B: Backend> {
    capacity: usize,
    features: usize,
    /// `[capacity, features]`; rows `len..` are zeros until filled.
    images: Option<Tensor<B, 2>>,
    len: usize,
    rng: GanRng,
}

impl<B: Backend> ImagePool<B> {
    /// An empty pool of `capacity` images of `features` values, drawing with a generator seeded
    /// by `seed`.
    pub fn new(capacity: usize, features: usize, seed: u64, device: &B::Device) -> Self {
        Self {
            capacity,
            features,
            images: (capacity > 0).then(|| Tensor::zeros([capacity, features], device)),
            len: 0,
            rng: rng_from_seed(seed),
        }
    }

    /// How many images the pool holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the pool holds no image.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The pool's capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The stored images, `[len, features]` (`None` while empty).
    pub fn images(&self) -> Option<Tensor<B, 2>> {
        match &self.images {
            Some(images) if self.len > 0 => Some(images.clone().narrow(0, 0, self.len)),
            _ => None,
        }
    }

    /// Returns a batch to train on for the newly generated `fakes` and updates the pool (see
    /// the type's documentation).
    ///
    /// # Shapes
    /// - `fakes`, output: `[batch, features]`
    pub fn query(&mut self, fakes: Tensor<B, 2>) -> Tensor<B, 2> {
        let Some(images) = self.images.take() else {
            return fakes;
        };
        let [m, features] = fakes.dims();
        assert_eq!(features, self.features, "image pool: features per image");
        // Indices into [pool; fakes]: what each slot holds after the batch and what each row
        // returns, following the per-image rule in order.
        let cap = self.capacity;
        let mut slots: Vec<i64> = (0..cap as i64).collect();
        let mut out = Vec::with_capacity(m);
        for i in 0..m {
            let new = (cap + i) as i64;
            if self.len < cap {
                slots[self.len] = new;
                self.len += 1;
                out.push(new);
            } else if self.rng.random_bool(0.5) {
                let j = self.rng.random_range(0..cap);
                out.push(slots[j]);
                slots[j] = new;
            } else {
                out.push(new);
            }
        }
        let device = fakes.device();
        let all = Tensor::cat(vec![images, fakes], 0);
        let index = |v: Vec<i64>| {
            let n = v.len();
            Tensor::<B, 1, Int>::from_data(TensorData::new(v, [n]), &device)
        };
        self.images = Some(all.clone().select(0, index(slots)));
        all.select(0, index(out))
    }
}

/// The two pools' images as a module, to be written into checkpoints as weights.
#[derive(Module, Debug)]
struct PoolImages<B: Backend> {
    a: Option<Param<Tensor<B, 2>>>,
    b: Option<Param<Tensor<B, 2>>>,
}

/// How many images a pool holds, and its RNG.
type PoolState = (usize, GanRng);

/// CycleGAN's own state in a checkpoint.
#[derive(Serialize, Deserialize)]
struct CycleGanState {
    config: serde_json::Value,
    #[serde(deserialize_with = "cyclegan_config_of_any_version")]
    cyclegan: CycleGanConfig,
    /// Images held by the pools of fakes of `A` and `B`, and their RNGs (the leader's).
    pool_a: PoolState,
    pool_b: PoolState,
    /// The same for the other peers of a data-parallel run, ranks 1, 2, ... in order; their
    /// images are the modules `image_pools_peer{rank}`. Empty for one peer.
    #[serde(default)]
    peers: Vec<(PoolState, PoolState)>,
}

/// A [`CycleGanConfig`] as any version wrote it: one written before `lambda_semantic` existed
/// trained without the semantic term (`Config`'s derived deserializer fills in no default).
pub fn cyclegan_config_of_any_version<'de, De: serde::Deserializer<'de>>(
    deserializer: De,
) -> Result<CycleGanConfig, De::Error> {
    let mut value = serde_json::Value::deserialize(deserializer)?;
    if let Some(fields) = value.as_object_mut() {
        fields
            .entry("lambda_semantic")
            .or_insert(serde_json::json!(0.0));
    }
    serde_json::from_value(value).map_err(serde::de::Error::custom)
}

/// Another peer's pools, gathered by the leader for a checkpoint ([`Algorithm::gather`]).
struct PeerPools<B: Backend> {
    images: PoolImages<B>,
    a: PoolState,
    b: PoolState,
}

/// The checkpoint module holding the images of peer `rank`'s pools.
fn pool_module(rank: usize) -> String {
    if rank == 0 {
        "image_pools".into()
    } else {
        format!("image_pools_peer{rank}")
    }
}

/// Room for a pool RNG's state (its JSON, one byte a value) in a gathered row.
const RNG_BYTES: usize = 256;

/// CycleGAN, generic over the generators `G` and the discriminators `D`.
pub struct CycleGan<B, G, D>
where
    B: AutodiffBackend,
    G: Translator<B> + AutodiffModule<B>,
    D: PatchDiscriminator<B> + AutodiffModule<B>,
{
    config: TrainConfig,
    cyclegan: CycleGanConfig,
    g_ab: Player<B, G>,
    g_ba: Player<B, G>,
    d_a: Player<B, D>,
    d_b: Player<B, D>,
    pool_a: ImagePool<B::InnerBackend>,
    pool_b: ImagePool<B::InnerBackend>,
    preview_a: Option<Tensor<B::InnerBackend, 2>>,
    preview_b: Option<Tensor<B::InnerBackend, 2>>,
    /// On the leader of a data-parallel run: the other peers' pools at the last gather.
    peer_pools: Vec<PeerPools<B::InnerBackend>>,
    /// The semantic-consistency term's classifier (`λ_sem > 0`).
    semantic: Option<Box<dyn SemanticClassifier<B>>>,
    device: B::Device,
    iteration: usize,
    shard: Shard,
}

/// The pools' seeds: distinct streams for the two pools (and for each peer's pools).
fn pool_seed(seed: u64, rank: usize, domain: u64) -> u64 {
    iteration_seed(seed ^ 0xC1C1_E6A4_0000_0000 ^ domain, rank)
}

impl<B, G, D> CycleGan<B, G, D>
where
    B: AutodiffBackend,
    G: Translator<B> + AutodiffModule<B>,
    D: PatchDiscriminator<B> + AutodiffModule<B>,
    G::InnerModule: Translator<B::InnerBackend>,
{
    /// CycleGAN with the shared settings of `config` (optimizers, rates and their decay,
    /// batch size, iterations, seed; a loss, `k`, clipping, a penalty or a weight average are
    /// refused) and its own `cyclegan`: `g_ab` translates `A` to `B` and is judged by `d_b`,
    /// `g_ba` the other way.
    pub fn new(
        config: TrainConfig,
        cyclegan: CycleGanConfig,
        (g_ab, g_ba): (G, G),
        (d_a, d_b): (D, D),
        device: B::Device,
    ) -> TrainResult<Self> {
        check_shared(&config, CYCLEGAN, false)?;
        cyclegan.validate()?;
        if let Some(decay) = config.ema_decay {
            return Err(TrainError::Unused {
                algorithm: CYCLEGAN,
                field: "ema_decay",
                value: decay.to_string(),
            });
        }
        let [a, b] = [g_ab.input_shape(), g_ab.output_shape()];
        let features = |s: [usize; 3]| s.iter().product::<usize>();
        let checks = [
            ("generator B→A output", g_ba.output_shape(), a),
            ("generator B→A input", g_ba.input_shape(), b),
            ("discriminator A input", d_a.input_shape(), a),
            ("discriminator B input", d_b.input_shape(), b),
        ];
        for (what, got, expected) in checks {
            if got != expected {
                return Err(TrainError::ShapeMismatch {
                    what,
                    got: features(got),
                    expected: features(expected),
                });
            }
        }
        if cyclegan.lambda_semantic > 0.0 && a != b {
            return Err(TrainError::InvalidParameter {
                field: "lambda_semantic",
                value: cyclegan.lambda_semantic.to_string(),
                expected: "0 when the two domains' images differ in shape (one classifier judges both)",
            });
        }
        if cyclegan.lambda_identity > 0.0 && a != b {
            return Err(TrainError::InvalidParameter {
                field: "lambda_identity",
                value: cyclegan.lambda_identity.to_string(),
                expected: "0 when the two domains' images differ in shape (G(b) cannot be compared with b)",
            });
        }
        let schedule = config.lr_schedule();
        let (g_opt, g_lr) = (&config.g_optimizer, config.g_lr);
        let (d_opt, d_lr) = (&config.d_optimizer, config.d_lr);
        let pool = |domain, shape| {
            ImagePool::new(
                cyclegan.pool_size,
                features(shape),
                pool_seed(config.seed, 0, domain),
                &device,
            )
        };
        Ok(Self {
            g_ab: Player::new("generator_ab", g_ab, g_opt, g_lr, schedule),
            g_ba: Player::new("generator_ba", g_ba, g_opt, g_lr, schedule),
            d_a: Player::new("discriminator_a", d_a, d_opt, d_lr, schedule),
            d_b: Player::new("discriminator_b", d_b, d_opt, d_lr, schedule),
            pool_a: pool(0xA, a),
            pool_b: pool(0xB, b),
            preview_a: None,
            preview_b: None,
            peer_pools: Vec::new(),
            semantic: None,
            cyclegan,
            config,
            device,
            iteration: 0,
            shard: Shard::WHOLE,
        })
    }

    /// Fixed images of each domain for the preview pictures (see [`Algorithm::preview`]).
    ///
    /// # Shapes
    /// - `a`: `[n, features of A]`, `b`: `[n, features of B]`
    pub fn with_preview(
        mut self,
        a: Tensor<B::InnerBackend, 2>,
        b: Tensor<B::InnerBackend, 2>,
    ) -> Self {
        self.preview_a = Some(a);
        self.preview_b = Some(b);
        self
    }

    /// The classifier of `A`'s images for the semantic-consistency term (see
    /// [`CycleGanConfig::lambda_semantic`]); without one, a step with `λ_sem > 0` is refused.
    pub fn with_semantic(mut self, classifier: impl SemanticClassifier<B> + 'static) -> Self {
        self.semantic = Some(Box::new(classifier));
        self
    }

    /// `G: A → B`.
    pub fn generator_ab(&self) -> &G {
        self.g_ab.module()
    }

    /// `F: B → A`.
    pub fn generator_ba(&self) -> &G {
        self.g_ba.module()
    }

    /// `D_A`, which tells real images of `A` from `F(b)`.
    pub fn discriminator_a(&self) -> &D {
        self.d_a.module()
    }

    /// `D_B`, which tells real images of `B` from `G(a)`.
    pub fn discriminator_b(&self) -> &D {
        self.d_b.module()
    }

    /// The pool of generated images of `A` (`F(b)`).
    pub fn pool_a(&self) -> &ImagePool<B::InnerBackend> {
        &self.pool_a
    }

    /// The pool of generated images of `B` (`G(a)`).
    pub fn pool_b(&self) -> &ImagePool<B::InnerBackend> {
        &self.pool_b
    }

    fn shapes(&self) -> ([usize; 3], [usize; 3]) {
        let g = self.g_ab.module();
        (g.input_shape(), g.output_shape())
    }

    fn pool_images(&self) -> PoolImages<B::InnerBackend> {
        let param = |pool: &ImagePool<B::InnerBackend>| pool.images.clone().map(Param::from_tensor);
        PoolImages {
            a: param(&self.pool_a),
            b: param(&self.pool_b),
        }
    }
}

impl<B, G, D> Algorithm<B> for CycleGan<B, G, D>
where
    B: AutodiffBackend,
    G: Translator<B> + AutodiffModule<B>,
    D: PatchDiscriminator<B> + AutodiffModule<B>,
    G::InnerModule: Translator<B::InnerBackend>,
{
    fn name(&self) -> &'static str {
        CYCLEGAN
    }

    fn step<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
        measure: bool,
    ) -> TrainResult<StepLog<B::InnerBackend>> {
        let t = self.iteration;
        B::seed(&self.device, iteration_seed(self.config.seed, t));
        let (shape_a, shape_b) = self.shapes();
        let (fa, fb) = (
            shape_a.iter().product::<usize>(),
            shape_b.iter().product::<usize>(),
        );
        let m = self.shard.local(self.config.batch_size);
        let Batch { samples, .. } = data.next_batch(m, &self.device);
        let features = samples.dims()[1];
        if features != fa + fb {
            return Err(TrainError::ShapeMismatch {
                what: "data batch (an image of A then one of B per row)",
                got: features,
                expected: fa + fb,
            });
        }
        let real_a = samples.clone().narrow(1, 0, fa);
        let real_b = samples.narrow(1, fa, fb);
        let CycleGanConfig {
            lambda_cycle,
            lambda_identity,
            lambda_semantic,
            ..
        } = self.cyclegan;
        let judge = match (&self.semantic, lambda_semantic > 0.0) {
            (Some(judge), true) => Some(judge),
            (None, true) => {
                return Err(TrainError::InvalidParameter {
                    field: "lambda_semantic",
                    value: lambda_semantic.to_string(),
                    expected: "0, or a classifier of A's images (CycleGan::with_semantic)",
                });
            }
            (_, false) => None,
        };

        // 1. Both generators, the discriminators frozen (weights untracked, inputs tracked).
        let g = self.g_ab.take();
        let f = self.g_ba.take();
        let fake_b = g.translate(real_a.clone());
        let fake_a = f.translate(real_b.clone());
        let d_a = self.d_a.module().clone().no_grad();
        let d_b = self.d_b.module().clone().no_grad();
        let adversarial = least_squares(d_b.score_patches(fake_b.clone()), 1.0)
            + least_squares(d_a.score_patches(fake_a.clone()), 1.0);
        let cycle = (l1_distance(f.translate(fake_b.clone()), real_a.clone())
            + l1_distance(g.translate(fake_a.clone()), real_b.clone()))
            * lambda_cycle;
        let identity = (lambda_identity > 0.0).then(|| {
            (l1_distance(g.translate(real_b.clone()), real_b.clone())
                + l1_distance(f.translate(real_a.clone()), real_a.clone()))
                * (lambda_cycle * lambda_identity)
        });
        let semantic = judge.map(|f| {
            (semantic_consistency(f.logits(fake_b.clone()), f.logits(real_a.clone()))
                + semantic_consistency(f.logits(fake_a.clone()), f.logits(real_b.clone())))
                * lambda_semantic
        });
        let mut g_loss = adversarial.clone() + cycle.clone();
        for term in [&identity, &semantic].into_iter().flatten() {
            g_loss = g_loss + term.clone();
        }
        let mut grads = g_loss.backward();
        let grads_g = GradientsParams::from_module(&mut grads, &g);
        let grads_f = GradientsParams::from_module(&mut grads, &f);
        let g_norm = measure.then(|| {
            (grad_norm(&g, &grads_g, &self.device).square()
                + grad_norm(&f, &grads_f, &self.device).square())
            .sqrt()
        });
        if let Err(e) = self.g_ab.update(g, grads_g, t) {
            self.g_ba.put(f);
            return Err(e);
        }
        self.g_ba.update(f, grads_f, t)?;

        // 2. Both discriminators, on pooled fakes generated before the generators' update.
        let fake_b = Tensor::<B, 2>::from_inner(self.pool_b.query(fake_b.detach().inner()));
        let fake_a = Tensor::<B, 2>::from_inner(self.pool_a.query(fake_a.detach().inner()));
        let d_a = self.d_a.take();
        let d_b = self.d_b.take();
        let d_a_loss = (least_squares(d_a.score_patches(real_a), 1.0)
            + least_squares(d_a.score_patches(fake_a), 0.0))
            * 0.5;
        let d_b_loss = (least_squares(d_b.score_patches(real_b), 1.0)
            + least_squares(d_b.score_patches(fake_b), 0.0))
            * 0.5;
        let mut grads = (d_a_loss.clone() + d_b_loss.clone()).backward();
        let grads_a = GradientsParams::from_module(&mut grads, &d_a);
        let grads_b = GradientsParams::from_module(&mut grads, &d_b);
        let d_norm = measure.then(|| {
            (grad_norm(&d_a, &grads_a, &self.device).square()
                + grad_norm(&d_b, &grads_b, &self.device).square())
            .sqrt()
        });
        if let Err(e) = self.d_a.update(d_a, grads_a, t) {
            self.d_b.put(d_b);
            return Err(e);
        }
        self.d_b.update(d_b, grads_b, t)?;
        self.iteration += 1;

        let mut log = StepLog::new()
            .loss("g_loss", "generator loss", g_loss.detach().inner())
            .loss(
                "d_a_loss",
                "discriminator A loss",
                d_a_loss.detach().inner(),
            )
            .loss(
                "d_b_loss",
                "discriminator B loss",
                d_b_loss.detach().inner(),
            )
            .stat("g_adversarial", adversarial.detach().inner())
            .stat("cycle", cycle.detach().inner());
        if let Some(identity) = identity {
            log = log.stat("identity", identity.detach().inner());
        }
        if let Some(semantic) = semantic {
            log = log.stat("semantic", semantic.detach().inner());
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
        finite_sum(self.g_ab.module())
            && finite_sum(self.g_ba.module())
            && finite_sum(self.d_a.module())
            && finite_sum(self.d_b.module())
    }

    fn save(&self, checkpoint: &mut CheckpointWriter) -> TrainResult<()> {
        for player in [&self.g_ab, &self.g_ba] {
            checkpoint.player(player)?;
        }
        for player in [&self.d_a, &self.d_b] {
            checkpoint.player(player)?;
        }
        checkpoint.module(&pool_module(0), &self.pool_images())?;
        for (i, peer) in self.peer_pools.iter().enumerate() {
            checkpoint.module(&pool_module(i + 1), &peer.images)?;
        }
        checkpoint.state(&CycleGanState {
            config: serde_json::to_value(&self.config).expect("configs serialise to JSON"),
            cyclegan: self.cyclegan.clone(),
            pool_a: (self.pool_a.len, self.pool_a.rng.clone()),
            pool_b: (self.pool_b.len, self.pool_b.rng.clone()),
            peers: self
                .peer_pools
                .iter()
                .map(|p| (p.a.clone(), p.b.clone()))
                .collect(),
        });
        Ok(())
    }

    fn restore(&mut self, checkpoint: &CheckpointReader) -> TrainResult<()> {
        let state: CycleGanState = checkpoint.state()?;
        checkpoint.check_config(&state.cyclegan, &self.cyclegan, &[])?;
        let saved: TrainConfig = saved_config(checkpoint, state.config)?;
        checkpoint.check_config(&saved, &self.config, &["iterations"])?;
        // Each peer resumes its own pools; a peer the checkpoint has none for (it was written by
        // fewer peers) starts with empty pools on its own streams.
        let rank = self.shard.rank;
        let saved = match rank {
            0 => Some((state.pool_a, state.pool_b)),
            r => state.peers.get(r - 1).cloned(),
        };
        let seed = self.config.seed;
        let (pool_a, pool_b) = saved.unwrap_or_else(|| {
            (
                (0, rng_from_seed(pool_seed(seed, rank, 0xA))),
                (0, rng_from_seed(pool_seed(seed, rank, 0xB))),
            )
        });
        for (len, pool) in [(pool_a.0, &self.pool_a), (pool_b.0, &self.pool_b)] {
            if len > pool.capacity {
                return Err(crate::CheckpointError::Corrupt {
                    path: checkpoint.state_path(),
                    reason: format!(
                        "an image pool holds {len} images, more than its capacity {}",
                        pool.capacity
                    ),
                }
                .into());
            }
        }
        // Everything is read before anything is installed: an error leaves the run as it was.
        let g_ab = checkpoint.player(&self.g_ab, &self.device)?;
        let g_ba = checkpoint.player(&self.g_ba, &self.device)?;
        let d_a = checkpoint.player(&self.d_a, &self.device)?;
        let d_b = checkpoint.player(&self.d_b, &self.device)?;
        let pools = if pool_a.0 + pool_b.0 > 0 {
            checkpoint.module(&pool_module(rank), self.pool_images())?
        } else {
            self.pool_images()
        };
        self.g_ab.restore(g_ab);
        self.g_ba.restore(g_ba);
        self.d_a.restore(d_a);
        self.d_b.restore(d_b);
        for (pool, images, (len, rng)) in [
            (&mut self.pool_a, pools.a, pool_a),
            (&mut self.pool_b, pools.b, pool_b),
        ] {
            pool.images = images.map(|p| p.val());
            pool.len = len;
            pool.rng = rng;
        }
        self.iteration = checkpoint.iteration();
        Ok(())
    }

    /// Rows of `a`, `G(a)`, `F(G(a))`, then `b`, `F(b)`, `G(F(b))` for the fixed preview
    /// images (`n / 6` of each domain, at most as many as were given), when both domains
    /// have the same image shape; `None` otherwise or without preview images.
    fn preview(&self, n: usize, _seed: u64) -> Option<Tensor<B::InnerBackend, 2>> {
        let (shape_a, shape_b) = self.shapes();
        if shape_a != shape_b {
            return None;
        }
        let (a, b) = (self.preview_a.clone()?, self.preview_b.clone()?);
        let k = (n / 6).min(a.dims()[0]).min(b.dims()[0]);
        if k == 0 {
            return None;
        }
        let (a, b) = (a.narrow(0, 0, k), b.narrow(0, 0, k));
        let g = self.g_ab.module().valid();
        let f = self.g_ba.module().valid();
        let g_a = g.translate(a.clone());
        let f_g_a = f.translate(g_a.clone());
        let f_b = f.translate(b.clone());
        let g_f_b = g.translate(f_b.clone());
        Some(Tensor::cat(vec![a, g_a, f_g_a, b, f_b, g_f_b], 0))
    }

    fn join(&mut self, peer: &Peer) {
        for player in [&mut self.g_ab, &mut self.g_ba] {
            player.join(peer);
        }
        for player in [&mut self.d_a, &mut self.d_b] {
            player.join(peer);
        }
        self.shard = peer.shard();
        // Each replica keeps a pool of its own rows' fakes, with a stream of its own.
        let rank = self.shard.rank;
        self.pool_a.rng = rng_from_seed(pool_seed(self.config.seed, rank, 0xA));
        self.pool_b.rng = rng_from_seed(pool_seed(self.config.seed, rank, 0xB));
    }

    /// Gathers every peer's pools into the leader: each peer writes its pools (images, fill
    /// and RNG state) into its own row of a `[peers, row]` tensor of zeros, and the sum over the
    /// peers holds all rows exactly.
    fn gather(&mut self, peer: &Peer) -> TrainResult<()> {
        let Shard { rank, count } = peer.shard();
        if count < 2 || self.cyclegan.pool_size == 0 {
            return Ok(());
        }
        let pools = [&self.pool_a, &self.pool_b];
        let sizes: Vec<usize> = pools.iter().map(|p| p.capacity * p.features).collect();
        let extra = 2 * (1 + RNG_BYTES);
        let row = sizes.iter().sum::<usize>() + extra;
        let mut parts: Vec<Tensor<B::InnerBackend, 1>> = Vec::with_capacity(3);
        let mut host = Vec::with_capacity(extra);
        for pool in pools {
            let images = pool
                .images
                .clone()
                .expect("a pool of capacity > 0 has its tensor");
            parts.push(images.reshape([pool.capacity * pool.features]));
            host.push(pool.len as f32);
            let rng = serde_json::to_vec(&pool.rng).expect("the RNG serialises");
            assert!(
                rng.len() <= RNG_BYTES,
                "an RNG state of {} bytes",
                rng.len()
            );
            host.extend(rng.iter().map(|&b| f32::from(b)));
            host.resize(host.len() + RNG_BYTES - rng.len(), 0.0);
        }
        parts.push(Tensor::from_data(
            TensorData::new(host, [extra]),
            &self.device,
        ));
        let mine = Tensor::cat(parts, 0).reshape([1, row]);
        let all = Tensor::<B::InnerBackend, 2>::zeros([count, row], &self.device)
            .slice_assign([rank..rank + 1, 0..row], mine);
        let all = peer.sum(all, "the image pools' gather")?;
        if rank != 0 {
            return Ok(());
        }
        let states = all
            .clone()
            .narrow(1, row - extra, extra)
            .into_data()
            .iter::<f32>()
            .collect::<Vec<f32>>();
        let mut gathered = Vec::with_capacity(count - 1);
        for r in 1..count {
            let mut states = states[r * extra..(r + 1) * extra].chunks_exact(1 + RNG_BYTES);
            let mut state = || -> TrainResult<PoolState> {
                let values = states.next().expect("two pool states a row");
                let bytes: Vec<u8> = values[1..]
                    .iter()
                    .map(|&v| v as u8)
                    .take_while(|&b| b != 0)
                    .collect();
                let rng = serde_json::from_slice(&bytes).map_err(|e| TrainError::Collective {
                    what: "the image pools' gather",
                    reason: format!("peer {r} sent an unreadable RNG state: {e}"),
                })?;
                Ok((values[0] as usize, rng))
            };
            let (a, b) = (state()?, state()?);
            let images = |offset: usize, pool: &ImagePool<B::InnerBackend>| {
                Param::from_tensor(
                    all.clone()
                        .narrow(0, r, 1)
                        .narrow(1, offset, pool.capacity * pool.features)
                        .reshape([pool.capacity, pool.features]),
                )
            };
            gathered.push(PeerPools {
                images: PoolImages {
                    a: Some(images(0, &self.pool_a)),
                    b: Some(images(sizes[0], &self.pool_b)),
                },
                a,
                b,
            });
        }
        self.peer_pools = gathered;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_from_before_the_semantic_term_read_as_without_it() {
        let old =
            serde_json::json!({"lambda_cycle": 10.0, "lambda_identity": 0.5, "pool_size": 50});
        let config = cyclegan_config_of_any_version(old).unwrap();
        assert_eq!(config, CycleGanConfig::new());
        let new = serde_json::json!({
            "lambda_cycle": 1.0, "lambda_identity": 0.0, "pool_size": 5, "lambda_semantic": 2.0
        });
        let config = cyclegan_config_of_any_version(new).unwrap();
        assert_eq!(config.lambda_semantic, 2.0);
        assert_eq!(config.pool_size, 5);
        let wrong = serde_json::json!({"lambda_cycle": "ten"});
        assert!(cyclegan_config_of_any_version(wrong).is_err());
    }
}

//! The theory of Goodfellow et al. (2014), checked numerically with fixed seeds on Flex (the other
//! backends are tied to Flex by `equivalence`); resume and interrupted saves on every backend.
//!
//! - For a fixed generator the optimal discriminator is `D*(x) = p_data / (p_data + p_g)`.
//! - At `p_g = p_data` the optimal discriminator is 1/2 and the criterion is `-log 4`.
//! - The saturating generator loss has a vanishing gradient where the discriminator rejects the
//!   samples confidently; the non-saturating loss does not.
//! - A 1-D GAN learns a Gaussian with each of the six losses.
//! - A resumed run equals an uninterrupted one; a crash during a checkpoint save loses nothing.
//!
//! Weights are drawn from a host RNG ([`crate::common::host_init`]) and the discriminators have no
//! dropout, so the backend's global RNG (shared by tests running in parallel) plays no part:
//! every number here is fixed by the seeds in the test. Tolerances are stated in each test.

use crate::common;

use std::path::Path;

use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use gan::data::{Toy2d, ToySampler};
use gan::models::{Discriminator, MlpDiscriminator, MlpDiscriminatorConfig, MlpGenerator, Prior};
use gan::toy::ToyRunConfig;
use gan::train::{
    AdamParams, GanLoss, GradientPenalty, OptimizerConfig, RmsPropParams, RunConfig, RunDir,
    TrainConfig, Trainer, fit, latest_checkpoint,
};

use crate::common::{
    Gaussian1d, KillAt, affine_generator, host_init, is_bitwise_backend, max_abs_diff, mean_std,
    param_values, small_discriminator,
};

/// The discriminator's logits at the points `xs`.
fn logits_at<B: AutodiffBackend, D: Discriminator<B>>(
    d: &D,
    xs: &[f32],
    device: &B::Device,
) -> Vec<f32> {
    let x = Tensor::<B, 1>::from_floats(xs, device).reshape([xs.len(), 1]);
    d.discriminate(x, None).into_data().iter::<f32>().collect()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The evaluation grid: x in [-2, 2] in steps of 0.2, where both densities have mass.
fn grid() -> Vec<f32> {
    (0..=20).map(|i| -2.0 + 0.2 * i as f32).collect()
}

/// Trains only D against a fixed affine G on data `N(data_mean, 1)`: Adam at 1e-3 for 2,000
/// steps of 512 + 512 samples, then 500 steps at 1e-4 to settle the last iterate.
fn train_discriminator_only<B: AutodiffBackend>(
    g_shift: f32,
    data_mean: f32,
    device: &B::Device,
) -> Trainer<B, MlpGenerator<B>, MlpDiscriminator<B>> {
    let config = TrainConfig::new()
        .with_loss(GanLoss::Minimax)
        .with_batch_size(512)
        .with_d_optimizer(OptimizerConfig::Adam(AdamParams::new().with_beta_1(0.9)))
        .with_d_lr(1e-3)
        .with_seed(11);
    let mut trainer = Trainer::new(
        config,
        affine_generator::<B>(1.0, g_shift, device),
        small_discriminator::<B>(32, 5, device),
        Prior::Normal,
        device.clone(),
    )
    .unwrap();
    let mut data = Gaussian1d::new(data_mean, 1.0, 3);
    for _ in 0..2000 {
        trainer.train_discriminator(&mut data).unwrap();
    }
    trainer.set_learning_rates(2e-4, 1e-4);
    for _ in 0..500 {
        trainer.train_discriminator(&mut data).unwrap();
    }
    trainer
}

/// Data `N(-1, 1)`, G fixed to `N(1, 1)`: `D*(x) = p_data / (p_data + p_g) = sigmoid(-2x)`.
/// Tolerance: |D(x) - D*(x)| < 0.05 everywhere on the grid.
fn optimal_discriminator<B: AutodiffBackend>(device: &B::Device) {
    let trainer = train_discriminator_only::<B>(1.0, -1.0, device);
    let xs = grid();
    let logits = logits_at(trainer.discriminator(), &xs, device);
    let (worst_x, worst) = xs
        .iter()
        .zip(&logits)
        .map(|(&x, &l)| (x, (sigmoid(l as f64) - sigmoid(-2.0 * x as f64)).abs()))
        .fold((0.0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    assert!(
        worst < 0.05,
        "|D(x) - D*(x)| = {worst:.4} at x = {worst_x}, logits {logits:?}"
    );
}

/// Data and G both `N(-1, 1)`: the trained D is 1/2 within 0.05 on the grid, and
/// `V(D, G) = E log D(x) + E log(1 - D(G(z)))` over 20,000 + 20,000 fresh samples is
/// `-log 4` within 0.05.
fn equilibrium_is_minus_log_4<B: AutodiffBackend>(device: &B::Device) {
    let mut trainer = train_discriminator_only::<B>(-1.0, -1.0, device);
    let xs = grid();
    for (x, l) in xs
        .iter()
        .zip(logits_at(trainer.discriminator(), &xs, device))
    {
        let d = sigmoid(l as f64);
        assert!((d - 0.5).abs() < 0.05, "D({x}) = {d:.4}, expected 1/2");
    }
    let n = 20_000;
    let (real, _) = Gaussian1d::new(-1.0, 1.0, 99).draw(n);
    let fake: Vec<f32> = trainer.sample(n).into_data().iter::<f32>().collect();
    let real_logits = logits_at(trainer.discriminator(), &real, device);
    let fake_logits = logits_at(trainer.discriminator(), &fake, device);
    let value = -real_logits
        .iter()
        .map(|&l| softplus(-l as f64))
        .sum::<f64>()
        / n as f64
        - fake_logits.iter().map(|&l| softplus(l as f64)).sum::<f64>() / n as f64;
    let target = -(4.0f64.ln());
    assert!(
        (value - target).abs() < 0.05,
        "V(D, G) = {value:.4}, expected -log 4 = {target:.4}"
    );
}

/// Data `N(-4, 1)`, G fixed to `N(4, 1)`: after D training D rejects the samples confidently
/// (mean D(G(z)) < 0.02). The gradient of G's loss with respect to G's output is then, per
/// sample, `exp(l)` times smaller for the saturating loss than for the non-saturating one
/// (`l` the logit; checked to 1e-3 relative), and more than 50x smaller on average.
fn saturating_gradient_vanishes<B: AutodiffBackend>(device: &B::Device) {
    let mut trainer = train_discriminator_only::<B>(4.0, -4.0, device);
    let fake = trainer.sample(1000);
    let gradient = |loss: GanLoss| {
        let x = Tensor::<B, 2>::from_inner(fake.clone()).require_grad();
        let logits = trainer.discriminator().discriminate(x.clone(), None);
        let grads = loss.generator(logits).backward();
        let g: Vec<f32> = x.grad(&grads).unwrap().into_data().iter::<f32>().collect();
        g
    };
    let saturating = gradient(GanLoss::Minimax);
    let non_saturating = gradient(GanLoss::NonSaturating);
    let xs: Vec<f32> = fake.into_data().iter::<f32>().collect();
    let logits = logits_at(trainer.discriminator(), &xs, device);
    let d_fake = logits.iter().map(|&l| sigmoid(l as f64)).sum::<f64>() / logits.len() as f64;
    assert!(
        d_fake < 0.02,
        "D does not reject the samples: mean D(G(z)) = {d_fake}"
    );
    for ((s, ns), l) in saturating.iter().zip(&non_saturating).zip(&logits) {
        if ns.abs() > 1e-9 {
            let ratio = (*s as f64) / (*ns as f64);
            let expected = (*l as f64).exp();
            assert!(
                (ratio - expected).abs() <= 1e-3 * expected + 1e-9,
                "gradient ratio {ratio:e}, expected exp(logit) = {expected:e}"
            );
        }
    }
    let mean_abs = |g: &[f32]| g.iter().map(|v| v.abs() as f64).sum::<f64>() / g.len() as f64;
    let (s, ns) = (mean_abs(&saturating), mean_abs(&non_saturating));
    assert!(
        s * 50.0 < ns,
        "saturating |grad| {s:e} vs non-saturating {ns:e}"
    );
}

/// The six losses of the crate, with the optimizer settings each is used with.
#[derive(Debug, Clone, Copy)]
enum Variant {
    Minimax,
    NonSaturating,
    LeastSquares,
    Wgan,
    WganGp,
    Hinge,
}

impl Variant {
    /// The training config, the iterations at its learning rates and the iterations of the
    /// settling phase at a tenth of them.
    ///
    /// The four losses with `k = 1` use Adam at 5e-3 for 1,200 iterations (checked robust over
    /// six weight and data seeds on Flex). The Wasserstein losses learn the spread more slowly
    /// (a Lipschitz critic is nearly linear, so its signal for the standard deviation is weak)
    /// and take `k = 5` with a longer schedule.
    fn config(self) -> (TrainConfig, usize, usize) {
        let adam = OptimizerConfig::Adam(AdamParams::new().with_beta_1(0.5));
        let base = TrainConfig::new()
            .with_batch_size(256)
            .with_g_optimizer(adam.clone())
            .with_d_optimizer(adam)
            .with_g_lr(5e-3)
            .with_d_lr(5e-3)
            .with_seed(21);
        match self {
            Variant::Minimax => (base.with_loss(GanLoss::Minimax), 1200, 400),
            Variant::NonSaturating => (base.with_loss(GanLoss::NonSaturating), 1200, 400),
            Variant::LeastSquares => (base.with_loss(GanLoss::LeastSquares), 1200, 400),
            Variant::Hinge => (base.with_loss(GanLoss::Hinge), 1200, 400),
            Variant::Wgan => {
                let rms = OptimizerConfig::RmsProp(RmsPropParams::new());
                let config = base
                    .with_loss(GanLoss::Wasserstein)
                    .with_k(5)
                    .with_weight_clip(Some(0.1))
                    .with_g_lr(2e-3)
                    .with_d_lr(2e-3)
                    .with_g_optimizer(rms.clone())
                    .with_d_optimizer(rms);
                (config, 3000, 1000)
            }
            Variant::WganGp => {
                // λ = 0.3 rather than the paper's 10: in one dimension `|D'|` can only go from
                // -1 to 1 through 0, so a strong penalty locks the critic's slope in the sign it
                // has (at initialisation, or when G overshoots the data) and G is pushed past
                // the data. A critic 5x faster than G (two time scales) follows G closely.
                let adam =
                    OptimizerConfig::Adam(AdamParams::new().with_beta_1(0.5).with_beta_2(0.9));
                let config = base
                    .with_loss(GanLoss::Wasserstein)
                    .with_k(5)
                    .with_g_lr(1e-3)
                    .with_d_lr(5e-3)
                    .with_penalty(Some(GradientPenalty::WganGp { lambda: 0.3 }))
                    .with_g_optimizer(adam.clone())
                    .with_d_optimizer(adam);
                (config, 4000, 1000)
            }
        }
    }
}

/// G affine, starting at `N(0, 1)`; D two hidden layers of 32; data `N(4, 0.5²)`. After the
/// variant's iterations at its learning rates and a settling phase at a tenth of them (which
/// damps the oscillation around the equilibrium), 20,000 samples have mean 4 within 0.1 and
/// standard deviation 0.5 within 0.1.
fn learns_gaussian<B: AutodiffBackend>(variant: Variant, device: &B::Device) {
    let (config, iterations, settle) = variant.config();
    let (g_lr, d_lr) = (config.g_lr, config.d_lr);
    let mut trainer = Trainer::new(
        config.with_iterations(iterations + settle),
        affine_generator::<B>(1.0, 0.0, device),
        small_discriminator::<B>(32, 8, device),
        Prior::Normal,
        device.clone(),
    )
    .unwrap();
    let mut data = Gaussian1d::new(4.0, 0.5, 4);
    for _ in 0..iterations {
        trainer.step(&mut data).unwrap();
    }
    trainer.set_learning_rates(g_lr / 10.0, d_lr / 10.0);
    for _ in 0..settle {
        trainer.step(&mut data).unwrap();
    }
    let samples: Vec<f32> = trainer.sample(20_000).into_data().iter::<f32>().collect();
    let (mean, std) = mean_std(&samples);
    assert!(
        (mean - 4.0).abs() < 0.1 && (std - 0.5).abs() < 0.1,
        "{variant:?}: learned N({mean:.3}, {std:.3}²), expected N(4, 0.5²)"
    );
}

fn learns_gaussian_minimax<B: AutodiffBackend>(device: &B::Device) {
    learns_gaussian::<B>(Variant::Minimax, device);
}
fn learns_gaussian_non_saturating<B: AutodiffBackend>(device: &B::Device) {
    learns_gaussian::<B>(Variant::NonSaturating, device);
}
fn learns_gaussian_least_squares<B: AutodiffBackend>(device: &B::Device) {
    learns_gaussian::<B>(Variant::LeastSquares, device);
}
fn learns_gaussian_wgan<B: AutodiffBackend>(device: &B::Device) {
    learns_gaussian::<B>(Variant::Wgan, device);
}
fn learns_gaussian_wgan_gp<B: AutodiffBackend>(device: &B::Device) {
    learns_gaussian::<B>(Variant::WganGp, device);
}
fn learns_gaussian_hinge<B: AutodiffBackend>(device: &B::Device) {
    learns_gaussian::<B>(Variant::Hinge, device);
}

/// A ring-of-8 trainer exercising every piece of state a checkpoint must carry: Adam moments
/// for both networks, `k = 2`, WGAN-GP's host-drawn interpolation weights, and an EMA generator.
fn resumable_trainer<B: AutodiffBackend>(
    iterations: usize,
    device: &B::Device,
) -> Trainer<B, MlpGenerator<B>, MlpDiscriminator<B>> {
    let base = ToyRunConfig::new();
    let g = host_init(base.generator.init::<B>(device), 1);
    let d = host_init(base.discriminator.init::<B>(device), 2);
    let config = base
        .training
        .with_iterations(iterations)
        .with_batch_size(64)
        .with_k(2)
        .with_loss(GanLoss::Wasserstein)
        .with_penalty(Some(GradientPenalty::wgan_gp()))
        .with_ema_decay(Some(0.9))
        .with_seed(5);
    Trainer::new(config, g, d, Prior::Normal, device.clone()).unwrap()
}

fn run_config(checkpoint_every: usize) -> RunConfig {
    RunConfig::new()
        .with_log_every(5)
        .with_sample_every(0)
        .with_checkpoint_every(checkpoint_every)
}

fn all_weights<B: AutodiffBackend>(
    trainer: &Trainer<B, MlpGenerator<B>, MlpDiscriminator<B>>,
) -> Vec<f32> {
    let mut v = param_values(trainer.generator());
    v.extend(param_values(trainer.discriminator()));
    v.extend(param_values(trainer.ema_generator().unwrap()));
    v
}

/// 40 iterations straight, and 20 + resume from the checkpoint on disk + 20, give the same
/// weights (G, D and the EMA generator) and the same logged losses: bitwise on Flex and
/// ndarray, within 1e-5 on the other backends.
fn resume_equals_uninterrupted<B: AutodiffBackend>(device: &B::Device) {
    let straight_dir = tempfile::tempdir().unwrap();
    let mut straight = resumable_trainer::<B>(40, device);
    let mut data = ToySampler::new(Toy2d::ring8(), 9).unwrap();
    let straight_run = RunDir::new(straight_dir.path());
    fit(
        &mut straight,
        &mut data,
        &straight_run,
        &run_config(20),
        false,
        &mut [],
    )
    .unwrap();

    // The first leg is the same 40-iteration run (so the learning-rate schedule is the same),
    // killed during iteration 21, after its checkpoint at 20 was written.
    let resumed_dir = tempfile::tempdir().unwrap();
    let resumed_run = RunDir::new(resumed_dir.path());
    let mut first = resumable_trainer::<B>(40, device);
    let mut data = ToySampler::new(Toy2d::ring8(), 9).unwrap();
    let killed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        fit(
            &mut first,
            &mut data,
            &resumed_run,
            &run_config(20),
            false,
            &mut [&mut KillAt(21)],
        )
    }));
    assert!(killed.is_err(), "the first leg should have been killed");
    drop(first);
    // A fresh process would rebuild everything from the config: new models, new data source.
    let mut second = resumable_trainer::<B>(40, device);
    let mut data = ToySampler::new(Toy2d::ring8(), 9).unwrap();
    let summary = fit(
        &mut second,
        &mut data,
        &resumed_run,
        &run_config(20),
        true,
        &mut [],
    )
    .unwrap();
    assert_eq!(summary.started_at, 20);
    assert_eq!(second.iteration(), 40);

    let (a, b) = (all_weights(&straight), all_weights(&second));
    let a_metrics = straight_run.read_metrics().unwrap();
    let b_metrics = resumed_run.read_metrics().unwrap();
    let steps = |m: &[gan::train::Metrics]| m.iter().map(|m| m.step).collect::<Vec<_>>();
    assert_eq!(steps(&a_metrics), steps(&b_metrics));
    let losses = |m: &[gan::train::Metrics]| {
        m.iter()
            .flat_map(|m| [m["d_loss"], m["g_loss"]])
            .collect::<Vec<_>>()
    };
    if is_bitwise_backend::<B>() {
        assert_eq!(a, b, "resumed weights differ");
        assert_eq!(losses(&a_metrics), losses(&b_metrics));
    } else {
        let diff = max_abs_diff(&a, &b);
        assert!(diff <= 1e-5, "resumed weights differ by {diff}");
        let diff = max_abs_diff(&losses(&a_metrics), &losses(&b_metrics));
        assert!(diff <= 1e-4, "resumed losses differ by {diff}");
    }
}

/// What a crash in the middle of a save leaves behind (a hidden temporary directory with a
/// partial file) is ignored: the previous checkpoint stays the latest, resuming from it works,
/// and the next save clears the debris.
fn interrupted_save_keeps_previous_checkpoint<B: AutodiffBackend>(device: &B::Device) {
    let dir = tempfile::tempdir().unwrap();
    let run = RunDir::new(dir.path());
    let mut trainer = resumable_trainer::<B>(10, device);
    let mut data = ToySampler::new(Toy2d::ring8(), 9).unwrap();
    fit(
        &mut trainer,
        &mut data,
        &run,
        &run_config(10),
        false,
        &mut [],
    )
    .unwrap();
    let good = run.latest_checkpoint().unwrap();

    // A save of iteration 20 killed halfway through writing the generator.
    let debris = run.checkpoints().join(".tmp-step-00000020-4242");
    std::fs::create_dir(&debris).unwrap();
    let weights = std::fs::read(good.join("generator.safetensors")).unwrap();
    std::fs::write(
        debris.join("generator.safetensors"),
        &weights[..weights.len() / 2],
    )
    .unwrap();
    assert_eq!(latest_checkpoint(&run.checkpoints()).unwrap(), good);

    // The `latest` pointer itself half-written (empty) falls back to the newest complete one.
    std::fs::write(run.checkpoints().join("latest"), "").unwrap();
    assert_eq!(latest_checkpoint(&run.checkpoints()).unwrap(), good);

    let mut resumed = resumable_trainer::<B>(12, device);
    let mut data = ToySampler::new(Toy2d::ring8(), 9).unwrap();
    let summary = fit(
        &mut resumed,
        &mut data,
        &run,
        &run_config(10),
        true,
        &mut [],
    )
    .unwrap();
    assert_eq!(summary.started_at, 10);
    assert!(
        !debris.exists(),
        "the interrupted save's directory is cleared"
    );
    assert_eq!(
        run.latest_checkpoint().unwrap(),
        run.checkpoints().join("step-00000012")
    );
}

/// A fixed minibatch, the same at every call.
struct FixedBatch(Vec<f32>);

impl<B: burn::tensor::backend::Backend> gan::data::BatchSource<B> for FixedBatch {
    fn sample_shape(&self) -> Vec<usize> {
        vec![1]
    }

    fn next_batch(&mut self, m: usize, device: &B::Device) -> gan::data::Batch<B> {
        assert_eq!(m, self.0.len());
        gan::data::Batch {
            samples: Tensor::<B, 1>::from_floats(self.0.as_slice(), device).reshape([m, 1]),
            labels: None,
        }
    }
}

/// One iteration of Algorithm 1 (k = 1, non-saturating loss, plain SGD) by hand, for
/// `G(z) = a z + b` and the logit `D(x) = w x + c`: the discriminator descends
/// `mean softplus(-D(x)) + mean softplus(D(G(z)))` at `(w, c)`, then the generator descends
/// `mean softplus(-D'(G(z)))` through the updated discriminator `D'` on the same generated
/// batch, and leaves `D'` as it is. The noise is the trainer's first draw from its seed. Every
/// parameter within 1e-5 of the closed form.
fn one_iteration_is_algorithm_1_by_hand<B: AutodiffBackend>(device: &B::Device) {
    use gan::models::rng_from_seed;
    use gan::train::SgdParams;

    let (a, b, w, c, lr, seed) = (0.8f64, 0.3f64, 0.6f64, -0.2f64, 0.1f64, 5u64);
    let real = vec![0.5f32, -1.0, 2.0, 1.5];
    let m = real.len();
    let sgd = OptimizerConfig::Sgd(SgdParams::new().with_momentum(0.0));
    let config = TrainConfig::new()
        .with_loss(GanLoss::NonSaturating)
        .with_batch_size(m)
        .with_g_optimizer(sgd.clone())
        .with_d_optimizer(sgd)
        .with_g_lr(lr)
        .with_d_lr(lr)
        .with_seed(seed);
    let d = MlpDiscriminatorConfig::new()
        .with_input_dim(1)
        .with_hidden(vec![])
        .with_input_dropout(0.0)
        .with_hidden_dropout(0.0)
        .init::<B>(device);
    let d = common::set_params(d, &[w as f32, c as f32]);
    let g = affine_generator::<B>(a as f32, b as f32, device);
    let mut trainer = Trainer::new(config, g, d, Prior::Normal, device.clone()).unwrap();
    trainer.step(&mut FixedBatch(real.clone())).unwrap();

    // The closed form, in f64.
    let z: Vec<f64> = Prior::Normal
        .sample::<B::InnerBackend, _>(m, 1, &mut rng_from_seed(seed), device)
        .into_data()
        .iter::<f32>()
        .map(f64::from)
        .collect();
    let n = m as f64;
    let fake: Vec<f64> = z.iter().map(|z| a * z + b).collect();
    let (mut dw, mut dc) = (0.0, 0.0);
    for &x in &real {
        let x = f64::from(x);
        let s = -sigmoid(-(w * x + c)) / n;
        dw += s * x;
        dc += s;
    }
    for &x in &fake {
        let s = sigmoid(w * x + c) / n;
        dw += s * x;
        dc += s;
    }
    let (w1, c1) = (w - lr * dw, c - lr * dc);
    let (mut da, mut db) = (0.0, 0.0);
    for (&z, &x) in z.iter().zip(&fake) {
        let s = -sigmoid(-(w1 * x + c1)) * w1 / n;
        da += s * z;
        db += s;
    }
    let (a1, b1) = (a - lr * da, b - lr * db);

    let close = |what: &str, got: Vec<f32>, expected: [f64; 2]| {
        for (g, e) in got.iter().zip(expected) {
            assert!(
                (f64::from(*g) - e).abs() <= 1e-5,
                "{what}: got {got:?}, expected {expected:?}"
            );
        }
    };
    close(
        "discriminator (w, c)",
        param_values(trainer.discriminator()),
        [w1, c1],
    );
    close(
        "generator (a, b)",
        param_values(trainer.generator()),
        [a1, b1],
    );
    // The step moved both players by a visible amount: the comparison is not of unchanged
    // weights.
    assert!((w1 - w).abs() > 1e-3 && (a1 - a).abs() > 1e-3, "{dw} {da}");
}

// The statistical claims: D*, -log 4, the vanishing gradient and the 1-D fit of every loss
// (about 40,000 training steps in all) run on Flex; `equivalence` shows that the other
// backends train the same way from the same weights and batches.
flex_tests!(
    optimal_discriminator,
    equilibrium_is_minus_log_4,
    saturating_gradient_vanishes,
    learns_gaussian_minimax,
    learns_gaussian_non_saturating,
    learns_gaussian_least_squares,
    learns_gaussian_hinge,
    learns_gaussian_wgan,
    learns_gaussian_wgan_gp,
);

// Where `equivalence` finds a known discrepancy from Flex (the non-saturating loss on ndarray),
// the statistic itself is proven on that backend as well.
#[cfg(feature = "ndarray")]
mod ndarray_statistics {
    #[test]
    fn learns_gaussian_non_saturating() {
        super::learns_gaussian_non_saturating::<gan::backend::NdArrayAutodiff>(&Default::default());
    }
}

backend_tests!(
    one_iteration_is_algorithm_1_by_hand,
    resume_equals_uninterrupted,
    interrupted_save_keeps_previous_checkpoint,
);

/// Kills the `gan` command with SIGKILL at several moments of a run that writes a checkpoint
/// every iteration (once a new checkpoint has appeared, then after 0-230 ms more); after every
/// kill the newest checkpoint loads, and the next round resumes from it.
#[cfg(all(unix, feature = "flex"))]
#[test]
fn killed_process_leaves_a_loadable_checkpoint() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let checkpoints = out.join("checkpoints");
    let iteration_of = |path: &Path| -> usize {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        name.trim_start_matches("step-").parse().unwrap()
    };
    let mut last = 0;
    let mut debris_seen = 0;
    for (round, extra_ms) in [0u64, 37, 91, 150, 230].into_iter().enumerate() {
        let out_str = out.to_str().unwrap().to_string();
        let mut args = vec![
            "train",
            "--dataset",
            "ring8",
            "--quiet",
            "--checkpoint-every",
            "1",
            "--sample-every",
            "0",
            "--steps",
            "1000000",
        ];
        if round == 0 {
            args.extend(["--out", &out_str]);
        } else {
            args.extend(["--resume", &out_str]);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_gan"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait (up to two minutes on a loaded machine) for a checkpoint newer than the last.
        let start = Instant::now();
        loop {
            if latest_checkpoint(&checkpoints).is_some_and(|p| iteration_of(&p) > last) {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("round {round}: `gan train` exited early with {status}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "round {round}: no checkpoint"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(extra_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let latest = latest_checkpoint(&checkpoints).expect("a checkpoint survives the kill");
        assert!(iteration_of(&latest) > last);
        last = iteration_of(&latest);
        debris_seen += crate::common::checkpoint_debris(&checkpoints);
        check_loads(&out, &latest);
    }
    eprintln!("last checkpoint {last}; temporary directories left by kills: {debris_seen}");
}

/// Loads `checkpoint` into a trainer built from the run's saved config.
#[cfg(all(unix, feature = "flex"))]
fn check_loads(run: &Path, checkpoint: &Path) {
    use burn::config::Config;
    type B = gan::backend::FlexAutodiff;
    let config = ToyRunConfig::load(run.join("config.json")).unwrap();
    let device = Default::default();
    let mut trainer = Trainer::new(
        config.training.clone().with_seed(config.seed),
        config.generator.init::<B>(&device),
        config.discriminator.init::<B>(&device),
        config.generator.prior,
        device,
    )
    .unwrap();
    let mut data = ToySampler::new(config.dataset.clone(), 0).unwrap();
    trainer
        .load_checkpoint(&mut data, checkpoint)
        .unwrap_or_else(|e| panic!("{}: {e}", checkpoint.display()));
    let name = checkpoint
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(name, format!("step-{:08}", trainer.iteration()));
}

//! Gradient penalties on the discriminator's input gradient, with first-order gradients.
//!
//! A penalty `P(θ) = E φ(‖∇ₓ D(x; θ)‖)` needs the gradient of an input gradient, a second
//! derivative, which Burn 0.21's autodiff does not provide. Its gradient has a first-order form:
//! with `g = ∇ₓ D(x; θ)`, `n = ‖g‖` and the unit vector `u = g / n` held constant,
//!
//! ```text
//! ∇θ φ(n) = φ'(n) ∇θ n = φ'(n) ∇θ ⟨u, ∇ₓ D(x; θ)⟩ = φ'(n) ∇θ ∂/∂h D(x + h u; θ) |_{h=0}
//! ```
//!
//! and the directional derivative is a central difference,
//! `(D(x + h u) − D(x − h u)) / 2h`, exact for a discriminator linear in `x` and otherwise
//! correct to `O(h²)`. The trainer therefore minimises the *surrogate*
//! `E φ'(n) · (D(x + h u; θ) − D(x − h u; θ)) / 2h` (with `φ'(n)`, `x` and `u` detached), whose
//! parameter gradient is the penalty's, and reports the penalty's value `E φ(n)` itself.
//!
//! Cost per discriminator step: one forward and backward pass for `g`, then two forward passes
//! whose backward pass joins the adversarial loss's.
//!
//! The two forward passes are separate calls, not one batch of `2m`: a parameter that moves
//! `D(x + h u)` and `D(x − h u)` alike (the critic's output bias) then gets two gradients that
//! are exact negatives, and its penalty gradient is exactly zero, as it is in exact arithmetic.
//! From one batch, the same gradient is the rounding error of a sum of `2m` terms of both
//! signs, which Adam's normalisation turns into full learning-rate steps in a direction that
//! depends on the backend's summation order.
//!
//! The difference quotient needs the same function at `x + h u` and `x − h u`: use a
//! discriminator without dropout or batch normalisation with these penalties (the WGAN-GP paper
//! recommends layer norm or no normalisation in the critic for the same reason).

use burn::config::Config;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Int, Tensor};
use gan_models::Discriminator;
use rand::{Rng, RngExt};

use crate::error::{Result as TrainResult, TrainError};
use crate::parallel::Shard;

/// A penalty on the norm of the discriminator's gradient with respect to its input.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum GradientPenalty {
    /// WGAN-GP (Gulrajani et al. 2017): `λ E (‖∇ D(x̂)‖ − 1)²` at points `x̂ = ε x + (1 − ε) G(z)`
    /// with `ε ~ U[0, 1]` per sample, pulling the critic towards 1-Lipschitz.
    WganGp {
        /// Penalty weight `λ` (10 in the paper).
        lambda: f64,
    },
    /// DRAGAN (Kodali et al. 2017): `λ E (‖∇ D(x̂)‖ − 1)²` at points `x̂ = x + α δ` near the
    /// data, with `δ = 0.5 · std(x) · U[0, 1)` per element (`std` over the whole real batch)
    /// and `α ~ U[0, 1)` per sample (see [`dragan_points`]): the discriminator is kept smooth
    /// around the real samples, where mode collapse starts.
    Dragan {
        /// Penalty weight `λ` (10, as in compare_gan).
        lambda: f64,
    },
    /// R1 (Mescheder et al. 2018): `γ/2 E ‖∇ D(x)‖²` on real data, which penalises the
    /// discriminator for non-zero gradients on the data manifold.
    R1 {
        /// Penalty weight `γ`.
        gamma: f64,
    },
}

impl GradientPenalty {
    /// WGAN-GP with the paper's `λ = 10`.
    pub fn wgan_gp() -> Self {
        GradientPenalty::WganGp { lambda: 10.0 }
    }

    /// DRAGAN with `λ = 10`.
    pub fn dragan() -> Self {
        GradientPenalty::Dragan { lambda: 10.0 }
    }

    /// Checks the weight.
    pub fn validate(&self) -> TrainResult<()> {
        let (field, weight) = match *self {
            GradientPenalty::WganGp { lambda } | GradientPenalty::Dragan { lambda } => {
                ("penalty.lambda", lambda)
            }
            GradientPenalty::R1 { gamma } => ("penalty.gamma", gamma),
        };
        if weight.is_finite() && weight >= 0.0 {
            Ok(())
        } else {
            Err(TrainError::InvalidParameter {
                field,
                value: weight.to_string(),
                expected: "a finite number >= 0",
            })
        }
    }

    /// Whether the penalty is taken at interpolates between real and generated samples
    /// (WGAN-GP) rather than at the real samples (R1).
    pub fn interpolates(&self) -> bool {
        matches!(self, GradientPenalty::WganGp { .. })
    }

    /// `φ(n)` and `φ'(n)` for gradient norms `n`.
    fn phi<B: Backend>(&self, norm: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        match *self {
            GradientPenalty::WganGp { lambda } | GradientPenalty::Dragan { lambda } => {
                let gap = norm - 1.0;
                (gap.clone().powi_scalar(2) * lambda, gap * (2.0 * lambda))
            }
            GradientPenalty::R1 { gamma } => {
                (norm.clone().powi_scalar(2) * (gamma / 2.0), norm * gamma)
            }
        }
    }
}

/// DRAGAN's perturbed points `x̂ = x + α δ` around a real batch `x`: `δ = 0.5 · std(x) · u`
/// with `u ~ U[0, 1)` per element and `std(x)` the (unbiased) standard deviation of all of the
/// batch's elements, and `α ~ U[0, 1)` per sample. The uniform draws come from `rng` on the
/// host, so a seed gives the same points on every backend.
///
/// # Shapes
/// - `real`: `[batch, features]`
/// - output: `[batch, features]`
pub fn dragan_points<B: Backend, R: Rng + ?Sized>(real: Tensor<B, 2>, rng: &mut R) -> Tensor<B, 2> {
    dragan_points_shard(real, rng, Shard::WHOLE)
}

/// [`dragan_points`] for one replica of a data-parallel run: `real` is the replica's rows of
/// the global minibatch, the noise `u` and `α` are drawn for the whole global minibatch (so
/// every replica's RNG advances alike) and the replica's rows kept. The scale `std(x)` is the
/// replica's own rows'.
pub fn dragan_points_shard<B: Backend, R: Rng + ?Sized>(
    real: Tensor<B, 2>,
    rng: &mut R,
    shard: Shard,
) -> Tensor<B, 2> {
    let [m, n] = real.dims();
    let device = real.device();
    let global = shard.global(m);
    let u: Vec<f32> = (0..global * n).map(|_| rng.random::<f32>()).collect();
    let alpha: Vec<f32> = (0..global).map(|_| rng.random::<f32>()).collect();
    let (u, alpha) = (shard.pick(u, n), shard.pick(alpha, 1));
    let u = Tensor::<B, 1>::from_floats(u.as_slice(), &device).reshape([m, n]);
    let alpha = Tensor::<B, 1>::from_floats(alpha.as_slice(), &device).reshape([m, 1]);
    let std = if m * n > 1 {
        real.clone().reshape([m * n]).var(0).sqrt().reshape([1, 1])
    } else {
        Tensor::zeros([1, 1], &device)
    };
    real + u * std * alpha * 0.5
}

/// The two parts of a gradient penalty for one minibatch.
#[derive(Debug, Clone)]
pub struct PenaltyTerms<B: AutodiffBackend> {
    /// Differentiable surrogate whose parameter gradient equals the penalty's; add it to the
    /// discriminator's loss. Its value is not the penalty's.
    ///
    /// # Shapes
    /// `[1]`
    pub surrogate: Tensor<B, 1>,
    /// The penalty's value `E φ(‖∇ₓ D‖)`, detached.
    ///
    /// # Shapes
    /// `[1]`
    pub value: Tensor<B::InnerBackend, 1>,
    /// Mean input-gradient norm `E ‖∇ₓ D‖`, detached.
    ///
    /// # Shapes
    /// `[1]`
    pub grad_norm: Tensor<B::InnerBackend, 1>,
}

/// The discriminator's per-sample input gradient `∇ₓ D(x)` at the points `x` (no gradient flows
/// to the parameters from the result).
///
/// # Shapes
/// - `points`: `[batch, features]`
/// - output: `[batch, features]`
pub fn input_gradient<B, D>(
    discriminator: &D,
    points: Tensor<B::InnerBackend, 2>,
    labels: Option<Tensor<B, 1, Int>>,
) -> Tensor<B::InnerBackend, 2>
where
    B: AutodiffBackend,
    D: Discriminator<B>,
{
    let x = Tensor::<B, 2>::from_inner(points).require_grad();
    let grads = discriminator
        .discriminate(x.clone(), labels)
        .sum()
        .backward();
    x.grad(&grads)
        .expect("the input requires a gradient and reaches the output")
}

/// Computes `penalty` at `points` with a central difference of step `h` along the input
/// gradient's direction (see the module documentation for why its gradient is the penalty's).
///
/// # Shapes
/// - `points`: `[batch, features]`, detached
/// - `labels`: `[batch]` for conditional discriminators
pub fn gradient_penalty<B, D>(
    penalty: &GradientPenalty,
    discriminator: &D,
    points: Tensor<B::InnerBackend, 2>,
    labels: Option<Tensor<B, 1, Int>>,
    h: f64,
) -> PenaltyTerms<B>
where
    B: AutodiffBackend,
    D: Discriminator<B>,
{
    let gradient = input_gradient::<B, D>(discriminator, points.clone(), labels.clone());
    let norm = gradient.clone().powi_scalar(2).sum_dim(1).sqrt();
    let direction = gradient / norm.clone().clamp_min(1e-12);
    let (value, slope) = penalty.phi(norm.clone());
    let step = direction * h;
    // Two calls rather than one batch: see the module documentation.
    let forward = discriminator.discriminate(
        Tensor::from_inner(points.clone() + step.clone()),
        labels.clone(),
    ); // [batch, 1]
    let backward = discriminator.discriminate(Tensor::from_inner(points - step), labels); // [batch, 1]
    let derivative = (forward - backward) / (2.0 * h);
    PenaltyTerms {
        surrogate: (derivative * Tensor::from_inner(slope)).mean(),
        value: value.mean(),
        grad_norm: norm.mean(),
    }
}

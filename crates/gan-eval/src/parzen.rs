//! Parzen-window log-likelihood, the protocol of Goodfellow et al. (2014, Table 1) and of the
//! authors' `parzen_ll.py`: an isotropic Gaussian kernel of width sigma on each of N generated
//! samples μ_i defines the density
//!
//! ```text
//! log p(x) = logsumexp_i( -|x - μ_i|^2 / (2 sigma^2) ) - log N - (d / 2) log(2 pi sigma^2)
//! ```
//!
//! sigma is the value of a grid (`logspace(-1, 0, 10)` in the paper) with the highest mean
//! log-likelihood on validation images; the reported figure is the mean over test images with
//! its standard error std / sqrt(n). Work is done in blocks of test points against all kernels,
//! so memory grows with `block x N`.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::features::Features;

/// The paper's sigma grid: 10 values spaced evenly in log from 0.1 to 1.
pub fn paper_sigmas() -> Vec<f64> {
    (0..10).map(|i| 10f64.powf(-1.0 + i as f64 / 9.0)).collect()
}

/// The outcome of a Parzen-window evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParzenEstimate {
    /// The kernel width chosen on the validation points.
    pub sigma: f64,
    /// Mean log-likelihood of the test points, in nats.
    pub mean: f64,
    /// Its standard error, std / sqrt(n).
    pub std_err: f64,
    /// Each sigma of the grid with its mean validation log-likelihood.
    pub validation: Vec<(f64, f64)>,
    /// The number of kernels (generated samples).
    pub kernels: usize,
    /// The number of test points.
    pub test_points: usize,
}

/// Log-likelihood of each row of `points` under the Parzen window with kernels at the rows of
/// `kernels` and width `sigma`, computed `block` points at a time on backend `B`.
pub fn parzen_log_likelihood<B: Backend>(
    kernels: &Features,
    points: &Features,
    sigma: f64,
    block: usize,
    device: &B::Device,
) -> Result<Vec<f64>> {
    if kernels.dim() != points.dim() {
        return Err(EvalError::Dimension {
            what: "Parzen window",
            found: points.dim(),
            expected: kernels.dim(),
        });
    }
    if kernels.is_empty() {
        return Err(EvalError::TooFewSamples {
            metric: "Parzen window",
            needed: 1,
            got: 0,
        });
    }
    if !(sigma > 0.0 && sigma.is_finite()) || block == 0 {
        return Err(EvalError::Invalid {
            field: if block == 0 { "block" } else { "sigma" },
            value: if block == 0 {
                "0".into()
            } else {
                sigma.to_string()
            },
            expected: "a positive number",
        });
    }
    let d = kernels.dim() as f64;
    let n = kernels.len() as f64;
    let constant = -n.ln() - 0.5 * d * (2.0 * std::f64::consts::PI * sigma * sigma).ln();
    let mu = kernels.block::<B>(0, kernels.len(), device);
    let mu_norm = mu.clone().square().sum_dim(1).transpose();
    let scale = -0.5 / (sigma * sigma);
    let mut out = Vec::with_capacity(points.len());
    for from in (0..points.len()).step_by(block) {
        let to = (from + block).min(points.len());
        let x: Tensor<B, 2> = points.block(from, to, device);
        let x_norm = x.clone().square().sum_dim(1);
        let d2 = (x_norm + mu_norm.clone() - x.matmul(mu.clone().transpose()) * 2.0).clamp_min(0.0);
        let a = d2 * scale;
        let max = a.clone().max_dim(1);
        let lse = (a - max.clone()).exp().sum_dim(1).log() + max;
        out.extend(lse.into_data().iter::<f64>().map(|l| l + constant));
    }
    Ok(out)
}

/// The full protocol: choose sigma from `sigmas` on `validation`, then report the mean
/// log-likelihood of `test` with its standard error.
pub fn parzen_evaluate<B: Backend>(
    kernels: &Features,
    validation: &Features,
    test: &Features,
    sigmas: &[f64],
    block: usize,
    device: &B::Device,
) -> Result<ParzenEstimate> {
    if sigmas.is_empty() {
        return Err(EvalError::Invalid {
            field: "sigmas",
            value: "[]".into(),
            expected: "at least one kernel width",
        });
    }
    let mut scores = Vec::with_capacity(sigmas.len());
    for &sigma in sigmas {
        let ll = parzen_log_likelihood::<B>(kernels, validation, sigma, block, device)?;
        scores.push((sigma, crate::mean_std(&ll).0));
    }
    let (sigma, _) = scores
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("non-empty grid");
    let ll = parzen_log_likelihood::<B>(kernels, test, sigma, block, device)?;
    let (mean, std) = crate::mean_std(&ll);
    Ok(ParzenEstimate {
        sigma,
        mean,
        std_err: std / (ll.len() as f64).sqrt(),
        validation: scores,
        kernels: kernels.len(),
        test_points: test.len(),
    })
}

//! Kernel Inception Distance (Bińkowski et al. 2018): the unbiased estimate of the squared
//! maximum mean discrepancy between real and generated features under the polynomial kernel
//! `k(x, y) = (x·y / d + 1)^3`, averaged over random subsets.
//!
//! For subsets X (real) and Y (generated) of m vectors each:
//!
//! ```text
//! MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m - 1)) + sum_{i != j} k(y_i, y_j) / (m (m - 1))
//!         - 2 sum_{i, j} k(x_i, y_j) / m^2
//! ```
//!
//! Only `m x m` kernel blocks are ever formed, never the full pairwise matrix.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand::seq::index::sample;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::features::Features;

/// How KID is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KidConfig {
    /// Number of random subsets.
    pub subsets: usize,
    /// Vectors per subset (capped at the smaller set's size).
    pub subset_size: usize,
    /// Seed of the subset draws.
    pub seed: u64,
}

impl Default for KidConfig {
    /// 100 subsets of 1,000, as in Bińkowski et al. and `torch-fidelity`.
    fn default() -> Self {
        Self {
            subsets: 100,
            subset_size: 1000,
            seed: 0,
        }
    }
}

/// KID's mean over subsets and its standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Kid {
    /// Mean of the unbiased MMD^2 estimates.
    pub mean: f64,
    /// Standard deviation over subsets.
    pub std: f64,
}

fn rows<B: Backend>(f: &Features, index: &[usize], device: &B::Device) -> Tensor<B, 2> {
    let mut v = Vec::with_capacity(index.len() * f.dim());
    for &i in index {
        v.extend_from_slice(f.row(i));
    }
    Tensor::from_data(TensorData::new(v, [index.len(), f.dim()]), device)
}

/// Sum of `k(a_i, b_j)` over all pairs.
fn kernel_sum<B: Backend>(a: Tensor<B, 2>, b: Tensor<B, 2>, dim: usize) -> f64 {
    let k = (a.matmul(b.transpose()) / dim as f64 + 1.0).powi_scalar(3);
    host_sum(k)
}

/// Sums on the host in f64: the MMD is a small difference of large sums.
fn host_sum<B: Backend, const D: usize>(t: Tensor<B, D>) -> f64 {
    t.into_data().iter::<f64>().sum()
}

/// Sum of `k(a_i, a_i)`.
fn kernel_diagonal<B: Backend>(a: Tensor<B, 2>, dim: usize) -> f64 {
    host_sum((a.square().sum_dim(1) / dim as f64 + 1.0).powi_scalar(3))
}

/// KID between `real` and `fake` features on backend `B`.
pub fn kid<B: Backend>(
    real: &Features,
    fake: &Features,
    config: &KidConfig,
    device: &B::Device,
) -> Result<Kid> {
    if real.dim() != fake.dim() {
        return Err(EvalError::Dimension {
            what: "KID",
            found: fake.dim(),
            expected: real.dim(),
        });
    }
    let m = config.subset_size.min(real.len()).min(fake.len());
    if m < 2 {
        return Err(EvalError::TooFewSamples {
            metric: "KID",
            needed: 2,
            got: real.len().min(fake.len()),
        });
    }
    if config.subsets == 0 {
        return Err(EvalError::Invalid {
            field: "subsets",
            value: "0".into(),
            expected: "at least 1",
        });
    }
    let mut rng = gan_models::rng_from_seed(config.seed);
    let d = real.dim();
    let mf = m as f64;
    let mut estimates = Vec::with_capacity(config.subsets);
    for _ in 0..config.subsets {
        let x = rows::<B>(real, &sample(&mut rng, real.len(), m).into_vec(), device);
        let y = rows::<B>(fake, &sample(&mut rng, fake.len(), m).into_vec(), device);
        let kxx = kernel_sum(x.clone(), x.clone(), d) - kernel_diagonal(x.clone(), d);
        let kyy = kernel_sum(y.clone(), y.clone(), d) - kernel_diagonal(y.clone(), d);
        let kxy = kernel_sum(x, y, d);
        let mmd = (kxx + kyy) / (mf * (mf - 1.0)) - 2.0 * kxy / (mf * mf);
        estimates.push(mmd);
    }
    let (mean, std) = crate::mean_std(&estimates);
    Ok(Kid { mean, std })
}

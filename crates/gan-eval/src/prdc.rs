//! Precision and recall of k-nearest-neighbour manifolds (Kynkäänniemi et al. 2019), with
//! density and coverage (Naeem et al. 2020).
//!
//! Each real vector r_i gets a ball whose radius R_i is the distance to its k-th nearest real
//! neighbour; likewise each generated vector f_j gets F_j among the generated ones. Then
//!
//! - precision = share of generated vectors inside some real ball (quality);
//! - recall = share of real vectors inside some generated ball (diversity);
//! - density = sum over generated f_j of the number of real balls holding f_j, over k M;
//! - coverage = share of real vectors whose ball holds a generated vector.
//!
//! Distances are computed block by block (`block` rows against one whole set at a time), so
//! memory grows with `block x N`, never `N x N`.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, Result};
use crate::features::Features;

/// The four k-NN manifold scores, each in [0, 1] except density (around 1 when the sets
/// match, above 1 when samples crowd the modes of the real data).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prdc {
    /// Share of generated vectors inside the real manifold.
    pub precision: f64,
    /// Share of real vectors inside the generated manifold.
    pub recall: f64,
    /// Mean number of real balls holding a generated vector, over k.
    pub density: f64,
    /// Share of real balls holding a generated vector.
    pub coverage: f64,
}

/// Squared Euclidean distances between the rows of `a` `[n, d]` and `b` `[m, d]`.
fn sq_dist<B: Backend>(a: Tensor<B, 2>, b: Tensor<B, 2>) -> Tensor<B, 2> {
    let an = a.clone().square().sum_dim(1);
    let bn = b.clone().square().sum_dim(1).transpose();
    (an + bn - a.matmul(b.transpose()) * 2.0).clamp_min(0.0)
}

/// Squared radius of each row's ball: the k-th smallest distance to the other rows.
fn radii<B: Backend>(set: &Features, k: usize, block: usize, device: &B::Device) -> Vec<f32> {
    let all = set.block::<B>(0, set.len(), device);
    let mut out = Vec::with_capacity(set.len());
    for from in (0..set.len()).step_by(block) {
        let to = (from + block).min(set.len());
        // The row itself is its own nearest neighbour at distance 0: take k + 1 smallest.
        let nearest = sq_dist(set.block::<B>(from, to, device), all.clone())
            .neg()
            .topk(k + 1, 1)
            .neg();
        let values: Vec<f32> = nearest.into_data().iter::<f32>().collect();
        out.extend(values.chunks_exact(k + 1).map(|row| row[k]));
    }
    out
}

/// For each row of `queries`, how many balls of `centres` (squared radii `r2`) hold it.
fn ball_counts<B: Backend>(
    queries: &Features,
    centres: &Features,
    r2: &[f32],
    block: usize,
    device: &B::Device,
) -> Vec<u32> {
    let all = centres.block::<B>(0, centres.len(), device);
    let radii = Tensor::<B, 1>::from_floats(r2, device).reshape([1, r2.len()]);
    let mut out = Vec::with_capacity(queries.len());
    for from in (0..queries.len()).step_by(block) {
        let to = (from + block).min(queries.len());
        let inside = sq_dist(queries.block::<B>(from, to, device), all.clone())
            .lower_equal(radii.clone())
            .int()
            .sum_dim(1);
        out.extend(inside.into_data().iter::<i64>().map(|c| c as u32));
    }
    out
}

/// Precision, recall, density and coverage with `k` nearest neighbours (3 in Kynkäänniemi
/// et al., 5 in Naeem et al.), computed `block` rows at a time on backend `B`.
pub fn prdc<B: Backend>(
    real: &Features,
    fake: &Features,
    k: usize,
    block: usize,
    device: &B::Device,
) -> Result<Prdc> {
    if real.dim() != fake.dim() {
        return Err(EvalError::Dimension {
            what: "precision/recall",
            found: fake.dim(),
            expected: real.dim(),
        });
    }
    if k == 0 || block == 0 {
        return Err(EvalError::Invalid {
            field: if k == 0 { "k" } else { "block" },
            value: "0".into(),
            expected: "at least 1",
        });
    }
    let n = real.len().min(fake.len());
    if n <= k {
        return Err(EvalError::TooFewSamples {
            metric: "precision/recall",
            needed: k + 1,
            got: n,
        });
    }
    let real_r2 = radii::<B>(real, k, block, device);
    let fake_r2 = radii::<B>(fake, k, block, device);
    let fake_in_real = ball_counts::<B>(fake, real, &real_r2, block, device);
    let real_in_fake = ball_counts::<B>(real, fake, &fake_r2, block, device);
    let precision = fake_in_real.iter().filter(|&&c| c > 0).count() as f64 / fake.len() as f64;
    let recall = real_in_fake.iter().filter(|&&c| c > 0).count() as f64 / real.len() as f64;
    let density =
        fake_in_real.iter().map(|&c| f64::from(c)).sum::<f64>() / (k as f64 * fake.len() as f64);
    // Coverage: the nearest generated vector of each real one, against the real radius.
    let all_fake = fake.block::<B>(0, fake.len(), device);
    let mut covered = 0usize;
    for from in (0..real.len()).step_by(block) {
        let to = (from + block).min(real.len());
        let nearest = sq_dist(real.block::<B>(from, to, device), all_fake.clone()).min_dim(1);
        covered += nearest
            .into_data()
            .iter::<f32>()
            .zip(&real_r2[from..to])
            .filter(|(d, r)| d <= r)
            .count();
    }
    Ok(Prdc {
        precision,
        recall,
        density,
        coverage: covered as f64 / real.len() as f64,
    })
}

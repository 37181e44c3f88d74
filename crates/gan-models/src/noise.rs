use burn::config::Config;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

/// The prior `p_z` that latent codes are drawn from.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum Prior {
    /// Uniform on `[-1, 1]` in every coordinate (the 2014 paper's MNIST setup).
    Uniform,
    /// Standard normal in every coordinate (DCGAN and most later work).
    Normal,
}

impl Prior {
    /// Draws `n` codes of dimension `dim` from the prior with the caller's RNG.
    ///
    /// Noise is drawn on the host so that a seed gives the same codes on every backend.
    ///
    /// # Shapes
    /// - output: `[n, dim]`
    pub fn sample<B: Backend, R: Rng + ?Sized>(
        &self,
        n: usize,
        dim: usize,
        rng: &mut R,
        device: &B::Device,
    ) -> Tensor<B, 2> {
        let values: Vec<f32> = match self {
            Prior::Uniform => (0..n * dim)
                .map(|_| rng.random_range(-1.0f32..1.0))
                .collect(),
            Prior::Normal => (0..n * dim).map(|_| StandardNormal.sample(rng)).collect(),
        };
        Tensor::from_data(TensorData::new(values, [n, dim]), device)
    }

    /// The same `n` codes for a given `seed`, on any backend: keep one batch for the whole run
    /// so that sample grids taken at different steps are comparable.
    ///
    /// # Shapes
    /// - output: `[n, dim]`
    pub fn fixed<B: Backend>(
        &self,
        n: usize,
        dim: usize,
        seed: u64,
        device: &B::Device,
    ) -> Tensor<B, 2> {
        self.sample(n, dim, &mut rng_from_seed(seed), device)
    }
}

/// The seedable random number generator used for noise, shuffling and toy data across the
/// project: small, fast, serialisable (so a checkpoint can store it) and stable across releases.
pub type GanRng = rand_pcg::Pcg64;

/// Creates a [`GanRng`] from a seed.
pub fn rng_from_seed(seed: u64) -> GanRng {
    use rand::SeedableRng;
    GanRng::seed_from_u64(seed)
}

/// `steps` codes evenly spaced on the straight line from `z0` to `z1` (both ends included).
///
/// # Shapes
/// - `z0`, `z1`: `[latent_dim]`
/// - output: `[steps, latent_dim]`
pub fn lerp<B: Backend>(z0: &[f32], z1: &[f32], steps: usize, device: &B::Device) -> Tensor<B, 2> {
    interpolate(z0, z1, steps, device, |a, b, t| {
        a.iter().zip(b).map(|(x, y)| x + (y - x) * t).collect()
    })
}

/// `steps` codes on the great circle from `z0` to `z1` (spherical interpolation, White 2016),
/// which keeps codes at the typical norm of a Gaussian prior; falls back to [`lerp`] for
/// (anti)parallel codes.
///
/// # Shapes
/// - `z0`, `z1`: `[latent_dim]`
/// - output: `[steps, latent_dim]`
pub fn slerp<B: Backend>(z0: &[f32], z1: &[f32], steps: usize, device: &B::Device) -> Tensor<B, 2> {
    let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let dot: f64 = z0.iter().zip(z1).map(|(a, b)| *a as f64 * *b as f64).sum();
    let cos = (dot / (norm(z0) * norm(z1)).max(1e-12)).clamp(-1.0, 1.0);
    let omega = cos.acos();
    if omega.sin().abs() < 1e-6 {
        return lerp(z0, z1, steps, device);
    }
    interpolate(z0, z1, steps, device, |a, b, t| {
        let t = t as f64;
        let wa = ((1.0 - t) * omega).sin() / omega.sin();
        let wb = (t * omega).sin() / omega.sin();
        a.iter()
            .zip(b)
            .map(|(x, y)| (wa * *x as f64 + wb * *y as f64) as f32)
            .collect()
    })
}

fn interpolate<B: Backend>(
    z0: &[f32],
    z1: &[f32],
    steps: usize,
    device: &B::Device,
    point: impl Fn(&[f32], &[f32], f32) -> Vec<f32>,
) -> Tensor<B, 2> {
    assert_eq!(
        z0.len(),
        z1.len(),
        "interpolation endpoints differ in dimension"
    );
    let mut values = Vec::with_capacity(steps * z0.len());
    for i in 0..steps {
        let t = if steps > 1 {
            i as f32 / (steps - 1) as f32
        } else {
            0.0
        };
        values.extend(point(z0, z1, t));
    }
    Tensor::from_data(TensorData::new(values, [steps, z0.len()]), device)
}

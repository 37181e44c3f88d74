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
}

/// The seedable random number generator used for noise, shuffling and toy data across the
/// project: small, fast, serialisable (so a checkpoint can store it) and stable across releases.
pub type GanRng = rand_pcg::Pcg64;

/// Creates a [`GanRng`] from a seed.
pub fn rng_from_seed(seed: u64) -> GanRng {
    use rand::SeedableRng;
    GanRng::seed_from_u64(seed)
}

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};
use rand::SeedableRng;

use crate::toy::Toy2d;

/// The random number generator datasets shuffle and sample with.
pub type DataRng = rand_pcg::Pcg64;

/// A minibatch of training data.
#[derive(Debug, Clone)]
pub struct Batch<B: Backend> {
    /// Samples, flattened per sample.
    ///
    /// # Shapes
    /// `[batch, features]`
    pub samples: Tensor<B, 2>,
    /// Class labels where the dataset has them.
    ///
    /// # Shapes
    /// `[batch]`
    pub labels: Option<Tensor<B, 1, Int>>,
}

/// An endless stream of minibatches, as Algorithm 1 of Goodfellow et al. (2014) draws them:
/// each call returns `m` fresh examples.
pub trait BatchSource<B: Backend> {
    /// Shape of one sample, e.g. `[2]` or `[1, 28, 28]`.
    fn sample_shape(&self) -> Vec<usize>;

    /// Number of classes when the data is labelled.
    fn num_classes(&self) -> Option<usize> {
        None
    }

    /// Draws the next minibatch of `m` examples onto `device`.
    fn next_batch(&mut self, m: usize, device: &B::Device) -> Batch<B>;

    /// The source's position (its RNG, epoch and cursor) as opaque text (JSON for the sources
    /// of this crate), so that a checkpoint can resume the exact sequence of minibatches.
    /// `None` for sources that cannot save it.
    fn state(&self) -> Option<String> {
        None
    }

    /// Restores a position saved by [`BatchSource::state`].
    fn restore_state(&mut self, state: &str) -> crate::Result<()> {
        let _ = state;
        Err(crate::DataError::InvalidState(
            "this data source does not support saved states".into(),
        ))
    }
}

/// Draws minibatches from a [`Toy2d`] distribution with its own seeded RNG.
#[derive(Debug, Clone)]
pub struct ToySampler {
    dist: Toy2d,
    rng: DataRng,
}

impl ToySampler {
    /// A sampler of `dist` seeded with `seed`.
    pub fn new(dist: Toy2d, seed: u64) -> crate::Result<Self> {
        dist.validate()?;
        Ok(Self {
            dist,
            rng: DataRng::seed_from_u64(seed),
        })
    }

    /// The distribution sampled from.
    pub fn distribution(&self) -> &Toy2d {
        &self.dist
    }
}

impl<B: Backend> BatchSource<B> for ToySampler {
    fn sample_shape(&self) -> Vec<usize> {
        vec![2]
    }

    fn next_batch(&mut self, m: usize, device: &B::Device) -> Batch<B> {
        Batch {
            samples: self.dist.sample(m, &mut self.rng, device),
            labels: None,
        }
    }

    fn state(&self) -> Option<String> {
        // Text, not `serde_json::Value`: the PCG state is a u128, which `Value` cannot hold.
        serde_json::to_string(&self.rng).ok()
    }

    fn restore_state(&mut self, state: &str) -> crate::Result<()> {
        self.rng = serde_json::from_str(state)
            .map_err(|e| crate::DataError::InvalidState(format!("toy sampler RNG: {e}")))?;
        Ok(())
    }
}

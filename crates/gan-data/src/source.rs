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

/// Unpaired minibatches of two domains, for image-to-image translation (CycleGAN): row `i` of
/// a minibatch holds a sample of `A` followed by a sample of `B`, `[m, features_a + features_b]`,
/// the two drawn independently from their own sources (so the pairs carry no correspondence).
/// Labels, where both sources have them, are `label_a · classes_b + label_b`; they are not
/// used in training.
#[derive(Debug, Clone)]
pub struct Unpaired<A, B> {
    /// The source of domain `A`.
    pub a: A,
    /// The source of domain `B`.
    pub b: B,
}

/// The saved position of an [`Unpaired`] source: both sources' states.
#[derive(serde::Serialize, serde::Deserialize)]
struct UnpairedState {
    a: String,
    b: String,
}

impl<A, B> Unpaired<A, B> {
    /// Minibatches of `a` beside minibatches of `b`.
    pub fn new(a: A, b: B) -> Self {
        Self { a, b }
    }
}

impl<Bk: Backend, A: BatchSource<Bk>, B: BatchSource<Bk>> BatchSource<Bk> for Unpaired<A, B> {
    /// `[features_a + features_b]`.
    fn sample_shape(&self) -> Vec<usize> {
        let features = |s: Vec<usize>| s.iter().product::<usize>();
        vec![features(self.a.sample_shape()) + features(self.b.sample_shape())]
    }

    fn next_batch(&mut self, m: usize, device: &Bk::Device) -> Batch<Bk> {
        let a = self.a.next_batch(m, device);
        let b = self.b.next_batch(m, device);
        let labels = match (a.labels, b.labels, self.b.num_classes()) {
            (Some(la), Some(lb), Some(k)) => Some(la * (k as i64) + lb),
            _ => None,
        };
        Batch {
            samples: Tensor::cat(vec![a.samples, b.samples], 1),
            labels,
        }
    }

    fn state(&self) -> Option<String> {
        let state = UnpairedState {
            a: self.a.state()?,
            b: self.b.state()?,
        };
        serde_json::to_string(&state).ok()
    }

    fn restore_state(&mut self, state: &str) -> crate::Result<()> {
        let s: UnpairedState = serde_json::from_str(state)
            .map_err(|e| crate::DataError::InvalidState(format!("unpaired source: {e}")))?;
        // When `B` refuses its state, `A` goes back to where it was.
        let old_a = self.a.state();
        self.a.restore_state(&s.a)?;
        if let Err(e) = self.b.restore_state(&s.b) {
            if let Some(old) = old_a {
                let _ = self.a.restore_state(&old);
            }
            return Err(e);
        }
        Ok(())
    }
}

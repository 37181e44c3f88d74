use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

/// A generator network `G(z)`: maps latent codes to samples.
///
/// Implemented by every generator in this crate; implement it for your own module to train it
/// with `gan-train`.
pub trait Generator<B: Backend>: Module<B> {
    /// Dimension of the latent code `z`.
    fn latent_dim(&self) -> usize;

    /// Shape of one sample, e.g. `[2]` for points in the plane or `[1, 28, 28]` for MNIST.
    fn sample_shape(&self) -> Vec<usize>;

    /// Number of features of one sample (the product of [`Generator::sample_shape`]).
    fn sample_features(&self) -> usize {
        self.sample_shape().iter().product()
    }

    /// Generates a batch of samples.
    ///
    /// # Shapes
    /// - `z`: `[batch, latent_dim]`
    /// - `labels`: `[batch]` class indices for conditional models, ignored otherwise
    /// - output: `[batch, sample_features]`
    fn generate(&self, z: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2>;
}

/// A discriminator (or critic) network `D(x)` that scores samples with a logit.
pub trait Discriminator<B: Backend>: Module<B> {
    /// Number of features of one input sample.
    fn input_features(&self) -> usize;

    /// Scores a batch of samples. For the classic GAN `sigmoid(logit)` is `D(x)`, the
    /// probability that `x` came from the data; for a Wasserstein critic the logit is the score.
    ///
    /// # Shapes
    /// - `x`: `[batch, input_features]`
    /// - `labels`: `[batch]` class indices for conditional models, ignored otherwise
    /// - output: `[batch, 1]`
    fn discriminate(&self, x: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2>;
}

/// Number of scalar parameters of a module.
pub fn num_params<B: Backend, M: Module<B>>(module: &M) -> usize {
    module.num_params()
}

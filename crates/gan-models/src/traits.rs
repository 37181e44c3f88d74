use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
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

    /// Number of classes for a class-conditional generator (labels are then required).
    fn num_classes(&self) -> Option<usize> {
        None
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

    /// Number of classes when the discriminator uses labels (as input, by projection or through
    /// an auxiliary classifier).
    fn num_classes(&self) -> Option<usize> {
        None
    }

    /// Scores a batch and, for discriminators with an auxiliary classifier (ACGAN), returns the
    /// class logits too.
    ///
    /// # Shapes
    /// - output: `([batch, 1], Some([batch, num_classes]))`
    fn discriminate_with_aux(
        &self,
        x: Tensor<B, 2>,
        labels: Option<Tensor<B, 1, Int>>,
    ) -> (Tensor<B, 2>, Option<Tensor<B, 2>>) {
        (self.discriminate(x, labels), None)
    }
}

/// Number of trainable scalar parameters of a module on an autodiff backend.
///
/// Burn's `Module::num_params` also counts module state such as batch norm's running
/// statistics and spectral norm's `u` vector; this counts only the tensors that receive
/// gradients.
pub fn trainable_params<B: AutodiffBackend, M: Module<B>>(module: &M) -> usize {
    struct Count(usize);
    impl<B: Backend> ModuleVisitor<B> for Count {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let value = param.val();
            if value.is_require_grad() {
                self.0 += value.shape().num_elements();
            }
        }
    }
    let mut count = Count(0);
    module.visit(&mut count);
    count.0
}

/// A one-paragraph description of a model for logs: its structure (Burn's module display) and
/// its trainable parameter count.
pub fn summary<B: AutodiffBackend, M: Module<B> + std::fmt::Display>(
    name: &str,
    module: &M,
) -> String {
    format!(
        "{name}: {} trainable parameters\n{module}",
        trainable_params::<B, M>(module)
    )
}

/// A discriminator whose trunk features are exposed, so that another head can share the trunk
/// (InfoGAN's `Q`, Chen et al. 2016).
pub trait FeatureDiscriminator<B: Backend>: Discriminator<B> {
    /// Number of trunk features per sample.
    fn feature_dim(&self) -> usize;

    /// Scores a batch and returns the trunk features the logit was computed from, in one
    /// forward pass.
    ///
    /// # Shapes
    /// - `x`: `[batch, input_features]`
    /// - output: `(logits [batch, 1], features [batch, feature_dim])`
    fn discriminate_with_features(
        &self,
        x: Tensor<B, 2>,
        labels: Option<Tensor<B, 1, Int>>,
    ) -> (Tensor<B, 2>, Tensor<B, 2>);
}

//! InfoGAN's `Q` head (Chen et al. 2016): a small network on the discriminator's trunk
//! features that predicts the latent codes a generated sample was made from.

use crate::activation::leaky_relu;
use burn::config::Config;
use burn::module::Module;
use burn::nn::{BatchNorm, Linear, LinearConfig};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use crate::dcgan::{dcgan_batch_norm, dcgan_init};
use crate::error::{Result as ModelResult, nonzero};

/// Configuration of [`QHead`].
#[derive(Config, Debug, PartialEq)]
pub struct QHeadConfig {
    /// Trunk features per sample (the discriminator's `feature_dim`).
    pub input_dim: usize,
    /// Outputs: the categorical code's logits followed by the continuous codes' predictions.
    pub outputs: usize,
    /// A hidden layer of this many units with batch norm and LeakyReLU(0.2) (the paper's MNIST
    /// head: `FC 128-BN-LReLU`); `None` for a linear head.
    #[config(default = "Some(128)")]
    pub hidden: Option<usize>,
    /// Batch norm on the hidden layer.
    #[config(default = true)]
    pub batch_norm: bool,
}

/// `FC-[BN]-LReLU(0.2)-FC` from trunk features to code predictions, weights `N(0, 0.02)`.
#[derive(Module, Debug)]
pub struct QHead<B: Backend> {
    hidden: Option<Linear<B>>,
    norm: Option<BatchNorm<B>>,
    output: Linear<B>,
}

impl QHeadConfig {
    /// Checks the config.
    pub fn validate(&self) -> ModelResult<()> {
        nonzero("input_dim", self.input_dim)?;
        nonzero("outputs", self.outputs)?;
        if let Some(h) = self.hidden {
            nonzero("hidden", h)?;
        }
        Ok(())
    }

    /// Validates the config and builds the head on `device`.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> ModelResult<QHead<B>> {
        self.validate()?;
        let linear = |d_in, d_out, bias| {
            LinearConfig::new(d_in, d_out)
                .with_bias(bias)
                .with_initializer(dcgan_init())
                .init(device)
        };
        Ok(QHead {
            // No bias before batch norm: its gradient is zero up to rounding, which Adam would
            // turn into full steps.
            hidden: self
                .hidden
                .map(|h| linear(self.input_dim, h, !self.batch_norm)),
            norm: self
                .hidden
                .filter(|_| self.batch_norm)
                .map(|h| dcgan_batch_norm(h, device)),
            output: linear(self.hidden.unwrap_or(self.input_dim), self.outputs, true),
        })
    }

    /// Builds the head, panicking on an invalid config (see [`Self::try_init`]).
    pub fn init<B: Backend>(&self, device: &B::Device) -> QHead<B> {
        self.try_init(device)
            .unwrap_or_else(|err| panic!("invalid QHeadConfig: {err}"))
    }
}

impl<B: Backend> QHead<B> {
    /// Predicts the codes from trunk features.
    ///
    /// # Shapes
    /// - `features`: `[batch, input_dim]`
    /// - output: `[batch, outputs]`
    pub fn forward(&self, features: Tensor<B, 2>) -> Tensor<B, 2> {
        let h = match &self.hidden {
            Some(fc) => {
                let mut h = fc.forward(features);
                if let Some(norm) = &self.norm {
                    h = norm.forward(h);
                }
                leaky_relu(h, 0.2)
            }
            None => features,
        };
        self.output.forward(h)
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.output.weight.dims()[1]
    }
}

//! Fully connected GANs: the generator and maxout discriminator of Goodfellow et al. (2014).

use burn::config::Config;
use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::activation::{relu, sigmoid};

use crate::activation::leaky_relu;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use crate::condition::{ConditionConfig, LabelEncoder, require_labels};
use crate::error::{ModelError, Result as ModelResult, nonzero};
use crate::noise::Prior;
use crate::traits::{Discriminator, FeatureDiscriminator, Generator};

/// The activation applied to a generator's output layer.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum OutputActivation {
    /// No activation: unbounded outputs (2-D toy data).
    Identity,
    /// Logistic sigmoid: outputs in `[0, 1]` (the 2014 paper's MNIST generator).
    Sigmoid,
    /// Hyperbolic tangent: outputs in `[-1, 1]` (DCGAN).
    Tanh,
}

impl OutputActivation {
    /// Applies the activation.
    pub fn apply<B: Backend, const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        match self {
            OutputActivation::Identity => x,
            OutputActivation::Sigmoid => sigmoid(x),
            OutputActivation::Tanh => x.tanh(),
        }
    }
}

/// Configuration of [`MlpGenerator`]: `z -> (Linear -> ReLU)* -> Linear -> output activation`.
///
/// The defaults are the 2014 paper's MNIST generator: 100-d uniform noise, two hidden layers of
/// 1200 rectified units, 784 sigmoid outputs.
#[derive(Config, Debug, PartialEq)]
pub struct MlpGeneratorConfig {
    /// Dimension of the latent code.
    #[config(default = 100)]
    pub latent_dim: usize,
    /// Widths of the hidden layers, in order.
    #[config(default = "vec![1200, 1200]")]
    pub hidden: Vec<usize>,
    /// Number of output features per sample.
    #[config(default = 784)]
    pub output_dim: usize,
    /// Activation of the output layer.
    #[config(default = "OutputActivation::Sigmoid")]
    pub output_activation: OutputActivation,
    /// The noise prior the generator is trained with.
    #[config(default = "Prior::Uniform")]
    pub prior: Prior,
    /// Class conditioning: the encoded label is joined to `z`.
    #[config(default = "None")]
    pub condition: Option<ConditionConfig>,
}

/// A fully connected generator. Build it with [`MlpGeneratorConfig::try_init`].
#[derive(Module, Debug)]
pub struct MlpGenerator<B: Backend> {
    layers: Vec<Linear<B>>,
    output: Linear<B>,
    output_activation: OutputActivation,
    label: Option<LabelEncoder<B>>,
    latent_dim: usize,
    output_dim: usize,
}

impl MlpGeneratorConfig {
    /// Checks the config.
    pub fn validate(&self) -> ModelResult<()> {
        nonzero("latent_dim", self.latent_dim)?;
        nonzero("output_dim", self.output_dim)?;
        for width in &self.hidden {
            nonzero("hidden", *width)?;
        }
        if let Some(c) = &self.condition {
            c.validate()?;
        }
        Ok(())
    }

    /// Validates the config and builds the generator on `device`.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> ModelResult<MlpGenerator<B>> {
        self.validate()?;
        let mut layers = Vec::with_capacity(self.hidden.len());
        let mut d_in = self.latent_dim + self.condition.as_ref().map_or(0, |c| c.dim());
        for &width in &self.hidden {
            layers.push(LinearConfig::new(d_in, width).init(device));
            d_in = width;
        }
        Ok(MlpGenerator {
            layers,
            output: LinearConfig::new(d_in, self.output_dim).init(device),
            output_activation: self.output_activation,
            label: self.condition.as_ref().map(|c| c.init(device)),
            latent_dim: self.latent_dim,
            output_dim: self.output_dim,
        })
    }

    /// Builds the generator, panicking on an invalid config (see [`Self::try_init`]).
    pub fn init<B: Backend>(&self, device: &B::Device) -> MlpGenerator<B> {
        self.try_init(device)
            .unwrap_or_else(|err| panic!("invalid MlpGeneratorConfig: {err}"))
    }
}

impl<B: Backend> MlpGenerator<B> {
    /// Maps latent codes (and labels, for a conditional generator) to samples.
    ///
    /// # Shapes
    /// - `z`: `[batch, latent_dim]`
    /// - `labels`: `[batch]`, required when the generator is conditional
    /// - output: `[batch, output_dim]`
    pub fn forward(&self, z: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        let mut x = join_label(&self.label, z, labels, "MlpGenerator");
        for layer in &self.layers {
            x = relu(layer.forward(x)); // [batch, width]
        }
        self.output_activation.apply(self.output.forward(x))
    }
}

impl<B: Backend> Generator<B> for MlpGenerator<B> {
    fn latent_dim(&self) -> usize {
        self.latent_dim
    }

    fn sample_shape(&self) -> Vec<usize> {
        vec![self.output_dim]
    }

    fn num_classes(&self) -> Option<usize> {
        self.label.as_ref().map(|l| l.num_classes())
    }

    fn generate(&self, z: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        self.forward(z, labels)
    }
}

/// A maxout layer (Goodfellow et al. 2013): `pieces` affine maps per unit, keep the largest.
#[derive(Module, Debug)]
pub struct Maxout<B: Backend> {
    linear: Linear<B>,
    units: usize,
    pieces: usize,
}

impl<B: Backend> Maxout<B> {
    /// Creates a maxout layer from `d_input` features to `units` outputs of `pieces` pieces.
    pub fn new(d_input: usize, units: usize, pieces: usize, device: &B::Device) -> Self {
        Self {
            linear: LinearConfig::new(d_input, units * pieces).init(device),
            units,
            pieces,
        }
    }

    /// With one piece the layer is affine: the maximum over a single piece is that piece, so
    /// it is returned as is (the same values and gradients, without a `max_dim`, whose
    /// gather and scatter cost CPU backends as much as the matrix products of a small MLP).
    ///
    /// # Shapes
    /// - `x`: `[batch, d_input]`
    /// - output: `[batch, units]`
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let [batch, _] = x.dims();
        let y = self.linear.forward(x); // [batch, units * pieces]
        if self.pieces == 1 {
            return y;
        }
        let y: Tensor<B, 3> = y.reshape([batch, self.units, self.pieces]);
        y.max_dim(2).reshape([batch, self.units])
    }
}

/// Configuration of [`MlpDiscriminator`].
///
/// The defaults are the 2014 paper's MNIST discriminator: two maxout layers of 240 units with 5
/// pieces, dropout 0.2 on the input and 0.5 on hidden layers, one logit out. With `pieces = 1`
/// the hidden layers are plain linear layers followed by LeakyReLU(0.2).
#[derive(Config, Debug, PartialEq)]
pub struct MlpDiscriminatorConfig {
    /// Number of input features per sample.
    #[config(default = 784)]
    pub input_dim: usize,
    /// Widths (units) of the hidden layers, in order.
    #[config(default = "vec![240, 240]")]
    pub hidden: Vec<usize>,
    /// Maxout pieces per unit; 1 means LeakyReLU(0.2) units instead of maxout.
    #[config(default = 5)]
    pub pieces: usize,
    /// Dropout probability on the input.
    #[config(default = 0.2)]
    pub input_dropout: f64,
    /// Dropout probability after each hidden layer.
    #[config(default = 0.5)]
    pub hidden_dropout: f64,
    /// Class conditioning: the encoded label is joined to the input.
    #[config(default = "None")]
    pub condition: Option<ConditionConfig>,
}

/// A fully connected discriminator producing one logit. Build it with
/// [`MlpDiscriminatorConfig::try_init`].
#[derive(Module, Debug)]
pub struct MlpDiscriminator<B: Backend> {
    layers: Vec<Maxout<B>>,
    output: Linear<B>,
    input_dropout: Dropout,
    hidden_dropout: Dropout,
    label: Option<LabelEncoder<B>>,
    input_dim: usize,
    pieces: usize,
}

impl MlpDiscriminatorConfig {
    /// Checks the config.
    pub fn validate(&self) -> ModelResult<()> {
        nonzero("input_dim", self.input_dim)?;
        nonzero("pieces", self.pieces)?;
        for width in &self.hidden {
            nonzero("hidden", *width)?;
        }
        probability("input_dropout", self.input_dropout)?;
        probability("hidden_dropout", self.hidden_dropout)?;
        if let Some(c) = &self.condition {
            c.validate()?;
        }
        Ok(())
    }

    /// Validates the config and builds the discriminator on `device`.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> ModelResult<MlpDiscriminator<B>> {
        self.validate()?;
        let mut layers = Vec::with_capacity(self.hidden.len());
        let mut d_in = self.input_dim + self.condition.as_ref().map_or(0, |c| c.dim());
        for &width in &self.hidden {
            layers.push(Maxout::new(d_in, width, self.pieces, device));
            d_in = width;
        }
        Ok(MlpDiscriminator {
            layers,
            output: LinearConfig::new(d_in, 1).init(device),
            input_dropout: DropoutConfig::new(self.input_dropout).init(),
            hidden_dropout: DropoutConfig::new(self.hidden_dropout).init(),
            label: self.condition.as_ref().map(|c| c.init(device)),
            input_dim: self.input_dim,
            pieces: self.pieces,
        })
    }

    /// Builds the discriminator, panicking on an invalid config (see [`Self::try_init`]).
    pub fn init<B: Backend>(&self, device: &B::Device) -> MlpDiscriminator<B> {
        self.try_init(device)
            .unwrap_or_else(|err| panic!("invalid MlpDiscriminatorConfig: {err}"))
    }
}

impl<B: Backend> MlpDiscriminator<B> {
    /// Scores samples (with their labels, for a conditional discriminator) with a logit.
    ///
    /// # Shapes
    /// - `x`: `[batch, input_dim]`
    /// - `labels`: `[batch]`, required when the discriminator is conditional
    /// - output: `[batch, 1]`
    pub fn forward(&self, x: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        self.output.forward(self.features(x, labels)) // [batch, 1]
    }

    /// The last hidden layer's output (the input itself without hidden layers), from which the
    /// logit is computed.
    ///
    /// # Shapes
    /// - `x`: `[batch, input_dim]`
    /// - output: `[batch, last hidden width]`
    pub fn features(&self, x: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        let x = join_label(&self.label, x, labels, "MlpDiscriminator");
        let mut h = self.input_dropout.forward(x);
        for layer in &self.layers {
            h = layer.forward(h); // [batch, units]
            if self.pieces == 1 {
                h = leaky_relu(h, 0.2);
            }
            h = self.hidden_dropout.forward(h);
        }
        h
    }
}

impl<B: Backend> Discriminator<B> for MlpDiscriminator<B> {
    fn input_features(&self) -> usize {
        self.input_dim
    }

    fn num_classes(&self) -> Option<usize> {
        self.label.as_ref().map(|l| l.num_classes())
    }

    fn discriminate(&self, x: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        self.forward(x, labels)
    }
}

/// Joins the encoded labels to `x` along the feature axis when `encoder` is set.
fn join_label<B: Backend>(
    encoder: &Option<LabelEncoder<B>>,
    x: Tensor<B, 2>,
    labels: Option<Tensor<B, 1, Int>>,
    model: &'static str,
) -> Tensor<B, 2> {
    match encoder {
        Some(encoder) => {
            let y = encoder.encode(require_labels(labels, model));
            Tensor::cat(vec![x, y], 1)
        }
        None => x,
    }
}

fn probability(field: &'static str, value: f64) -> ModelResult<()> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(ModelError::InvalidDropout { field, value })
    }
}

impl<B: Backend> FeatureDiscriminator<B> for MlpDiscriminator<B> {
    fn feature_dim(&self) -> usize {
        self.output.weight.dims()[0]
    }

    fn discriminate_with_features(
        &self,
        x: Tensor<B, 2>,
        labels: Option<Tensor<B, 1, Int>>,
    ) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let features = self.features(x, labels);
        (self.output.forward(features.clone()), features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_defaults() {
        let g = MlpGeneratorConfig::new();
        assert_eq!(
            (g.latent_dim, g.hidden.clone(), g.output_dim),
            (100, vec![1200, 1200], 784)
        );
        assert_eq!(g.output_activation, OutputActivation::Sigmoid);
        assert_eq!(g.prior, Prior::Uniform);
        let d = MlpDiscriminatorConfig::new();
        assert_eq!((d.hidden.clone(), d.pieces), (vec![240, 240], 5));
        assert_eq!((d.input_dropout, d.hidden_dropout), (0.2, 0.5));
    }

    #[test]
    fn invalid_configs_return_the_specific_error() {
        let zero = |field| Err(ModelError::ZeroSize { field });
        assert_eq!(
            MlpGeneratorConfig::new().with_latent_dim(0).validate(),
            zero("latent_dim")
        );
        assert_eq!(
            MlpGeneratorConfig::new().with_output_dim(0).validate(),
            zero("output_dim")
        );
        assert_eq!(
            MlpGeneratorConfig::new().with_hidden(vec![8, 0]).validate(),
            zero("hidden")
        );
        assert_eq!(
            MlpDiscriminatorConfig::new().with_pieces(0).validate(),
            zero("pieces")
        );
        assert_eq!(
            MlpDiscriminatorConfig::new().with_input_dim(0).validate(),
            zero("input_dim")
        );
        assert_eq!(
            MlpDiscriminatorConfig::new()
                .with_hidden_dropout(1.0)
                .validate(),
            Err(ModelError::InvalidDropout {
                field: "hidden_dropout",
                value: 1.0
            })
        );
        assert!(matches!(
            MlpDiscriminatorConfig::new()
                .with_input_dropout(-0.1)
                .validate(),
            Err(ModelError::InvalidDropout {
                field: "input_dropout",
                ..
            })
        ));
        assert_eq!(MlpGeneratorConfig::new().validate(), Ok(()));
    }
}

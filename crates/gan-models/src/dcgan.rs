//! DCGAN (Radford et al. 2016) for 28x28, 32x32 and 64x64 images, with optional class
//! conditioning, a projection discriminator (Miyato & Koyama 2018), an auxiliary classifier
//! (ACGAN, Odena et al. 2017) and spectral normalisation.

use crate::norm::batch_norm_2d;
use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig,
    PaddingConfig2d,
};
use burn::tensor::activation::relu;

use crate::activation::leaky_relu;
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Int, Tensor};

use crate::condition::{ConditionConfig, LabelEncoder, require_labels};
use crate::error::{ModelError, Result as ModelResult, nonzero};
use crate::noise::Prior;
use crate::spectral::{SpectralNorm, forward_conv, forward_linear};
use crate::traits::{Discriminator, FeatureDiscriminator, Generator};

/// DCGAN's weight initialisation: N(0, 0.02).
pub(crate) fn dcgan_init() -> Initializer {
    Initializer::Normal {
        mean: 0.0,
        std: 0.02,
    }
}

/// Batch norm with DCGAN's initialisation: gamma ~ N(1, 0.02), beta = 0.
pub(crate) fn dcgan_batch_norm<B: Backend>(features: usize, device: &B::Device) -> BatchNorm<B> {
    let mut bn = BatchNormConfig::new(features).init(device);
    bn.gamma = Param::from_tensor(Tensor::random(
        [features],
        Distribution::Normal(1.0, 0.02),
        device,
    ));
    bn
}

/// The layout of a DCGAN for one image size: the side after the projection and the number of
/// stride-2 stages that double it up to the image size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DcganLayout {
    /// Side length of the smallest feature map (4, or 7 for 28x28 images).
    pub base: usize,
    /// Number of stride-2 stages between the smallest feature map and the image.
    pub stages: usize,
}

impl DcganLayout {
    /// The layout for `image_size`, or [`ModelError::UnsupportedImageSize`].
    pub fn for_size(image_size: usize) -> ModelResult<Self> {
        match image_size {
            28 => Ok(Self { base: 7, stages: 2 }),
            32 => Ok(Self { base: 4, stages: 3 }),
            64 => Ok(Self { base: 4, stages: 4 }),
            size => Err(ModelError::UnsupportedImageSize { size }),
        }
    }

    /// Channels of the feature map after stage `i` of the discriminator (`width * 2^i`), which
    /// the generator mirrors.
    pub fn channels(&self, width: usize, i: usize) -> usize {
        width << i
    }
}

/// Configuration of [`DcganGenerator`].
#[derive(Config, Debug, PartialEq)]
pub struct DcganGeneratorConfig {
    /// Dimension of the latent code.
    #[config(default = 100)]
    pub latent_dim: usize,
    /// Side of the square images: 28, 32 or 64.
    #[config(default = 64)]
    pub image_size: usize,
    /// Image channels (1 for grey, 3 for colour).
    #[config(default = 3)]
    pub channels: usize,
    /// Base channel count: the last hidden feature map has `width` channels, each earlier one
    /// twice as many.
    #[config(default = 64)]
    pub width: usize,
    /// Class conditioning: the encoded label is joined to `z`.
    #[config(default = "None")]
    pub condition: Option<ConditionConfig>,
    /// A fully connected layer of this many units (batch norm, ReLU) before the projection,
    /// whose batch norm then normalises each of its outputs: InfoGAN's generator, the one
    /// Lucic et al. (2018) compare losses with (`Some(1024)`, width 64, 28x28).
    #[config(default = "None")]
    pub hidden: Option<usize>,
    /// The noise prior the generator is trained with.
    #[config(default = "Prior::Normal")]
    pub prior: Prior,
}

/// DCGAN's generator: `z` is projected to a `base x base` map by a transposed convolution, then
/// stride-2 transposed convolutions with batch norm and ReLU double the side up to the image
/// size; the output layer has a tanh. With `hidden`, a fully connected layer comes first.
#[derive(Module, Debug)]
pub struct DcganGenerator<B: Backend> {
    hidden: Option<Linear<B>>,
    hidden_norm: Option<BatchNorm<B>>,
    project: ConvTranspose2d<B>,
    blocks: Vec<ConvTranspose2d<B>>,
    norms: Vec<BatchNorm<B>>,
    label: Option<LabelEncoder<B>>,
    latent_dim: usize,
    image_size: usize,
    channels: usize,
}

impl DcganGeneratorConfig {
    /// Checks the config.
    pub fn validate(&self) -> ModelResult<DcganLayout> {
        nonzero("latent_dim", self.latent_dim)?;
        nonzero("channels", self.channels)?;
        nonzero("width", self.width)?;
        if let Some(h) = self.hidden {
            nonzero("hidden", h)?;
        }
        if let Some(c) = &self.condition {
            c.validate()?;
        }
        DcganLayout::for_size(self.image_size)
    }

    /// Validates the config and builds the generator on `device`.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> ModelResult<DcganGenerator<B>> {
        let layout = self.validate()?;
        let z_in = self.latent_dim + self.condition.as_ref().map_or(0, |c| c.dim());
        let top = layout.channels(self.width, layout.stages - 1);
        let hidden = self.hidden.map(|h| {
            LinearConfig::new(z_in, h)
                .with_initializer(dcgan_init())
                .init(device)
        });
        let hidden_norm = self.hidden.map(|h| dcgan_batch_norm(h, device));
        let project_in = self.hidden.unwrap_or(z_in);
        let project = ConvTranspose2dConfig::new([project_in, top], [layout.base, layout.base])
            .with_bias(false)
            .with_initializer(dcgan_init())
            .init(device);
        let mut blocks = Vec::with_capacity(layout.stages);
        // Fully connected projections (InfoGAN) normalise each output unit, DCGAN each channel.
        let project_norm = if self.hidden.is_some() {
            top * layout.base * layout.base
        } else {
            top
        };
        let mut norms = vec![dcgan_batch_norm(project_norm, device)];
        for i in (0..layout.stages).rev() {
            let c_in = layout.channels(self.width, i);
            let last = i == 0;
            let c_out = if last {
                self.channels
            } else {
                layout.channels(self.width, i - 1)
            };
            blocks.push(
                ConvTranspose2dConfig::new([c_in, c_out], [4, 4])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .with_bias(false)
                    .with_initializer(dcgan_init())
                    .init(device),
            );
            if !last {
                norms.push(dcgan_batch_norm(c_out, device));
            }
        }
        Ok(DcganGenerator {
            hidden,
            hidden_norm,
            project,
            blocks,
            norms,
            label: self.condition.as_ref().map(|c| c.init(device)),
            latent_dim: self.latent_dim,
            image_size: self.image_size,
            channels: self.channels,
        })
    }

    /// Builds the generator, panicking on an invalid config (see [`Self::try_init`]).
    pub fn init<B: Backend>(&self, device: &B::Device) -> DcganGenerator<B> {
        self.try_init(device)
            .unwrap_or_else(|err| panic!("invalid DcganGeneratorConfig: {err}"))
    }
}

impl<B: Backend> DcganGenerator<B> {
    /// Generates images.
    ///
    /// # Shapes
    /// - `z`: `[batch, latent_dim]`
    /// - `labels`: `[batch]`, required when the generator is conditional
    /// - output: `[batch, channels, image_size, image_size]` in `[-1, 1]`
    pub fn forward(&self, z: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 4> {
        let z = match &self.label {
            Some(encoder) => {
                let y = encoder.encode(require_labels(labels, "DcganGenerator"));
                Tensor::cat(vec![z, y], 1) // [batch, latent_dim + label_dim]
            }
            None => z,
        };
        let z = match (&self.hidden, &self.hidden_norm) {
            (Some(fc), Some(norm)) => relu(norm.forward(fc.forward(z))), // [batch, hidden]
            _ => z,
        };
        let [batch, d] = z.dims();
        let mut x = self.project.forward(z.reshape([batch, d, 1, 1])); // [batch, top, base, base]
        x = if self.hidden.is_some() {
            let [_, c, h, w] = x.dims();
            let flat = self.norms[0].forward(x.reshape([batch, c * h * w]));
            relu(flat).reshape([batch, c, h, w])
        } else {
            relu(batch_norm_2d(&self.norms[0], x))
        };
        let last = self.blocks.len() - 1;
        for (i, block) in self.blocks.iter().enumerate() {
            x = block.forward(x); // side doubles
            if i < last {
                x = relu(batch_norm_2d(&self.norms[i + 1], x));
            }
        }
        x.tanh()
    }
}

impl<B: Backend> Generator<B> for DcganGenerator<B> {
    fn latent_dim(&self) -> usize {
        self.latent_dim
    }

    fn sample_shape(&self) -> Vec<usize> {
        vec![self.channels, self.image_size, self.image_size]
    }

    fn num_classes(&self) -> Option<usize> {
        self.label.as_ref().map(|l| l.num_classes())
    }

    fn generate(&self, z: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        self.forward(z, labels).flatten(1, 3)
    }
}

/// How a conditional DCGAN discriminator uses the class label.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum DiscriminatorConditioning {
    /// The encoded label is broadcast to constant feature planes joined to the image channels
    /// (Mirza & Osindero 2014).
    Input,
    /// Projection discriminator (Miyato & Koyama 2018): `logit = w^T phi(x) + b +
    /// embed(y)^T phi(x)`.
    Projection,
    /// ACGAN (Odena et al. 2017): the label is not an input; an auxiliary head predicts it.
    AuxClassifier,
}

/// Configuration of [`DcganDiscriminator`].
#[derive(Config, Debug, PartialEq)]
pub struct DcganDiscriminatorConfig {
    /// Side of the square images: 28, 32 or 64.
    #[config(default = 64)]
    pub image_size: usize,
    /// Image channels.
    #[config(default = 3)]
    pub channels: usize,
    /// Channels of the first feature map; each later one has twice as many.
    #[config(default = 64)]
    pub width: usize,
    /// Class conditioning (number of classes and label encoding for `Input` conditioning).
    #[config(default = "None")]
    pub condition: Option<ConditionConfig>,
    /// How the label is used when `condition` is set.
    #[config(default = "DiscriminatorConditioning::Input")]
    pub conditioning: DiscriminatorConditioning,
    /// Batch norm on every convolution but the first (DCGAN). Turn off for WGAN-GP critics.
    #[config(default = true)]
    pub batch_norm: bool,
    /// Spectral normalisation of every convolution and linear layer.
    #[config(default = false)]
    pub spectral_norm: bool,
    /// A fully connected layer of this many units (batch norm when `batch_norm`, LeakyReLU)
    /// between the last convolution and the logit: InfoGAN's discriminator, as used by Lucic
    /// et al. (2018) (`Some(1024)`, width 64, 28x28). The features `phi(x)` are then its
    /// output.
    #[config(default = "None")]
    pub hidden: Option<usize>,
    /// Slope of the LeakyReLU activations.
    #[config(default = 0.2)]
    pub leaky_slope: f64,
}

/// A convolution whose kernel is optionally spectrally normalised.
#[derive(Module, Debug)]
struct DiscConv<B: Backend> {
    conv: Conv2d<B>,
    sn: Option<SpectralNorm<B>>,
}

impl<B: Backend> DiscConv<B> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        forward_conv(&self.conv, self.sn.as_ref(), x)
    }
}

/// A linear layer whose weight is optionally spectrally normalised.
#[derive(Module, Debug)]
struct DiscLinear<B: Backend> {
    linear: Linear<B>,
    sn: Option<SpectralNorm<B>>,
}

impl<B: Backend> DiscLinear<B> {
    fn new(d_in: usize, d_out: usize, spectral: bool, device: &B::Device) -> Self {
        Self {
            linear: LinearConfig::new(d_in, d_out)
                .with_initializer(dcgan_init())
                .init(device),
            sn: spectral.then(|| SpectralNorm::new(d_out, device)),
        }
    }

    fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        forward_linear(&self.linear, self.sn.as_ref(), x)
    }
}

/// DCGAN's discriminator: stride-2 convolutions with LeakyReLU(0.2), batch norm on all but the
/// first, no pooling, and a linear logit on the flattened `base x base` feature map.
#[derive(Module, Debug)]
pub struct DcganDiscriminator<B: Backend> {
    convs: Vec<DiscConv<B>>,
    norms: Vec<BatchNorm<B>>,
    hidden: Option<DiscLinear<B>>,
    hidden_norm: Option<BatchNorm<B>>,
    logit: DiscLinear<B>,
    label: Option<LabelEncoder<B>>,
    projection: Option<Embedding<B>>,
    aux: Option<DiscLinear<B>>,
    image_size: usize,
    channels: usize,
    leaky_slope: f64,
}

impl DcganDiscriminatorConfig {
    /// Checks the config.
    pub fn validate(&self) -> ModelResult<DcganLayout> {
        nonzero("channels", self.channels)?;
        nonzero("width", self.width)?;
        if let Some(h) = self.hidden {
            nonzero("hidden", h)?;
        }
        match &self.condition {
            Some(c) => c.validate()?,
            None if self.conditioning != DiscriminatorConditioning::Input => {
                return Err(ModelError::MissingClasses {
                    feature: "conditioning",
                });
            }
            None => {}
        }
        DcganLayout::for_size(self.image_size)
    }

    /// Number of features of the flattened last feature map.
    pub fn feature_dim(&self) -> ModelResult<usize> {
        Ok(self.features(self.validate()?))
    }

    fn features(&self, layout: DcganLayout) -> usize {
        self.hidden.unwrap_or(self.conv_features(layout))
    }

    fn conv_features(&self, layout: DcganLayout) -> usize {
        layout.channels(self.width, layout.stages - 1) * layout.base * layout.base
    }

    /// Validates the config and builds the discriminator on `device`.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> ModelResult<DcganDiscriminator<B>> {
        let layout = self.validate()?;
        let features = self.features(layout);
        let input_label = self
            .condition
            .as_ref()
            .filter(|_| self.conditioning == DiscriminatorConditioning::Input);
        let mut c_in = self.channels + input_label.map_or(0, |c| c.dim());
        let mut convs = Vec::with_capacity(layout.stages);
        let mut norms = Vec::new();
        for i in 0..layout.stages {
            let c_out = layout.channels(self.width, i);
            let conv = Conv2dConfig::new([c_in, c_out], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(!self.batch_norm || i == 0)
                .with_initializer(dcgan_init())
                .init(device);
            convs.push(DiscConv {
                conv,
                sn: self.spectral_norm.then(|| SpectralNorm::new(c_out, device)),
            });
            if self.batch_norm && i > 0 {
                norms.push(dcgan_batch_norm(c_out, device));
            }
            c_in = c_out;
        }
        let hidden = self
            .hidden
            .map(|h| DiscLinear::new(self.conv_features(layout), h, self.spectral_norm, device));
        let hidden_norm = self
            .hidden
            .filter(|_| self.batch_norm)
            .map(|h| dcgan_batch_norm(h, device));
        let classes = self.condition.as_ref().map(|c| c.num_classes);
        let projection = match (self.conditioning, classes) {
            (DiscriminatorConditioning::Projection, Some(k)) => Some(
                EmbeddingConfig::new(k, features)
                    .with_initializer(dcgan_init())
                    .init(device),
            ),
            _ => None,
        };
        let aux = match (self.conditioning, classes) {
            (DiscriminatorConditioning::AuxClassifier, Some(k)) => {
                Some(DiscLinear::new(features, k, self.spectral_norm, device))
            }
            _ => None,
        };
        Ok(DcganDiscriminator {
            convs,
            norms,
            hidden,
            hidden_norm,
            logit: DiscLinear::new(features, 1, self.spectral_norm, device),
            label: input_label.map(|c| c.init(device)),
            projection,
            aux,
            image_size: self.image_size,
            channels: self.channels,
            leaky_slope: self.leaky_slope,
        })
    }

    /// Builds the discriminator, panicking on an invalid config (see [`Self::try_init`]).
    pub fn init<B: Backend>(&self, device: &B::Device) -> DcganDiscriminator<B> {
        self.try_init(device)
            .unwrap_or_else(|err| panic!("invalid DcganDiscriminatorConfig: {err}"))
    }
}

impl<B: Backend> DcganDiscriminator<B> {
    /// The flattened last feature map `phi(x)`, or the hidden fully connected layer's output
    /// when there is one.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, image_size, image_size]`
    /// - output: `[batch, features]`
    pub fn features(
        &self,
        images: Tensor<B, 4>,
        labels: Option<Tensor<B, 1, Int>>,
    ) -> Tensor<B, 2> {
        let [batch, _, h, w] = images.dims();
        let mut x = match &self.label {
            Some(encoder) => {
                let y = encoder.encode(require_labels(labels, "DcganDiscriminator"));
                let [_, d] = y.dims();
                let planes = y.reshape([batch, d, 1, 1]).expand([batch, d, h, w]);
                Tensor::cat(vec![images, planes], 1)
            }
            None => images,
        };
        for (i, conv) in self.convs.iter().enumerate() {
            x = conv.forward(x); // side halves
            if i > 0 && !self.norms.is_empty() {
                x = batch_norm_2d(&self.norms[i - 1], x);
            }
            x = leaky_relu(x, self.leaky_slope);
        }
        let x = x.flatten(1, 3);
        match &self.hidden {
            Some(fc) => {
                let mut h = fc.forward(x);
                if let Some(norm) = &self.hidden_norm {
                    h = norm.forward(h);
                }
                leaky_relu(h, self.leaky_slope)
            }
            None => x,
        }
    }

    /// Logits and, for ACGAN, auxiliary class logits.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, image_size, image_size]`
    /// - output: `([batch, 1], Some([batch, num_classes]))`
    pub fn forward(
        &self,
        images: Tensor<B, 4>,
        labels: Option<Tensor<B, 1, Int>>,
    ) -> (Tensor<B, 2>, Option<Tensor<B, 2>>) {
        let phi = self.features(images, labels.clone());
        let logit = self.head(phi.clone(), labels);
        let aux = self.aux.as_ref().map(|head| head.forward(phi));
        (logit, aux)
    }

    /// The logit from the features `phi` (with the projection term for projection
    /// discriminators).
    fn head(&self, phi: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        let mut logit = self.logit.forward(phi.clone());
        if let Some(embedding) = &self.projection {
            let labels = require_labels(labels, "projection DcganDiscriminator");
            let [batch] = labels.dims();
            let e: Tensor<B, 3> = embedding.forward(labels.reshape([batch, 1]));
            let e = e.squeeze_dim::<2>(1); // [batch, features]
            logit = logit + (e * phi).sum_dim(1);
        }
        logit
    }
}

impl<B: Backend> Discriminator<B> for DcganDiscriminator<B> {
    fn input_features(&self) -> usize {
        self.channels * self.image_size * self.image_size
    }

    fn num_classes(&self) -> Option<usize> {
        self.label
            .as_ref()
            .map(|l| l.num_classes())
            .or_else(|| self.projection.as_ref().map(|p| p.weight.dims()[0]))
            .or_else(|| self.aux.as_ref().map(|a| a.linear.weight.dims()[1]))
    }

    fn discriminate(&self, x: Tensor<B, 2>, labels: Option<Tensor<B, 1, Int>>) -> Tensor<B, 2> {
        self.discriminate_with_aux(x, labels).0
    }

    fn discriminate_with_aux(
        &self,
        x: Tensor<B, 2>,
        labels: Option<Tensor<B, 1, Int>>,
    ) -> (Tensor<B, 2>, Option<Tensor<B, 2>>) {
        let [batch, _] = x.dims();
        let s = self.image_size;
        self.forward(x.reshape([batch, self.channels, s, s]), labels)
    }
}

impl<B: Backend> FeatureDiscriminator<B> for DcganDiscriminator<B> {
    fn feature_dim(&self) -> usize {
        self.logit.linear.weight.dims()[0]
    }

    fn discriminate_with_features(
        &self,
        x: Tensor<B, 2>,
        labels: Option<Tensor<B, 1, Int>>,
    ) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let [batch, _] = x.dims();
        let s = self.image_size;
        let images = x.reshape([batch, self.channels, s, s]);
        let phi = self.features(images, labels.clone());
        let logit = self.head(phi.clone(), labels);
        (logit, phi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_configs_return_the_specific_error() {
        for size in [0, 16, 48, 128] {
            assert_eq!(
                DcganGeneratorConfig::new().with_image_size(size).validate(),
                Err(ModelError::UnsupportedImageSize { size })
            );
            assert_eq!(
                DcganDiscriminatorConfig::new()
                    .with_image_size(size)
                    .validate(),
                Err(ModelError::UnsupportedImageSize { size })
            );
        }
        let zero = |field| Err(ModelError::ZeroSize { field });
        assert_eq!(
            DcganGeneratorConfig::new().with_latent_dim(0).validate(),
            zero("latent_dim")
        );
        assert_eq!(
            DcganGeneratorConfig::new().with_channels(0).validate(),
            zero("channels")
        );
        assert_eq!(
            DcganDiscriminatorConfig::new().with_width(0).validate(),
            zero("width")
        );
        assert_eq!(
            DcganGeneratorConfig::new().with_hidden(Some(0)).validate(),
            zero("hidden")
        );
        assert_eq!(
            DcganDiscriminatorConfig::new()
                .with_hidden(Some(0))
                .validate(),
            zero("hidden")
        );
        assert_eq!(
            DcganGeneratorConfig::new()
                .with_condition(Some(ConditionConfig::new(1)))
                .validate(),
            Err(ModelError::TooFewClasses { num_classes: 1 })
        );
        assert_eq!(
            DcganDiscriminatorConfig::new()
                .with_condition(Some(
                    ConditionConfig::new(10).with_encoding(crate::LabelEncoding::Embedding(0))
                ))
                .validate(),
            zero("encoding.Embedding")
        );
        assert_eq!(
            DcganDiscriminatorConfig::new()
                .with_conditioning(DiscriminatorConditioning::AuxClassifier)
                .validate(),
            Err(ModelError::MissingClasses {
                feature: "conditioning"
            })
        );
        for size in [28, 32, 64] {
            assert_eq!(
                DcganGeneratorConfig::new()
                    .with_image_size(size)
                    .validate()
                    .map(|_| ()),
                Ok(())
            );
        }
    }

    #[test]
    fn layouts() {
        assert_eq!(
            DcganLayout::for_size(28),
            Ok(DcganLayout { base: 7, stages: 2 })
        );
        assert_eq!(
            DcganLayout::for_size(64),
            Ok(DcganLayout { base: 4, stages: 4 })
        );
        assert_eq!(DcganLayout::for_size(64).unwrap().channels(64, 3), 512);
    }
}

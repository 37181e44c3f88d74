//! Autoencoder discriminators for the energy-based GANs: EBGAN (Zhao et al. 2017) scores a
//! sample by its mean squared reconstruction error, BEGAN (Berthelot et al. 2017) by its mean
//! absolute one. The discriminator returns the reconstruction and the code; the algorithm turns
//! them into an energy (see `gan_train::energy`).

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;

use crate::dcgan::{dcgan_batch_norm, dcgan_init};
use crate::error::{ModelError, Result as ModelResult, nonzero};

/// A discriminator that reconstructs its input through a bottleneck code.
pub trait Autoencoder<B: Backend>: Module<B> {
    /// Number of features of one input sample.
    fn input_features(&self) -> usize;

    /// Dimension of the bottleneck code.
    fn code_dim(&self) -> usize;

    /// Encodes and decodes a batch.
    ///
    /// # Shapes
    /// - `x`: `[batch, input_features]`
    /// - output: `(reconstruction [batch, input_features], code [batch, code_dim])`
    fn autoencode(&self, x: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>);
}

/// Configuration of [`ConvAutoencoder`]: the discriminator of the EBGAN and BEGAN rows of
/// pytorch-generative-model-collections, for any even image side.
#[derive(Config, Debug, PartialEq)]
pub struct ConvAutoencoderConfig {
    /// Side of the square images (even).
    #[config(default = 28)]
    pub image_size: usize,
    /// Image channels.
    #[config(default = 1)]
    pub channels: usize,
    /// Channels of the one convolution's feature map (64 in the collection).
    #[config(default = 64)]
    pub width: usize,
    /// Dimension of the bottleneck code (32 in the collection).
    #[config(default = 32)]
    pub code_dim: usize,
    /// Batch norm before the decoder's ReLU (EBGAN's `FC-BN-ReLU`). Batch norm mixes the
    /// samples of a batch, so a sample's energy then depends on its batch; BEGAN's paper uses
    /// none.
    #[config(default = true)]
    pub batch_norm: bool,
}

/// `Conv(c→w, k4 s2 p1)-ReLU`, `FC→code`, `FC→w·(s/2)²-[BN]-ReLU`, `ConvT(w→c, k4 s2 p1)`:
/// the output is linear, images in `[-1, 1]` are reconstructed directly. Weights `N(0, 0.02)`.
#[derive(Module, Debug)]
pub struct ConvAutoencoder<B: Backend> {
    conv: Conv2d<B>,
    encode: Linear<B>,
    decode: Linear<B>,
    decode_norm: Option<BatchNorm<B>>,
    deconv: ConvTranspose2d<B>,
    image_size: usize,
    channels: usize,
    width: usize,
    code_dim: usize,
}

impl ConvAutoencoderConfig {
    /// Checks the config.
    pub fn validate(&self) -> ModelResult<()> {
        nonzero("channels", self.channels)?;
        nonzero("width", self.width)?;
        nonzero("code_dim", self.code_dim)?;
        if self.image_size < 4 || !self.image_size.is_multiple_of(2) {
            return Err(ModelError::UnsupportedAutoencoderSize {
                size: self.image_size,
            });
        }
        Ok(())
    }

    /// Validates the config and builds the autoencoder on `device`.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> ModelResult<ConvAutoencoder<B>> {
        self.validate()?;
        let half = self.image_size / 2;
        let hidden = self.width * half * half;
        let linear = |d_in, d_out| {
            LinearConfig::new(d_in, d_out)
                .with_initializer(dcgan_init())
                .init(device)
        };
        Ok(ConvAutoencoder {
            conv: Conv2dConfig::new([self.channels, self.width], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_initializer(dcgan_init())
                .init(device),
            encode: linear(hidden, self.code_dim),
            decode: linear(self.code_dim, hidden),
            decode_norm: self.batch_norm.then(|| dcgan_batch_norm(hidden, device)),
            deconv: ConvTranspose2dConfig::new([self.width, self.channels], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .with_initializer(dcgan_init())
                .init(device),
            image_size: self.image_size,
            channels: self.channels,
            width: self.width,
            code_dim: self.code_dim,
        })
    }

    /// Builds the autoencoder, panicking on an invalid config (see [`Self::try_init`]).
    pub fn init<B: Backend>(&self, device: &B::Device) -> ConvAutoencoder<B> {
        self.try_init(device)
            .unwrap_or_else(|err| panic!("invalid ConvAutoencoderConfig: {err}"))
    }
}

impl<B: Backend> Autoencoder<B> for ConvAutoencoder<B> {
    fn input_features(&self) -> usize {
        self.channels * self.image_size * self.image_size
    }

    fn code_dim(&self) -> usize {
        self.code_dim
    }

    fn autoencode(&self, x: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let [batch, _] = x.dims();
        let (s, half) = (self.image_size, self.image_size / 2);
        let h = relu(self.conv.forward(x.reshape([batch, self.channels, s, s]))); // [batch, width, s/2, s/2]
        let code = self.encode.forward(h.flatten(1, 3)); // [batch, code_dim]
        let mut h = self.decode.forward(code.clone()); // [batch, width·(s/2)²]
        if let Some(norm) = &self.decode_norm {
            h = norm.forward(h);
        }
        let h = relu(h).reshape([batch, self.width, half, half]);
        let reconstruction = self
            .deconv
            .forward(h)
            .reshape([batch, self.channels * s * s]);
        (reconstruction, code)
    }
}

/// Configuration of [`MlpAutoencoder`], for flat data such as the 2-D toy distributions.
#[derive(Config, Debug, PartialEq)]
pub struct MlpAutoencoderConfig {
    /// Number of input features per sample.
    #[config(default = 2)]
    pub input_dim: usize,
    /// Widths of the encoder's hidden layers (ReLU); the decoder mirrors them.
    #[config(default = "vec![128]")]
    pub hidden: Vec<usize>,
    /// Dimension of the linear bottleneck code.
    #[config(default = 8)]
    pub code_dim: usize,
}

/// A fully connected autoencoder: ReLU layers down to a linear code, the mirror image up to a
/// linear reconstruction.
#[derive(Module, Debug)]
pub struct MlpAutoencoder<B: Backend> {
    encoder: Vec<Linear<B>>,
    decoder: Vec<Linear<B>>,
    input_dim: usize,
    code_dim: usize,
}

impl MlpAutoencoderConfig {
    /// Checks the config.
    pub fn validate(&self) -> ModelResult<()> {
        nonzero("input_dim", self.input_dim)?;
        nonzero("code_dim", self.code_dim)?;
        for width in &self.hidden {
            nonzero("hidden", *width)?;
        }
        Ok(())
    }

    /// Validates the config and builds the autoencoder on `device`.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> ModelResult<MlpAutoencoder<B>> {
        self.validate()?;
        let mut widths = vec![self.input_dim];
        widths.extend(&self.hidden);
        widths.push(self.code_dim);
        let chain = |widths: &[usize]| {
            widths
                .windows(2)
                .map(|w| LinearConfig::new(w[0], w[1]).init(device))
                .collect::<Vec<_>>()
        };
        let encoder = chain(&widths);
        widths.reverse();
        let decoder = chain(&widths);
        Ok(MlpAutoencoder {
            encoder,
            decoder,
            input_dim: self.input_dim,
            code_dim: self.code_dim,
        })
    }

    /// Builds the autoencoder, panicking on an invalid config (see [`Self::try_init`]).
    pub fn init<B: Backend>(&self, device: &B::Device) -> MlpAutoencoder<B> {
        self.try_init(device)
            .unwrap_or_else(|err| panic!("invalid MlpAutoencoderConfig: {err}"))
    }
}

/// Applies linear layers with a ReLU between consecutive ones (none after the last).
fn relu_chain<B: Backend>(layers: &[Linear<B>], mut x: Tensor<B, 2>) -> Tensor<B, 2> {
    for (i, layer) in layers.iter().enumerate() {
        x = layer.forward(x);
        if i + 1 < layers.len() {
            x = relu(x);
        }
    }
    x
}

impl<B: Backend> Autoencoder<B> for MlpAutoencoder<B> {
    fn input_features(&self) -> usize {
        self.input_dim
    }

    fn code_dim(&self) -> usize {
        self.code_dim
    }

    fn autoencode(&self, x: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let code = relu_chain(&self.encoder, x);
        (relu_chain(&self.decoder, code.clone()), code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_configs_name_the_field() {
        for size in [0, 2, 27] {
            assert_eq!(
                ConvAutoencoderConfig::new()
                    .with_image_size(size)
                    .validate(),
                Err(ModelError::UnsupportedAutoencoderSize { size })
            );
        }
        assert_eq!(
            ConvAutoencoderConfig::new().with_code_dim(0).validate(),
            Err(ModelError::ZeroSize { field: "code_dim" })
        );
        assert_eq!(
            MlpAutoencoderConfig::new()
                .with_hidden(vec![4, 0])
                .validate(),
            Err(ModelError::ZeroSize { field: "hidden" })
        );
        assert!(
            ConvAutoencoderConfig::new()
                .with_image_size(64)
                .validate()
                .is_ok()
        );
    }
}

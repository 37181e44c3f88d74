//! Image-to-image networks for CycleGAN (Zhu et al. 2017), after the reference implementation's
//! `ResnetGenerator` and `NLayerDiscriminator`: a generator that maps an image of one domain to
//! an image of another ([`Translator`]), and a PatchGAN discriminator that scores every
//! overlapping patch of an image ([`PatchDiscriminator`]).
//!
//! Both normalise with Burn's [`InstanceNorm`] without affine parameters and the generator pads
//! with [`Tensor::pad`]'s reflection, as the reference does. Images travel as flat
//! `[batch, channels·size·size]` tensors like every sample in this crate.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{InstanceNorm, InstanceNormConfig, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;

use crate::activation::leaky_relu;
use burn::tensor::backend::Backend;
use burn::tensor::ops::PadMode;

use crate::dcgan::dcgan_init;
use crate::error::{ModelError, Result as ModelResult, nonzero};

/// A network that translates images of one domain into images of another.
pub trait Translator<B: Backend>: Module<B> {
    /// `[channels, height, width]` of an input image.
    fn input_shape(&self) -> [usize; 3];

    /// `[channels, height, width]` of an output image.
    fn output_shape(&self) -> [usize; 3];

    /// Translates a batch of images.
    ///
    /// # Shapes
    /// - `x`: `[batch, input features]`
    /// - output: `[batch, output features]`
    fn translate(&self, x: Tensor<B, 2>) -> Tensor<B, 2>;
}

/// A discriminator that scores each patch of an image with a logit of its own (a PatchGAN).
pub trait PatchDiscriminator<B: Backend>: Module<B> {
    /// `[channels, height, width]` of an input image.
    fn input_shape(&self) -> [usize; 3];

    /// Number of patches scored per image.
    fn patches(&self) -> usize;

    /// Scores every patch of a batch of images.
    ///
    /// # Shapes
    /// - `x`: `[batch, input features]`
    /// - output: `[batch, patches]`
    fn score_patches(&self, x: Tensor<B, 2>) -> Tensor<B, 2>;
}

/// Instance normalisation without affine parameters, as CycleGAN uses it: each channel of each
/// image is shifted and scaled to mean 0 and variance 1 (biased variance, `ε = 1e-5`).
fn instance_norm<B: Backend>(channels: usize, device: &B::Device) -> InstanceNorm<B> {
    InstanceNormConfig::new(channels)
        .with_affine(false)
        .init(device)
}

/// Reflection padding of `p` pixels on both sides of the last two dimensions (the edge pixel
/// is not repeated: `[a, b, c]` padded by 1 is `[b, a, b, c, b]`).
///
/// # Shapes
/// - `x`: `[batch, channels, h, w]` with `h, w > p`
/// - output: `[batch, channels, h + 2p, w + 2p]`
pub fn reflection_pad<B: Backend>(x: Tensor<B, 4>, p: usize) -> Tensor<B, 4> {
    x.pad([(p, p), (p, p)], PadMode::Reflect)
}

/// Configuration of [`ResnetGenerator`]: CycleGAN's generator (Johnson et al.'s network) for
/// square images whose side is a multiple of 4.
///
/// The reference uses `width = 64` and 9 blocks at 256 px (6 at 128 px). For the small images
/// this project trains on, [`ResnetGeneratorConfig::for_size`] scales it down.
#[derive(Config, Debug, PartialEq)]
pub struct ResnetGeneratorConfig {
    /// Channels of the input images.
    pub channels_in: usize,
    /// Channels of the output images.
    pub channels_out: usize,
    /// Side of the square images (a multiple of 4, at least 8).
    pub image_size: usize,
    /// Channels of the first convolution (`ngf`); the two downsamplings double it twice.
    #[config(default = 64)]
    pub width: usize,
    /// Residual blocks at a quarter of the resolution.
    #[config(default = 9)]
    pub blocks: usize,
}

/// One residual block: `x + IN(conv3(pad(ReLU(IN(conv3(pad(x)))))))`.
#[derive(Module, Debug)]
pub struct ResnetBlock<B: Backend> {
    conv1: Conv2d<B>,
    norm1: InstanceNorm<B>,
    conv2: Conv2d<B>,
    norm2: InstanceNorm<B>,
}

impl<B: Backend> ResnetBlock<B> {
    /// # Shapes
    /// - `x`, output: `[batch, channels, h, w]`
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let h = relu(
            self.norm1
                .forward(self.conv1.forward(reflection_pad(x.clone(), 1))),
        );
        let h = self.norm2.forward(self.conv2.forward(reflection_pad(h, 1)));
        x + h
    }
}

/// CycleGAN's ResNet generator: `c7s1-w` (reflection pad 3, 7x7 convolution, instance norm,
/// ReLU), two 3x3 stride-2 downsamplings to `2w` and `4w` channels, `blocks` residual blocks,
/// two 3x3 stride-2 transposed convolutions back to `w` channels, and `c7s1-channels_out` with
/// `tanh`. Weights `N(0, 0.02)`, biases 0.
#[derive(Module, Debug)]
pub struct ResnetGenerator<B: Backend> {
    stem: Conv2d<B>,
    stem_norm: InstanceNorm<B>,
    down: Vec<(Conv2d<B>, InstanceNorm<B>)>,
    blocks: Vec<ResnetBlock<B>>,
    up: Vec<(ConvTranspose2d<B>, InstanceNorm<B>)>,
    head: Conv2d<B>,
    channels_in: usize,
    channels_out: usize,
    image_size: usize,
}

impl ResnetGeneratorConfig {
    /// The generator scaled to `size`-pixel images: width 64 with 9 blocks from 256 px on, 6
    /// blocks from 128 px, and for the small images of this project (below 128 px) width 32
    /// with 6 blocks at 64 px and width 16 with 4 blocks below that. The bottleneck has a
    /// quarter of the side (7 px at 28, 16 px at 64) and the residual blocks' 3x3 kernels see
    /// the whole bottleneck after 2-3 blocks.
    pub fn for_size(channels_in: usize, channels_out: usize, size: usize) -> Self {
        let (width, blocks) = match size {
            256.. => (64, 9),
            128.. => (64, 6),
            64.. => (32, 6),
            _ => (16, 4),
        };
        Self::new(channels_in, channels_out, size)
            .with_width(width)
            .with_blocks(blocks)
    }

    /// `[channels_in, image_size, image_size]`.
    pub fn input_shape(&self) -> [usize; 3] {
        [self.channels_in, self.image_size, self.image_size]
    }

    /// `[channels_out, image_size, image_size]`.
    pub fn output_shape(&self) -> [usize; 3] {
        [self.channels_out, self.image_size, self.image_size]
    }

    /// Checks the config.
    pub fn validate(&self) -> ModelResult<()> {
        nonzero("channels_in", self.channels_in)?;
        nonzero("channels_out", self.channels_out)?;
        nonzero("width", self.width)?;
        if self.image_size < 8 || !self.image_size.is_multiple_of(4) {
            return Err(ModelError::UnsupportedTranslatorSize {
                size: self.image_size,
            });
        }
        Ok(())
    }

    /// Validates the config and builds the generator on `device`.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> ModelResult<ResnetGenerator<B>> {
        self.validate()?;
        let w = self.width;
        let conv = |c_in, c_out, k: usize, stride: usize, pad: usize| {
            Conv2dConfig::new([c_in, c_out], [k, k])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                .with_initializer(dcgan_init())
                .init(device)
        };
        let down = [(w, 2 * w), (2 * w, 4 * w)]
            .into_iter()
            .map(|(c_in, c_out)| (conv(c_in, c_out, 3, 2, 1), instance_norm(c_out, device)))
            .collect();
        let blocks = (0..self.blocks)
            .map(|_| ResnetBlock {
                conv1: conv(4 * w, 4 * w, 3, 1, 0),
                norm1: instance_norm(4 * w, device),
                conv2: conv(4 * w, 4 * w, 3, 1, 0),
                norm2: instance_norm(4 * w, device),
            })
            .collect();
        let up = [(4 * w, 2 * w), (2 * w, w)]
            .into_iter()
            .map(|(c_in, c_out)| {
                let deconv = ConvTranspose2dConfig::new([c_in, c_out], [3, 3])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .with_padding_out([1, 1])
                    .with_initializer(dcgan_init())
                    .init(device);
                (deconv, instance_norm(c_out, device))
            })
            .collect();
        Ok(ResnetGenerator {
            stem: conv(self.channels_in, w, 7, 1, 0),
            stem_norm: instance_norm(w, device),
            down,
            blocks,
            up,
            head: conv(w, self.channels_out, 7, 1, 0),
            channels_in: self.channels_in,
            channels_out: self.channels_out,
            image_size: self.image_size,
        })
    }

    /// Builds the generator, panicking on an invalid config (see [`Self::try_init`]).
    pub fn init<B: Backend>(&self, device: &B::Device) -> ResnetGenerator<B> {
        self.try_init(device)
            .unwrap_or_else(|err| panic!("invalid ResnetGeneratorConfig: {err}"))
    }
}

impl<B: Backend> Translator<B> for ResnetGenerator<B> {
    fn input_shape(&self) -> [usize; 3] {
        [self.channels_in, self.image_size, self.image_size]
    }

    fn output_shape(&self) -> [usize; 3] {
        [self.channels_out, self.image_size, self.image_size]
    }

    fn translate(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let [batch, _] = x.dims();
        let s = self.image_size;
        let x = x.reshape([batch, self.channels_in, s, s]);
        let mut h = relu(
            self.stem_norm
                .forward(self.stem.forward(reflection_pad(x, 3))),
        );
        for (conv, norm) in &self.down {
            h = relu(norm.forward(conv.forward(h)));
        }
        for block in &self.blocks {
            h = block.forward(h);
        }
        for (deconv, norm) in &self.up {
            h = relu(norm.forward(deconv.forward(h)));
        }
        self.head
            .forward(reflection_pad(h, 3))
            .tanh()
            .reshape([batch, self.channels_out * s * s])
    }
}

/// Configuration of [`NLayerDiscriminator`], CycleGAN's PatchGAN discriminator.
///
/// With `n_layers = 3` (the reference) each logit sees a 70x70 patch, which covers a whole
/// image of 64 px or less; `n_layers = 2` sees 34x34 patches and `n_layers = 1` 16x16 ones
/// ([`NLayerDiscriminatorConfig::receptive_field`]). [`NLayerDiscriminatorConfig::for_size`]
/// picks `n_layers` so that a patch is about half the image side.
#[derive(Config, Debug, PartialEq)]
pub struct NLayerDiscriminatorConfig {
    /// Channels of the input images.
    pub channels: usize,
    /// Side of the square images.
    pub image_size: usize,
    /// Channels of the first convolution (`ndf`), doubled by each further layer up to 8 times.
    #[config(default = 64)]
    pub width: usize,
    /// Stride-2 convolutions (3 in the reference).
    #[config(default = 3)]
    pub n_layers: usize,
    /// Instance norm after every convolution but the first and the last (the reference's
    /// `norm='instance'`); `false` is its `norm='none'`.
    #[config(default = true)]
    pub instance_norm: bool,
}

/// CycleGAN's PatchGAN: `C64` (4x4 stride-2 convolution, LeakyReLU 0.2, no norm), `n_layers − 1`
/// more stride-2 `Ck` layers with instance norm (`k` doubling up to `8·width`), one stride-1
/// `Ck` layer, and a stride-1 4x4 convolution to one logit per patch. Weights `N(0, 0.02)`.
#[derive(Module, Debug)]
pub struct NLayerDiscriminator<B: Backend> {
    first: Conv2d<B>,
    layers: Vec<(Conv2d<B>, Option<InstanceNorm<B>>)>,
    last: Conv2d<B>,
    channels: usize,
    image_size: usize,
    patch_side: usize,
}

impl NLayerDiscriminatorConfig {
    /// The discriminator for `size`-pixel images: width 64 and the reference's `n_layers = 3`
    /// (70 px patches) from 128 px on; below that the patch is kept near half the image, so
    /// that the discriminator judges local texture rather than the whole picture: 34 px
    /// patches (`n_layers = 2`) at 64 px, 16 px ones (`n_layers = 1`) at 32 px or less, with
    /// width 32.
    pub fn for_size(channels: usize, size: usize) -> Self {
        let (width, n_layers) = match size {
            128.. => (64, 3),
            64.. => (64, 2),
            _ => (32, 1),
        };
        Self::new(channels, size)
            .with_width(width)
            .with_n_layers(n_layers)
    }

    /// `[channels, image_size, image_size]`.
    pub fn input_shape(&self) -> [usize; 3] {
        [self.channels, self.image_size, self.image_size]
    }

    /// The side of the square patch each logit sees: `1 + Σᵢ (kᵢ − 1) Πⱼ<ᵢ sⱼ` over the
    /// 4x4 convolutions (70 for `n_layers = 3`).
    pub fn receptive_field(&self) -> usize {
        let strides = (0..self.n_layers).map(|_| 2).chain([1, 1]);
        let mut field = 1;
        let mut jump = 1;
        for stride in strides {
            field += 3 * jump;
            jump *= stride;
        }
        field
    }

    /// The side of the output map of logits (`None` when the image is too small for the
    /// layers).
    pub fn patch_side(&self) -> Option<usize> {
        let mut side = self.image_size;
        for _ in 0..self.n_layers {
            // 4x4, stride 2, padding 1.
            side = (side + 2).checked_sub(4)? / 2 + 1;
        }
        for _ in 0..2 {
            // 4x4, stride 1, padding 1.
            side = (side + 2).checked_sub(4)? + 1;
        }
        (side >= 1).then_some(side)
    }

    /// Checks the config.
    pub fn validate(&self) -> ModelResult<()> {
        nonzero("channels", self.channels)?;
        nonzero("width", self.width)?;
        nonzero("n_layers", self.n_layers)?;
        if self.patch_side().is_none() {
            return Err(ModelError::PatchTooSmall {
                size: self.image_size,
                n_layers: self.n_layers,
            });
        }
        Ok(())
    }

    /// Validates the config and builds the discriminator on `device`.
    pub fn try_init<B: Backend>(&self, device: &B::Device) -> ModelResult<NLayerDiscriminator<B>> {
        self.validate()?;
        let conv = |c_in, c_out, stride: usize| {
            Conv2dConfig::new([c_in, c_out], [4, 4])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_initializer(dcgan_init())
                .init(device)
        };
        let w = self.width;
        let mult = |n: usize| w * (1usize << n.min(3));
        let norm = |c| self.instance_norm.then(|| instance_norm(c, device));
        let mut layers = Vec::new();
        for n in 1..self.n_layers {
            layers.push((conv(mult(n - 1), mult(n), 2), norm(mult(n))));
        }
        let n = self.n_layers;
        layers.push((conv(mult(n - 1), mult(n), 1), norm(mult(n))));
        Ok(NLayerDiscriminator {
            first: conv(self.channels, w, 2),
            layers,
            last: conv(mult(n), 1, 1),
            channels: self.channels,
            image_size: self.image_size,
            patch_side: self.patch_side().expect("validated"),
        })
    }

    /// Builds the discriminator, panicking on an invalid config (see [`Self::try_init`]).
    pub fn init<B: Backend>(&self, device: &B::Device) -> NLayerDiscriminator<B> {
        self.try_init(device)
            .unwrap_or_else(|err| panic!("invalid NLayerDiscriminatorConfig: {err}"))
    }
}

impl<B: Backend> PatchDiscriminator<B> for NLayerDiscriminator<B> {
    fn input_shape(&self) -> [usize; 3] {
        [self.channels, self.image_size, self.image_size]
    }

    fn patches(&self) -> usize {
        self.patch_side * self.patch_side
    }

    fn score_patches(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let [batch, _] = x.dims();
        let s = self.image_size;
        let x = x.reshape([batch, self.channels, s, s]);
        let mut h = leaky_relu(self.first.forward(x), 0.2);
        for (conv, norm) in &self.layers {
            h = conv.forward(h);
            if let Some(norm) = norm {
                h = norm.forward(h);
            }
            h = leaky_relu(h, 0.2);
        }
        self.last.forward(h).reshape([batch, self.patches()])
    }
}

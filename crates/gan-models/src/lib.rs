//! Generator and discriminator modules for generative adversarial networks, generic over
//! Burn's [`Backend`](burn::tensor::backend::Backend).
//!
//! Every model is a `#[derive(Module)]` struct built from a `#[derive(Config)]` config whose
//! `try_init` validates the config into a typed [`ModelError`] before allocating anything.
//! Models implement the [`Generator`] and [`Discriminator`] traits, which is all the trainer in
//! `gan-train` needs to know about them, so a user's own module can be trained the same way.
//!
//! Samples travel between the two networks as flat `[batch, features]` tensors; a model that
//! works on images reshapes internally and reports its per-sample shape through
//! [`Generator::sample_shape`].

mod activation;
mod autoencoder;
mod condition;
mod dcgan;
mod error;
mod info;
mod mlp;
mod noise;
mod norm;
mod spectral;
mod traits;
mod translate;

pub use activation::leaky_relu;
pub use autoencoder::{
    Autoencoder, ConvAutoencoder, ConvAutoencoderConfig, MlpAutoencoder, MlpAutoencoderConfig,
};
pub use condition::{ConditionConfig, LabelEncoder, LabelEncoding};
pub use dcgan::{
    DcganDiscriminator, DcganDiscriminatorConfig, DcganGenerator, DcganGeneratorConfig,
    DcganLayout, DiscriminatorConditioning,
};
pub use error::{ModelError, Result};
pub use info::{QHead, QHeadConfig};
pub use mlp::{
    Maxout, MlpDiscriminator, MlpDiscriminatorConfig, MlpGenerator, MlpGeneratorConfig,
    OutputActivation,
};
pub use noise::{GanRng, Prior, lerp, rng_from_seed, slerp};
pub use norm::batch_norm_2d;
pub use spectral::{SnConv2d, SnLinear, SpectralNorm};
pub use traits::{Discriminator, FeatureDiscriminator, Generator, summary, trainable_params};
pub use translate::{
    NLayerDiscriminator, NLayerDiscriminatorConfig, PatchDiscriminator, ResnetBlock,
    ResnetGenerator, ResnetGeneratorConfig, Translator, reflection_pad,
};

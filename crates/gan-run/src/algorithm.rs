//! Which GAN algorithm an image run trains, with its own settings: the classic algorithm (the
//! default; DRAGAN is its `dragan` loss preset), InfoGAN, EBGAN or BEGAN.

use burn::config::Config;
use gan_models::{ConvAutoencoderConfig, QHeadConfig};
use gan_train::{BeganConfig, EbganConfig, InfoGanConfig};

/// InfoGAN's codes and `Q` head in a run.
#[derive(Config, Debug, PartialEq)]
pub struct InfoGanRun {
    /// The codes and the weights of the information term. The generator's `latent_dim` is the
    /// noise's dimension plus `categories + continuous`.
    #[config(default = "InfoGanConfig::new()")]
    pub info: InfoGanConfig,
    /// Units of `Q`'s hidden layer (batch norm, LeakyReLU) on the discriminator's features;
    /// `None` for a linear head.
    #[config(default = "Some(128)")]
    pub q_hidden: Option<usize>,
}

impl InfoGanRun {
    /// `Q`'s config for a discriminator with `features` trunk features.
    pub fn q_head(&self, features: usize) -> QHeadConfig {
        QHeadConfig::new(features, self.info.code_dim()).with_hidden(self.q_hidden)
    }
}

/// EBGAN in a run: its own settings and the autoencoder discriminator, which replaces the
/// networks' discriminator.
#[derive(Config, Debug, PartialEq)]
pub struct EbganRun {
    /// Margin and pull-away weight.
    #[config(default = "EbganConfig::new()")]
    pub ebgan: EbganConfig,
    /// The autoencoder (its `image_size` and `channels` must match the images).
    pub autoencoder: ConvAutoencoderConfig,
}

/// BEGAN in a run: its own settings and the autoencoder discriminator, which replaces the
/// networks' discriminator.
#[derive(Config, Debug, PartialEq)]
pub struct BeganRun {
    /// `γ`, `λ_k` and `k_0`.
    #[config(default = "BeganConfig::new()")]
    pub began: BeganConfig,
    /// The autoencoder (its `image_size` and `channels` must match the images).
    pub autoencoder: ConvAutoencoderConfig,
}

/// The algorithm of an image run.
#[derive(Config, Debug, PartialEq)]
pub enum AlgorithmConfig {
    /// Algorithm 1 with the loss family, penalties (DRAGAN among them), ACGAN and EMA.
    Classic,
    /// InfoGAN (Chen et al. 2016).
    InfoGan(InfoGanRun),
    /// EBGAN (Zhao et al. 2017).
    Ebgan(EbganRun),
    /// BEGAN (Berthelot et al. 2017).
    Began(BeganRun),
}

impl AlgorithmConfig {
    /// The algorithm's name: `classic`, `infogan`, `ebgan` or `began`.
    pub fn name(&self) -> &'static str {
        match self {
            AlgorithmConfig::Classic => gan_train::CLASSIC,
            AlgorithmConfig::InfoGan(_) => gan_train::INFOGAN,
            AlgorithmConfig::Ebgan(_) => gan_train::EBGAN,
            AlgorithmConfig::Began(_) => gan_train::BEGAN,
        }
    }

    /// InfoGAN's codes, for InfoGAN runs.
    pub fn info(&self) -> Option<&InfoGanConfig> {
        match self {
            AlgorithmConfig::InfoGan(run) => Some(&run.info),
            _ => None,
        }
    }

    /// The autoencoder of EBGAN and BEGAN runs.
    pub fn autoencoder(&self) -> Option<&ConvAutoencoderConfig> {
        match self {
            AlgorithmConfig::Ebgan(run) => Some(&run.autoencoder),
            AlgorithmConfig::Began(run) => Some(&run.autoencoder),
            _ => None,
        }
    }

    /// The default settings of the algorithm called `name` (`classic`, `infogan`, `ebgan`,
    /// `began`) for images of `[channels, size, size]`: the autoencoder of the
    /// generative-model collection, without batch norm in its decoder for both, so that a
    /// sample's energy is a function of that sample alone. The collection's EBGAN has
    /// `FC-BN-ReLU` there, and EBGAN collapsed with it in our runs (docs/math.md, EBGAN);
    /// `"batch_norm": true` in the run config restores it.
    pub fn named(name: &str, size: usize, channels: usize) -> Option<Self> {
        let autoencoder = |batch_norm| {
            ConvAutoencoderConfig::new()
                .with_image_size(size)
                .with_channels(channels)
                .with_batch_norm(batch_norm)
        };
        Some(match name {
            "classic" => AlgorithmConfig::Classic,
            "infogan" => AlgorithmConfig::InfoGan(InfoGanRun::new()),
            "ebgan" => AlgorithmConfig::Ebgan(EbganRun::new(autoencoder(false))),
            "began" => AlgorithmConfig::Began(BeganRun::new(autoencoder(false))),
            _ => return None,
        })
    }
}

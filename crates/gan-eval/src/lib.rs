//! Evaluation metrics for generative adversarial networks, on any Burn backend.
//!
//! | metric | module | reference |
//! |---|---|---|
//! | Parzen-window log-likelihood | [`parzen`] | Goodfellow et al. 2014, Table 1 |
//! | mode coverage on 2-D mixtures | [`ModeCoverage`] (from `gan-data`) | VEEGAN, PacGAN |
//! | Fréchet distance (FID) | [`stats`] | Heusel et al. 2017 |
//! | kernel distance (KID) | [`mod@kid`] | Bińkowski et al. 2018 |
//! | classifier score (IS-style) | [`score`] | Salimans et al. 2016 |
//! | precision, recall, density, coverage | [`mod@prdc`] | Kynkäänniemi et al. 2019, Naeem et al. 2020 |
//! | translation: label preservation, cycle and paired error, SSIM | [`translation`] | Zhu et al. 2017, Hoffman et al. 2018, Wang et al. 2004 |
//!
//! FID, KID and precision/recall need features of images. [`inception`] is the FID
//! Inception-v3 network (pool3, 2048 features), whose FID is comparable with published
//! figures; [`classifier`] provides a small CNN
//! trained on the dataset's own training split ("domain features"): cheap enough for every run
//! and for CI, but its figures compare only runs of this project with each other. Every metric
//! works on feature sets held on the host ([`Features`]) and moves blocks of them to the
//! backend, so 10,000 samples never need a full pairwise matrix.

pub mod classifier;
pub mod error;
pub mod features;
pub mod inception;
pub mod kid;
pub mod parzen;
pub mod prdc;
pub mod score;
pub mod stats;
pub mod translation;

pub use classifier::{
    ClassifierCard, ClassifierTrainingConfig, DomainClassifier, DomainClassifierConfig,
};
pub use error::{EvalError, Result};
pub use features::Features;
pub use gan_data::ModeCoverage;
pub use inception::{FidInception, default_inception_weights};
pub use kid::{Kid, KidConfig, kid};
pub use parzen::{ParzenEstimate, paper_sigmas, parzen_evaluate, parzen_log_likelihood};
pub use prdc::{Prdc, prdc};
pub use score::{ClassifierScore, classifier_score};
pub use stats::{GaussianStats, frechet_distance, frechet_distance_moments};

/// Mean and (population) standard deviation.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

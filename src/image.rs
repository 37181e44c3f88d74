//! Training DCGAN on an image dataset: the command line's default job (the embedded MNIST
//! digits) and every image dataset of `gan-data`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::config::Config;
use burn::tensor::backend::AutodiffBackend;
use gan_data::{ImageDataset, ImageLoader, PixelRange};
use gan_models::{DcganDiscriminatorConfig, DcganGeneratorConfig, Prior};
use gan_train::{
    Metrics, Observer, OptimizerConfig, RunConfig, RunDir, SampleView, TrainConfig, Trainer, fit,
};

use crate::error::{GanError, Result as GanResult};

/// Everything that defines an image run; saved as `config.json` in the run directory.
#[derive(Config, Debug, PartialEq)]
pub struct ImageRunConfig {
    /// The images.
    #[config(default = "ImageDataset::EmbeddedMnist")]
    pub dataset: ImageDataset,
    /// Use at most this many images of the dataset (its first ones).
    #[config(default = "None")]
    pub limit: Option<usize>,
    /// The generator; its `image_size` and `channels` must match the images.
    #[config(default = "ImageRunConfig::default_generator()")]
    pub generator: DcganGeneratorConfig,
    /// The discriminator; its `image_size` and `channels` must match the images.
    #[config(default = "ImageRunConfig::default_discriminator()")]
    pub discriminator: DcganDiscriminatorConfig,
    /// Training hyper-parameters.
    #[config(default = "ImageRunConfig::default_training()")]
    pub training: TrainConfig,
    /// Logging, sample grids and checkpoints.
    #[config(default = "ImageRunConfig::default_run()")]
    pub run: RunConfig,
    /// Seed for the weights, the data order and the noise.
    #[config(default = 0)]
    pub seed: u64,
}

impl ImageRunConfig {
    /// DCGAN's generator for 28x28 grey images with 100-d Gaussian noise and base width 32.
    pub fn default_generator() -> DcganGeneratorConfig {
        DcganGeneratorConfig::new()
            .with_image_size(28)
            .with_channels(1)
            .with_width(32)
    }

    /// DCGAN's discriminator for 28x28 grey images with base width 32.
    pub fn default_discriminator() -> DcganDiscriminatorConfig {
        DcganDiscriminatorConfig::new()
            .with_image_size(28)
            .with_channels(1)
            .with_width(32)
    }

    /// Log every 50 iterations, an 8x8 sample grid every 200, a checkpoint every 500.
    pub fn default_run() -> RunConfig {
        RunConfig::new()
            .with_sample_every(200)
            .with_checkpoint_every(500)
            .with_samples(64)
    }

    /// DCGAN's recipe: Adam at 2e-4 with beta_1 = 0.5, minibatches of 64, the non-saturating
    /// loss; 1200 iterations (about 4 minutes on Flex with 2 cores).
    pub fn default_training() -> TrainConfig {
        TrainConfig::new()
            .with_iterations(1200)
            .with_batch_size(64)
            .with_g_lr(2e-4)
            .with_d_lr(2e-4)
            .with_g_optimizer(OptimizerConfig::adam())
            .with_d_optimizer(OptimizerConfig::adam())
    }

    /// Sets both networks' image size and channels (e.g. 32 and 3 for CIFAR-10).
    pub fn with_image_shape(mut self, size: usize, channels: usize) -> Self {
        self.generator.image_size = size;
        self.generator.channels = channels;
        self.discriminator.image_size = size;
        self.discriminator.channels = channels;
        self
    }
}

/// What a finished image run produced.
#[derive(Debug, Clone)]
pub struct ImageRunReport {
    /// The run directory.
    pub dir: PathBuf,
    /// The metrics of the last logged iteration.
    pub last: Option<Metrics>,
    /// Number of training images.
    pub images: usize,
    /// Files of an image folder that could not be read (each message names its file).
    pub skipped: Vec<String>,
    /// Wall-clock seconds spent training in this process.
    pub seconds: f64,
    /// The iteration training started from (non-zero when resumed).
    pub started_at: usize,
}

/// Trains DCGAN on backend `B`, writing `config.json`, `metrics.jsonl`, sample grids, the loss
/// curve and checkpoints into `dir` (see [`gan_train::run`]). With `resume`, continues from the
/// newest checkpoint in `dir`. `quiet` hides download progress bars.
pub fn run_images<B: AutodiffBackend>(
    config: &ImageRunConfig,
    dir: &Path,
    device: &B::Device,
    resume: bool,
    quiet: bool,
    observers: &mut [&mut dyn Observer],
) -> GanResult<ImageRunReport> {
    config.run.validate()?;
    config.generator.validate()?;
    config.discriminator.validate()?;
    let (mut images, skipped) = config.dataset.load(quiet)?;
    if let Some(limit) = config.limit {
        images = images.truncate(limit);
    }
    let shape = images.shape();
    for (network, size, channels) in [
        (
            "generator",
            config.generator.image_size,
            config.generator.channels,
        ),
        (
            "discriminator",
            config.discriminator.image_size,
            config.discriminator.channels,
        ),
    ] {
        if shape != [channels, size, size] {
            return Err(GanError::ImageShape {
                dataset: images.name().to_string(),
                shape,
                network,
                model: [channels, size, size],
            });
        }
    }
    crate::rundir::save_config(config, dir, resume, |saved| {
        saved.training.iterations = config.training.iterations
    })?;

    B::seed(device, config.seed);
    let generator = config.generator.try_init::<B>(device)?;
    let discriminator = config.discriminator.try_init::<B>(device)?;
    let training = config.training.clone().with_seed(config.seed);
    let mut trainer = Trainer::new(
        training,
        generator,
        discriminator,
        config.generator.prior,
        device.clone(),
    )?;
    let count = images.len();
    let mut data = ImageLoader::new(
        Arc::new(images),
        PixelRange::MinusOneToOne,
        config.seed.wrapping_add(1),
    )?;
    let view = SampleView::Images {
        shape,
        low: -1.0,
        high: 1.0,
    };
    let summary = fit(
        &mut trainer,
        &mut data,
        &RunDir::new(dir),
        &config.run,
        &view,
        resume,
        observers,
    )?;
    Ok(ImageRunReport {
        dir: dir.to_path_buf(),
        last: summary.last,
        images: count,
        skipped: skipped.iter().map(|e| e.to_string()).collect(),
        seconds: summary.seconds,
        started_at: summary.started_at,
    })
}

/// The prior of the default generator, for callers that sample from a trained run.
pub fn default_prior() -> Prior {
    ImageRunConfig::default_generator().prior
}

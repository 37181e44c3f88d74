//! Training a GAN on an image dataset: the command line's default job (a class-conditional
//! DCGAN on the embedded MNIST digits) and every image dataset of `gan-data`, with DCGAN or the
//! 2014 paper's fully connected networks, unconditional or class-conditional.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::preview::SampleView;
use burn::config::Config;
use burn::module::AutodiffModule;
use burn::tensor::backend::{AutodiffBackend, Backend};
use gan_data::{ImageDataset, ImageLoader, ImageSet, PixelRange};
use gan_models::{
    ConditionConfig, DcganDiscriminatorConfig, DcganGeneratorConfig, DiscriminatorConditioning,
    FeatureDiscriminator, Generator, MlpDiscriminatorConfig, MlpGeneratorConfig, OutputActivation,
    Prior,
};
use gan_train::{
    Algorithm, Began, Ebgan, InfoGan, Metrics, Observer, OptimizerConfig, RunConfig, RunDir,
    TrainConfig, Trainer,
};

use crate::RunOptions;
use crate::algorithm::AlgorithmConfig;
use crate::error::{GanError, Result as GanResult};
use crate::parallel::Parallel;

/// DCGAN's generator and discriminator (Radford et al. 2016).
#[derive(Config, Debug, PartialEq)]
pub struct DcganNetworks {
    /// The generator; its `image_size` and `channels` must match the images.
    pub generator: DcganGeneratorConfig,
    /// The discriminator; its `image_size` and `channels` must match the images.
    pub discriminator: DcganDiscriminatorConfig,
}

/// The 2014 paper's fully connected generator and maxout discriminator on flattened images.
#[derive(Config, Debug, PartialEq)]
pub struct MlpNetworks {
    /// The generator; its `output_dim` must be the images' `channels * height * width`.
    pub generator: MlpGeneratorConfig,
    /// The discriminator; its `input_dim` must be the images' `channels * height * width`.
    pub discriminator: MlpDiscriminatorConfig,
}

/// The pair of networks an image run trains.
#[derive(Config, Debug, PartialEq)]
pub enum ImageNetworks {
    /// Convolutional (DCGAN).
    Dcgan(DcganNetworks),
    /// Fully connected (Goodfellow et al. 2014).
    Mlp(MlpNetworks),
}

/// The model families of `gan train --model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// The 2014 paper's MLP GAN (maxout discriminator, sigmoid outputs in `[0, 1]`).
    Mlp,
    /// DCGAN.
    Dcgan,
    /// The MLP GAN conditioned on the class label (Mirza & Osindero 2014).
    CganMlp,
    /// DCGAN conditioned on the class label (projection discriminator).
    CganDcgan,
}

impl ModelKind {
    /// The name used on the command line and in run directories.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Dcgan => "dcgan",
            ModelKind::CganMlp => "cgan-mlp",
            ModelKind::CganDcgan => "cgan-dcgan",
        }
    }

    /// Whether the model is class-conditional.
    pub fn conditional(self) -> bool {
        matches!(self, ModelKind::CganMlp | ModelKind::CganDcgan)
    }
}

/// Work on an image run's concrete networks: see [`ImageNetworks::build`].
pub trait NetworksTask<B: AutodiffBackend> {
    /// What the work returns.
    type Output;
    /// Runs with the built generator and discriminator.
    fn run<G, D>(self, generator: G, discriminator: D) -> GanResult<Self::Output>
    where
        G: Generator<B> + AutodiffModule<B> + 'static,
        D: FeatureDiscriminator<B> + AutodiffModule<B> + 'static,
        G::InnerModule: Generator<B::InnerBackend>,
        D::InnerModule: FeatureDiscriminator<B::InnerBackend>;
}

/// Work on an image run's concrete generator alone, on any backend (sampling): see
/// [`ImageNetworks::build_generator`].
pub trait GeneratorTask<B: Backend> {
    /// What the work returns.
    type Output;
    /// Runs with the built generator and its noise prior.
    fn run<G: Generator<B>>(self, generator: G, prior: Prior) -> GanResult<Self::Output>;
}

impl ImageNetworks {
    /// Checks both networks' configs.
    pub fn validate(&self) -> GanResult<()> {
        match self {
            ImageNetworks::Dcgan(n) => {
                n.generator.validate()?;
                n.discriminator.validate()?;
            }
            ImageNetworks::Mlp(n) => {
                n.generator.validate()?;
                n.discriminator.validate()?;
            }
        }
        Ok(())
    }

    /// Builds both networks on backend `B` (the generator first, then the discriminator, from
    /// the backend's RNG) and hands them to `task`: with [`ImageNetworks::build_generator`],
    /// the one place where a model family becomes concrete types.
    pub fn build<B: AutodiffBackend, T: NetworksTask<B>>(
        &self,
        device: &B::Device,
        task: T,
    ) -> GanResult<T::Output> {
        match self {
            ImageNetworks::Dcgan(n) => {
                let generator = n.generator.try_init::<B>(device)?;
                task.run(generator, n.discriminator.try_init::<B>(device)?)
            }
            ImageNetworks::Mlp(n) => {
                let generator = n.generator.try_init::<B>(device)?;
                task.run(generator, n.discriminator.try_init::<B>(device)?)
            }
        }
    }

    /// Builds the generator alone on backend `B` (autodiff or not) and hands it to `task`.
    pub fn build_generator<B: Backend, T: GeneratorTask<B>>(
        &self,
        device: &B::Device,
        task: T,
    ) -> GanResult<T::Output> {
        match self {
            ImageNetworks::Dcgan(n) => task.run(n.generator.try_init::<B>(device)?, self.prior()),
            ImageNetworks::Mlp(n) => task.run(n.generator.try_init::<B>(device)?, self.prior()),
        }
    }

    /// `[channels, height, width]` of the generator's images: a DCGAN's own, or a flat
    /// generator's outputs as square images with `dataset`'s channels (3 for CIFAR-10 and
    /// colour folders, else 1).
    pub fn image_shape(&self, dataset: &ImageDataset) -> GanResult<[usize; 3]> {
        match self {
            ImageNetworks::Dcgan(n) => Ok([
                n.generator.channels,
                n.generator.image_size,
                n.generator.image_size,
            ]),
            ImageNetworks::Mlp(n) => {
                let channels = match dataset {
                    ImageDataset::Cifar10(_) => 3,
                    ImageDataset::Folder(f) => f.channels,
                    _ => 1,
                };
                let features = n.generator.output_dim;
                let side = ((features / channels) as f64).sqrt().round() as usize;
                if channels * side * side != features {
                    return Err(GanError::Invalid {
                        field: "generator.output_dim",
                        value: features.to_string(),
                        expected: format!("channels ({channels}) x a square side"),
                    });
                }
                Ok([channels, side, side])
            }
        }
    }

    /// The networks for images of `[channels, size, size]`: the family's defaults, conditioned
    /// on `classes` labels when the kind is conditional.
    pub fn for_images(kind: ModelKind, size: usize, channels: usize, classes: usize) -> Self {
        let condition = kind.conditional().then(|| ConditionConfig::new(classes));
        let width = dcgan_width(size);
        let conditioning = if kind.conditional() {
            DiscriminatorConditioning::Projection
        } else {
            DiscriminatorConditioning::Input
        };
        match kind {
            ModelKind::Dcgan | ModelKind::CganDcgan => ImageNetworks::Dcgan(DcganNetworks {
                generator: DcganGeneratorConfig::new()
                    .with_image_size(size)
                    .with_channels(channels)
                    .with_width(width)
                    .with_condition(condition.clone()),
                discriminator: DcganDiscriminatorConfig::new()
                    .with_image_size(size)
                    .with_channels(channels)
                    .with_width(width)
                    .with_condition(condition)
                    .with_conditioning(conditioning),
            }),
            ModelKind::Mlp | ModelKind::CganMlp => {
                let features = channels * size * size;
                ImageNetworks::Mlp(MlpNetworks {
                    generator: MlpGeneratorConfig::new()
                        .with_output_dim(features)
                        .with_condition(condition.clone()),
                    discriminator: MlpDiscriminatorConfig::new()
                        .with_input_dim(features)
                        .with_condition(condition),
                })
            }
        }
    }

    /// The family and conditioning of these networks.
    pub fn kind(&self) -> ModelKind {
        match self {
            ImageNetworks::Dcgan(n) if n.generator.condition.is_some() => ModelKind::CganDcgan,
            ImageNetworks::Dcgan(_) => ModelKind::Dcgan,
            ImageNetworks::Mlp(n) if n.generator.condition.is_some() => ModelKind::CganMlp,
            ImageNetworks::Mlp(_) => ModelKind::Mlp,
        }
    }

    /// The generator's latent input dimension.
    pub fn latent_dim(&self) -> usize {
        match self {
            ImageNetworks::Dcgan(n) => n.generator.latent_dim,
            ImageNetworks::Mlp(n) => n.generator.latent_dim,
        }
    }

    /// Sets the generator's latent input dimension.
    pub fn set_latent_dim(&mut self, dim: usize) {
        match self {
            ImageNetworks::Dcgan(n) => n.generator.latent_dim = dim,
            ImageNetworks::Mlp(n) => n.generator.latent_dim = dim,
        }
    }

    /// The generator's noise prior.
    pub fn prior(&self) -> Prior {
        match self {
            ImageNetworks::Dcgan(n) => n.generator.prior,
            ImageNetworks::Mlp(n) => n.generator.prior,
        }
    }

    /// The range of the generator's outputs, which the images are scaled to.
    pub fn pixel_range(&self) -> PixelRange {
        match self {
            ImageNetworks::Dcgan(_) => PixelRange::MinusOneToOne,
            ImageNetworks::Mlp(n) => match n.generator.output_activation {
                OutputActivation::Sigmoid => PixelRange::ZeroToOne,
                _ => PixelRange::MinusOneToOne,
            },
        }
    }

    /// The number of classes the generator is conditioned on.
    pub fn num_classes(&self) -> Option<usize> {
        let condition = match self {
            ImageNetworks::Dcgan(n) => &n.generator.condition,
            ImageNetworks::Mlp(n) => &n.generator.condition,
        };
        condition.as_ref().map(|c| c.num_classes)
    }

    /// Checks that the networks are built for images of `shape` (`[channels, height, width]`).
    fn check_shape(&self, dataset: &str, shape: [usize; 3]) -> GanResult<()> {
        let features = shape.iter().product::<usize>();
        let mismatch = |network: &'static str, model: Vec<usize>| GanError::ImageShape {
            dataset: dataset.to_string(),
            shape,
            network,
            model,
        };
        match self {
            ImageNetworks::Dcgan(n) => {
                let g = [
                    n.generator.channels,
                    n.generator.image_size,
                    n.generator.image_size,
                ];
                let d = [
                    n.discriminator.channels,
                    n.discriminator.image_size,
                    n.discriminator.image_size,
                ];
                if g != shape {
                    return Err(mismatch("generator", g.to_vec()));
                }
                if d != shape {
                    return Err(mismatch("discriminator", d.to_vec()));
                }
            }
            ImageNetworks::Mlp(n) => {
                if n.generator.output_dim != features {
                    return Err(mismatch("generator", vec![n.generator.output_dim]));
                }
                if n.discriminator.input_dim != features {
                    return Err(mismatch("discriminator", vec![n.discriminator.input_dim]));
                }
            }
        }
        Ok(())
    }

    /// Checks that a conditional model's class count is the dataset's.
    fn check_classes(&self, images: &ImageSet) -> GanResult<()> {
        if let Some(classes) = self.num_classes() {
            let found = images.num_classes();
            if found != Some(classes) {
                return Err(GanError::Classes {
                    dataset: images.name().to_string(),
                    found,
                    model: classes,
                });
            }
        }
        Ok(())
    }
}

/// Base width (channels of the discriminator's first layer) of the default DCGAN networks for
/// images of side `size`: 32 for 28x28 digits, which trains about four times faster than 64 on
/// a CPU and is enough for MNIST, and DCGAN's 64 for 32x32 and 64x64 images.
pub fn dcgan_width(size: usize) -> usize {
    if size <= 28 { 32 } else { 64 }
}

/// Everything that defines an image run; saved as `config.json` in the run directory.
#[derive(Config, Debug, PartialEq)]
pub struct ImageRunConfig {
    /// The images.
    #[config(default = "ImageDataset::EmbeddedMnist")]
    pub dataset: ImageDataset,
    /// Use at most this many images of the dataset (its first ones).
    #[config(default = "None")]
    pub limit: Option<usize>,
    /// Train for this many epochs instead of `training.iterations`: the iteration count becomes
    /// `ceil(epochs * images / (k * batch_size))`, so that the discriminator sees every image
    /// `epochs` times.
    #[config(default = "None")]
    pub epochs: Option<usize>,
    /// The generator and discriminator.
    #[config(default = "ImageRunConfig::default_networks()")]
    pub networks: ImageNetworks,
    /// Training hyper-parameters (the shared ones for the algorithms other than the classic).
    #[config(default = "ImageRunConfig::default_training()")]
    pub training: TrainConfig,
    /// The GAN algorithm and its own settings.
    #[config(default = "AlgorithmConfig::Classic")]
    pub algorithm: AlgorithmConfig,
    /// Logging, sample grids and checkpoints.
    #[config(default = "ImageRunConfig::default_run()")]
    pub run: RunConfig,
    /// Seed for the weights, the data order and the noise.
    #[config(default = 0)]
    pub seed: u64,
}

impl ImageRunConfig {
    /// The default job's networks: a class-conditional DCGAN of width 32 for 28x28 grey digits
    /// (10 classes, one-hot labels joined to `z`, a projection discriminator), 100-d Gaussian
    /// noise.
    pub fn default_networks() -> ImageNetworks {
        ImageNetworks::for_images(ModelKind::CganDcgan, 28, 1, 10)
    }

    /// Log every 50 iterations, an 10x10 sample grid (one row per class for conditional
    /// models) every 200, a checkpoint every 500.
    pub fn default_run() -> RunConfig {
        RunConfig::new()
            .with_sample_every(200)
            .with_checkpoint_every(500)
            .with_samples(100)
    }

    /// The default job's training: the non-saturating loss, Adam with beta_1 = 0.5 at 5e-4
    /// for both networks, minibatches of 32, a moving average of the generator (decay 0.99,
    /// short enough to forget the initial weights within the run) for sampling, 1000
    /// iterations (measured on the embedded digits: 90% of samples classified with confidence
    /// >= 0.9, against 80% for 600 iterations of minibatches of 64, which cost the same).
    pub fn default_training() -> TrainConfig {
        TrainConfig::new()
            .with_iterations(1000)
            .with_batch_size(32)
            .with_g_lr(5e-4)
            .with_d_lr(5e-4)
            .with_g_optimizer(OptimizerConfig::adam())
            .with_d_optimizer(OptimizerConfig::adam())
            .with_ema_decay(Some(0.99))
    }

    /// This config with `training.iterations` set from `epochs` (when set) for a dataset of
    /// `images` images: `ceil(epochs * images / (k * batch_size))`.
    pub fn with_epochs_applied(&self, images: usize) -> Self {
        let mut c = self.clone();
        if let Some(epochs) = c.epochs {
            let per_iteration = c.training.k.max(1) * c.training.batch_size.max(1);
            // Saturating: an absurd epoch count is then refused by the iteration bound.
            c.training.iterations = epochs.saturating_mul(images).div_ceil(per_iteration);
        }
        c
    }

    /// The number of images a run of this config trains on: the dataset's, or `limit`.
    /// Loads the dataset (quietly; a dataset set to download is downloaded when missing).
    pub fn count_images(&self) -> GanResult<usize> {
        let (images, _) = self.dataset.load(true)?;
        Ok(self.limit.map_or(images.len(), |l| l.min(images.len())))
    }

    /// Checks the algorithm's settings against the networks and the images of `shape`: the
    /// algorithms other than the classic one train unconditional networks, InfoGAN's generator
    /// takes the codes after the noise, and an autoencoder is built for the images.
    pub fn check_algorithm(&self, dataset: &str, shape: [usize; 3]) -> GanResult<()> {
        let algorithm = &self.algorithm;
        if matches!(algorithm, AlgorithmConfig::Classic) {
            return Ok(());
        }
        let name = algorithm.name();
        gan_train::check_shared(&self.training, name, name == gan_train::INFOGAN)?;
        if self.networks.num_classes().is_some() {
            return Err(GanError::Invalid {
                field: "algorithm",
                value: algorithm.name().into(),
                expected: format!(
                    "unconditional networks for {} (--model dcgan or mlp): it does not use class labels",
                    algorithm.name()
                ),
            });
        }
        if let Some(info) = algorithm.info() {
            info.validate()?;
            let latent = self.networks.latent_dim();
            if latent <= info.code_dim() {
                return Err(GanError::Invalid {
                    field: "networks.generator.latent_dim",
                    value: latent.to_string(),
                    expected: format!(
                        "the noise's dimension plus InfoGAN's {} code inputs (more than {})",
                        info.code_dim(),
                        info.code_dim()
                    ),
                });
            }
        }
        if let Some(autoencoder) = algorithm.autoencoder() {
            autoencoder.validate()?;
            let model = [
                autoencoder.channels,
                autoencoder.image_size,
                autoencoder.image_size,
            ];
            if model != shape {
                return Err(GanError::ImageShape {
                    dataset: dataset.to_string(),
                    shape,
                    network: "autoencoder",
                    model: model.to_vec(),
                });
            }
        }
        Ok(())
    }

    /// Replaces the networks by `kind`'s defaults for images of `[channels, size, size]` with
    /// `classes` labels (ignored for unconditional kinds).
    pub fn with_model(self, kind: ModelKind, size: usize, channels: usize, classes: usize) -> Self {
        self.with_networks(ImageNetworks::for_images(kind, size, channels, classes))
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

/// Trains the configured networks on backend `B`, writing `config.json`, `metrics.jsonl`,
/// sample grids, the loss curve and checkpoints into `dir` (see [`gan_train::run`]), starting
/// or resuming and observed as `options` say (see [`RunOptions`]).
pub fn run_images<B: AutodiffBackend>(
    config: &ImageRunConfig,
    dir: &Path,
    device: &B::Device,
    options: RunOptions<'_>,
) -> GanResult<ImageRunReport> {
    let RunOptions {
        resume,
        quiet,
        mut observers,
        parallel,
    } = options;
    config.run.validate()?;
    config.networks.validate()?;
    let (mut images, skipped) = config.dataset.load(quiet)?;
    if let Some(limit) = config.limit {
        images = images.truncate(limit);
    }
    let shape = images.shape();
    config.networks.check_shape(images.name(), shape)?;
    config.networks.check_classes(&images)?;
    config.check_algorithm(images.name(), shape)?;
    let resolved = config.with_epochs_applied(images.len());
    let config = &resolved;
    // Checked before the run directory is touched: a refused run writes nothing.
    config.training.validate()?;
    parallel.validate(config.training.batch_size)?;
    crate::rundir::save_config(config, "image", dir, resume, |saved| {
        saved.training.iterations = config.training.iterations;
        saved.epochs = config.epochs;
    })?;

    B::seed(device, config.seed);
    let job = ImageJob {
        config,
        images,
        dir,
        resume,
        observers: &mut observers,
        device,
        parallel: &parallel,
    };
    let (summary, count) = config.networks.build::<B, _>(device, job)?;
    Ok(ImageRunReport {
        dir: dir.to_path_buf(),
        last: summary.last,
        images: count,
        skipped: skipped.iter().map(|e| e.to_string()).collect(),
        seconds: summary.seconds,
        started_at: summary.started_at,
    })
}

/// Replica `i` of a module for the peers of a data-parallel run: the module itself for the
/// first, a fork (same weights and parameter ids, a graph of its own) for the others.
pub(crate) fn replica<B: AutodiffBackend, M: AutodiffModule<B>>(
    i: usize,
    module: &M,
    device: &B::Device,
) -> M {
    match i {
        0 => module.clone(),
        _ => module.clone().fork(device),
    }
}

/// One image run, generic over the networks.
struct ImageJob<'a, 'o, B: AutodiffBackend> {
    config: &'a ImageRunConfig,
    images: ImageSet,
    dir: &'a Path,
    resume: bool,
    observers: &'a mut [&'o mut dyn Observer],
    device: &'a B::Device,
    parallel: &'a Parallel,
}

impl<B: AutodiffBackend> NetworksTask<B> for ImageJob<'_, '_, B> {
    type Output = (gan_train::RunSummary, usize);

    fn run<G, D>(self, generator: G, discriminator: D) -> GanResult<Self::Output>
    where
        G: Generator<B> + AutodiffModule<B> + 'static,
        D: FeatureDiscriminator<B> + AutodiffModule<B> + 'static,
        G::InnerModule: Generator<B::InnerBackend>,
        D::InnerModule: FeatureDiscriminator<B::InnerBackend>,
    {
        let device = self.device.clone();
        let config = self.config;
        let training = config.training.clone().with_seed(config.seed);
        let prior = config.networks.prior();
        // Replicas of a data-parallel run share the initial weights and parameter ids: each is
        // a fork of the same modules.
        let replicas = self.parallel.devices;
        let players = |i: usize| {
            (
                replica(i, &generator, &device),
                replica(i, &discriminator, &device),
            )
        };
        match &config.algorithm {
            AlgorithmConfig::Classic => {
                let all = (0..replicas)
                    .map(|i| {
                        let (g, d) = players(i);
                        Trainer::new(training.clone(), g, d, prior, device.clone())
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.fit(all)
            }
            AlgorithmConfig::InfoGan(run) => {
                let q = run
                    .q_head(discriminator.feature_dim())
                    .try_init::<B>(&device)?;
                let all = (0..replicas)
                    .map(|i| {
                        let (g, d) = players(i);
                        let q = replica(i, &q, &device);
                        InfoGan::new(
                            training.clone(),
                            run.info.clone(),
                            g,
                            d,
                            q,
                            prior,
                            device.clone(),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.fit(all)
            }
            AlgorithmConfig::Ebgan(run) => {
                let autoencoder = run.autoencoder.try_init::<B>(&device)?;
                let all = (0..replicas)
                    .map(|i| {
                        let (g, _) = players(i);
                        let a = replica(i, &autoencoder, &device);
                        Ebgan::new(
                            training.clone(),
                            run.ebgan.clone(),
                            g,
                            a,
                            prior,
                            device.clone(),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.fit(all)
            }
            AlgorithmConfig::Began(run) => {
                let autoencoder = run.autoencoder.try_init::<B>(&device)?;
                let all = (0..replicas)
                    .map(|i| {
                        let (g, _) = players(i);
                        let a = replica(i, &autoencoder, &device);
                        Began::new(
                            training.clone(),
                            run.began.clone(),
                            g,
                            a,
                            prior,
                            device.clone(),
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.fit(all)
            }
        }
    }
}

impl<B: AutodiffBackend> ImageJob<'_, '_, B> {
    /// Trains `replicas` (one, or one per peer of a data-parallel run) on the run's images
    /// into its directory.
    fn fit<A: Algorithm<B> + Send + 'static>(
        self,
        replicas: Vec<A>,
    ) -> GanResult<(gan_train::RunSummary, usize)> {
        let config = self.config;
        let shape = self.images.shape();
        let count = self.images.len();
        let range = config.networks.pixel_range();
        let data = ImageLoader::new(Arc::new(self.images), range, config.seed.wrapping_add(1))?;
        let (low, high) = match range {
            PixelRange::MinusOneToOne => (-1.0, 1.0),
            PixelRange::ZeroToOne => (0.0, 1.0),
        };
        let view = SampleView::Images { shape, low, high };
        let dir = RunDir::new(self.dir);
        let (summary, _) = crate::parallel::train_any(
            replicas,
            data,
            &dir,
            &config.run,
            &view,
            self.resume,
            self.observers,
            self.parallel,
            self.device,
        )?;
        Ok((summary, count))
    }
}

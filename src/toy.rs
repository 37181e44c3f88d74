//! Training a fully connected GAN on a 2-D toy distribution: the quickest complete run, used by
//! the command line's default job and by the cross-backend tests.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::config::Config;
use burn::tensor::backend::AutodiffBackend;
use gan_data::{Toy2d, ToySampler};
use gan_models::{MlpDiscriminatorConfig, MlpGeneratorConfig, OutputActivation, Prior};
use gan_train::{OptimizerConfig, TrainConfig, Trainer};
use gan_viz::{Rgb, ScatterPlot};

use crate::error::{GanError, Result as GanResult};

/// Everything that defines a toy run; saved as `config.json` in the run directory.
#[derive(Config, Debug)]
pub struct ToyRunConfig {
    /// The data distribution.
    #[config(default = "Toy2d::ring8()")]
    pub dataset: Toy2d,
    /// The generator.
    #[config(default = "ToyRunConfig::default_generator()")]
    pub generator: MlpGeneratorConfig,
    /// The discriminator.
    #[config(default = "ToyRunConfig::default_discriminator()")]
    pub discriminator: MlpDiscriminatorConfig,
    /// Training hyper-parameters.
    #[config(default = "ToyRunConfig::default_training()")]
    pub training: TrainConfig,
    /// Number of iterations of Algorithm 1.
    #[config(default = 2000)]
    pub steps: usize,
    /// Read losses back to the host every this many iterations (for the progress bar).
    #[config(default = 50)]
    pub log_every: usize,
    /// Number of generated points drawn in the final scatter plot.
    #[config(default = 2000)]
    pub plot_samples: usize,
    /// Seed for the weights, the data and the noise.
    #[config(default = 0)]
    pub seed: u64,
}

impl ToyRunConfig {
    /// A small generator for 2-D data: 16-d Gaussian noise, two hidden layers of 128 ReLU units.
    pub fn default_generator() -> MlpGeneratorConfig {
        MlpGeneratorConfig::new()
            .with_latent_dim(16)
            .with_hidden(vec![128, 128])
            .with_output_dim(2)
            .with_output_activation(OutputActivation::Identity)
            .with_prior(Prior::Normal)
    }

    /// A small discriminator for 2-D data: two hidden layers of 128 LeakyReLU units.
    pub fn default_discriminator() -> MlpDiscriminatorConfig {
        MlpDiscriminatorConfig::new()
            .with_input_dim(2)
            .with_hidden(vec![128, 128])
            .with_pieces(1)
            .with_input_dropout(0.0)
            .with_hidden_dropout(0.0)
    }

    /// Adam at 1e-3 with beta_1 = 0.5, minibatches of 256, the non-saturating loss.
    pub fn default_training() -> TrainConfig {
        TrainConfig::new()
            .with_batch_size(256)
            .with_g_lr(1e-3)
            .with_d_lr(1e-3)
            .with_g_optimizer(OptimizerConfig::adam())
            .with_d_optimizer(OptimizerConfig::adam())
    }
}

/// What a finished toy run produced.
#[derive(Debug, Clone)]
pub struct ToyRunReport {
    /// The run directory.
    pub dir: PathBuf,
    /// `[d_loss, g_loss, D(x), D(G(z))]` at the last iteration.
    pub final_losses: [f32; 4],
    /// Generated points (flat `[x0, y0, ...]`) drawn for the plot.
    pub samples: Vec<f32>,
    /// Wall-clock seconds spent training.
    pub seconds: f64,
}

/// Observes a toy run's progress.
pub trait Progress {
    /// Called after each logged iteration with `[d_loss, g_loss, D(x), D(G(z))]`.
    fn update(&mut self, iteration: usize, losses: [f32; 4]);
    /// Called once when training ends.
    fn finish(&mut self) {}
}

/// A [`Progress`] that reports nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn update(&mut self, _: usize, _: [f32; 4]) {}
}

/// Trains on backend `B` and writes `config.json` and `samples.png` into `dir`.
pub fn run_toy<B: AutodiffBackend>(
    config: &ToyRunConfig,
    dir: &Path,
    device: &B::Device,
    progress: &mut dyn Progress,
) -> GanResult<ToyRunReport> {
    config.dataset.validate()?;
    std::fs::create_dir_all(dir).map_err(|source| GanError::Io {
        action: "cannot create run directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let config_path = dir.join("config.json");
    config.save(&config_path).map_err(|source| GanError::Io {
        action: "cannot write",
        path: config_path.clone(),
        source,
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
    let mut data = ToySampler::new(config.dataset.clone(), config.seed.wrapping_add(1))?;

    let start = Instant::now();
    let mut last = [f32::NAN; 4];
    for iteration in 1..=config.steps {
        let losses = trainer.step(&mut data)?;
        if iteration % config.log_every.max(1) == 0 || iteration == config.steps {
            last = losses.to_host();
            for (name, value) in [("discriminator", last[0]), ("generator", last[1])] {
                if !value.is_finite() {
                    return Err(gan_train::TrainError::Diverged {
                        step: iteration,
                        loss: name,
                        value,
                    }
                    .into());
                }
            }
            progress.update(iteration, last);
        }
    }
    progress.finish();
    let seconds = start.elapsed().as_secs_f64();

    let samples = trainer
        .sample(config.plot_samples)
        .into_data()
        .iter::<f32>()
        .collect::<Vec<_>>();
    let real = config.dataset.sample_points(
        config.plot_samples,
        &mut gan_models::rng_from_seed(config.seed.wrapping_add(2)),
    );
    ScatterPlot::new(512, config.dataset.extent())
        .with_series(real, Rgb(120, 120, 120), 1.5, 0.5)
        .with_series(samples.clone(), Rgb(214, 39, 40), 1.5, 0.6)
        .save_png(dir.join("samples.png"))?;

    Ok(ToyRunReport {
        dir: dir.to_path_buf(),
        final_losses: last,
        samples,
        seconds,
    })
}

//! A training run on disk: the loop around [`Trainer`] that logs, draws, checkpoints, resumes
//! and stops cleanly on divergence.
//!
//! A run directory holds
//!
//! - `metrics.jsonl`: one JSON object per logged iteration ([`Metrics`]);
//! - `samples/step-NNNNNNNN.png`: samples from a fixed batch of noise every `sample_every`
//!   iterations (an image grid, or a scatter plot over the data for 2-D samples), and
//!   `samples.png` at the end;
//! - `loss_curve.png`: the losses against the iteration, drawn at the end;
//! - `checkpoints/`: see [`crate::checkpoint`].
//!
//! The caller writes its own `config.json` next to these (it knows the full config: models,
//! data and training).

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::config::Config;
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor};
use gan_data::BatchSource;
use gan_models::{Discriminator, Generator};
use gan_viz::{ImageGrid, LinePlot, Rgb, ScatterPlot};
use serde::{Deserialize, Serialize};

use crate::checkpoint::{latest_checkpoint, prune_checkpoints, write_atomic};
use crate::error::{Result as TrainResult, TrainError};
use crate::trainer::Trainer;

/// How often a run logs, draws and checkpoints.
#[derive(Config, Debug, PartialEq)]
pub struct RunConfig {
    /// Read losses back and write a metrics line every this many iterations.
    #[config(default = 50)]
    pub log_every: usize,
    /// Draw samples from the fixed noise every this many iterations (0: only at the end).
    #[config(default = 500)]
    pub sample_every: usize,
    /// Write a checkpoint every this many iterations (0: only at the end).
    #[config(default = 1000)]
    pub checkpoint_every: usize,
    /// Number of checkpoints kept on disk (the newest ones).
    #[config(default = 2)]
    pub keep_checkpoints: usize,
    /// Number of samples in each sample picture.
    #[config(default = 64)]
    pub samples: usize,
    /// Seed of the fixed noise batch the sample pictures are drawn from.
    #[config(default = 1234)]
    pub sample_seed: u64,
}

impl RunConfig {
    /// Checks the config.
    pub fn validate(&self) -> TrainResult<()> {
        for (field, value) in [
            ("log_every", self.log_every),
            ("keep_checkpoints", self.keep_checkpoints),
            ("samples", self.samples),
        ] {
            if value == 0 {
                return Err(TrainError::InvalidParameter {
                    field,
                    value: "0".into(),
                    expected: "at least 1",
                });
            }
        }
        Ok(())
    }
}

/// How sample pictures are drawn.
#[derive(Debug, Clone)]
pub enum SampleView {
    /// A scatter plot of 2-D samples over reference points from the data.
    Scatter {
        /// Data range shown on both axes.
        range: (f64, f64),
        /// Real points drawn underneath, flat `[x0, y0, x1, y1, ...]`.
        reference: Vec<f32>,
    },
    /// An image grid; generator outputs in `[low, high]` are mapped to black..white.
    Images {
        /// Shape of one image, `[channels, height, width]`.
        shape: [usize; 3],
        /// Output value drawn black.
        low: f32,
        /// Output value drawn white.
        high: f32,
    },
    /// No pictures.
    None,
}

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Iterations completed.
    pub step: usize,
    /// Discriminator objective (with penalty and auxiliary loss).
    pub d_loss: f32,
    /// Generator objective.
    pub g_loss: f32,
    /// Mean `D(x)` on real data.
    pub d_real: f32,
    /// Mean `D(G(z))`.
    pub d_fake: f32,
    /// Gradient penalty value, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<f32>,
    /// Auxiliary classification loss, for ACGAN discriminators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux: Option<f32>,
    /// L2 norm of the generator's parameter gradient.
    pub g_grad_norm: f32,
    /// L2 norm of the discriminator's parameter gradient (last discriminator step).
    pub d_grad_norm: f32,
    /// Seconds since this process started training.
    pub wall_seconds: f64,
    /// Iterations per second over the last logging window.
    pub iterations_per_second: f64,
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run directory.
    pub dir: PathBuf,
    /// The iteration the run started from (0, or the resumed checkpoint's).
    pub started_at: usize,
    /// The last metrics written.
    pub last: Option<Metrics>,
    /// Seconds spent in this process's training loop.
    pub seconds: f64,
    /// The final checkpoint.
    pub checkpoint: PathBuf,
}

/// Observes a run without changing it: progress bars, custom logging, early inspection.
/// Every method has an empty default.
pub trait Observer {
    /// Training starts at iteration `first` of `total`.
    fn on_start(&mut self, first: usize, total: usize) {
        let _ = (first, total);
    }
    /// After every iteration (cheap: nothing has been read back to the host).
    fn on_iteration(&mut self, iteration: usize) {
        let _ = iteration;
    }
    /// A metrics line was written.
    fn on_metrics(&mut self, metrics: &Metrics) {
        let _ = metrics;
    }
    /// A sample picture was written.
    fn on_samples(&mut self, iteration: usize, path: &Path) {
        let _ = (iteration, path);
    }
    /// A checkpoint was written.
    fn on_checkpoint(&mut self, iteration: usize, path: &Path) {
        let _ = (iteration, path);
    }
    /// The run ended (also after an error).
    fn on_finish(&mut self) {}
}

/// Paths inside a run directory.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// The run directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `metrics.jsonl`.
    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.jsonl")
    }
    /// `checkpoints/`.
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }
    /// `samples/`.
    pub fn samples(&self) -> PathBuf {
        self.root.join("samples")
    }
    /// `loss_curve.png`.
    pub fn loss_curve(&self) -> PathBuf {
        self.root.join("loss_curve.png")
    }
    /// The newest complete checkpoint, if any.
    pub fn latest_checkpoint(&self) -> Option<PathBuf> {
        latest_checkpoint(&self.checkpoints())
    }

    /// Reads `metrics.jsonl`; a line that does not parse is an error naming the line.
    pub fn read_metrics(&self) -> TrainResult<Vec<Metrics>> {
        let path = self.metrics();
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(TrainError::Io {
                    action: "cannot read",
                    path,
                    source,
                });
            }
        };
        let mut out = Vec::new();
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|source| TrainError::Io {
                action: "cannot read",
                path: path.clone(),
                source,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let metrics = serde_json::from_str(&line).map_err(|e| {
                TrainError::from(crate::CheckpointError::Corrupt {
                    path: path.clone(),
                    reason: format!("line {}: {e}", i + 1),
                })
            })?;
            out.push(metrics);
        }
        Ok(out)
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> TrainError {
    let path = path.to_path_buf();
    move |source| TrainError::Io {
        action,
        path,
        source,
    }
}

/// Draws a sample picture from the trainer's inference generator.
pub fn draw_samples<B, G, D>(
    trainer: &Trainer<B, G, D>,
    z: Tensor<B::InnerBackend, 2>,
    labels: Option<Tensor<B::InnerBackend, 1, Int>>,
    view: &SampleView,
    path: &Path,
) -> TrainResult<()>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: Discriminator<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
{
    if matches!(view, SampleView::None) {
        return Ok(());
    }
    let samples = trainer.generate(z, labels);
    let n = samples.dims()[0];
    let values = samples.into_data().iter::<f32>().collect::<Vec<_>>();
    match view {
        SampleView::Scatter { range, reference } => ScatterPlot::new(512, *range)
            .with_series(reference.clone(), Rgb(120, 120, 120), 1.5, 0.5)
            .with_series(values, Rgb(214, 39, 40), 2.0, 0.7)
            .save_png(path)?,
        SampleView::Images { shape, low, high } => {
            let span = (high - low).max(f32::EPSILON);
            let scaled: Vec<f32> = values.iter().map(|v| (v - low) / span).collect();
            let columns = (n as f64).sqrt().ceil() as usize;
            ImageGrid {
                columns,
                padding: 2,
                scale: if shape[1] <= 32 { 2 } else { 1 },
            }
            .save_png(&scaled, [n, shape[0], shape[1], shape[2]], path)?
        }
        SampleView::None => {}
    }
    Ok(())
}

/// Draws `loss_curve.png` from the metrics.
pub fn draw_loss_curve(metrics: &[Metrics], path: &Path) -> TrainResult<()> {
    if metrics.is_empty() {
        return Ok(());
    }
    let series = |f: fn(&Metrics) -> Option<f32>| -> Vec<(f64, f64)> {
        metrics
            .iter()
            .filter_map(|m| f(m).map(|v| (m.step as f64, v as f64)))
            .collect()
    };
    let mut plot = LinePlot::new(900, 420, "LOSSES")
        .with_curve("D LOSS", series(|m| Some(m.d_loss)))
        .with_curve("G LOSS", series(|m| Some(m.g_loss)));
    let penalty = series(|m| m.penalty);
    if !penalty.is_empty() {
        plot = plot.with_curve("PENALTY", penalty);
    }
    let aux = series(|m| m.aux);
    if !aux.is_empty() {
        plot = plot.with_curve("AUX", aux);
    }
    plot.save_png(path)?;
    Ok(())
}

/// Trains until `trainer.config().iterations`, writing the run directory `dir`.
///
/// When the run directory already holds a checkpoint, pass `resume = true` to continue from
/// it (the trainer and `data` must be built from the same config; see
/// [`Trainer::load_checkpoint`]); metrics logged after that checkpoint are discarded, since
/// those iterations run again. With `resume = false` an existing checkpoint is an error, so
/// that a run is never overwritten by accident.
///
/// Losses are read back to the host only every `log_every` iterations (and before each
/// checkpoint); all losses of the window are checked then, and a non-finite one stops the run
/// with [`TrainError::Diverged`] naming the exact iteration. The last checkpoint written is
/// always from before the divergence.
pub fn fit<B, G, D, S>(
    trainer: &mut Trainer<B, G, D>,
    data: &mut S,
    dir: &RunDir,
    run: &RunConfig,
    view: &SampleView,
    resume: bool,
    observers: &mut [&mut dyn Observer],
) -> TrainResult<RunSummary>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: Discriminator<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
    S: BatchSource<B> + ?Sized,
{
    let result = fit_inner(trainer, data, dir, run, view, resume, observers);
    for o in observers.iter_mut() {
        o.on_finish();
    }
    result
}

fn fit_inner<B, G, D, S>(
    trainer: &mut Trainer<B, G, D>,
    data: &mut S,
    dir: &RunDir,
    run: &RunConfig,
    view: &SampleView,
    resume: bool,
    observers: &mut [&mut dyn Observer],
) -> TrainResult<RunSummary>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: Discriminator<B> + AutodiffModule<B>,
    G::InnerModule: Generator<B::InnerBackend>,
    S: BatchSource<B> + ?Sized,
{
    run.validate()?;
    for path in [dir.root().to_path_buf(), dir.samples(), dir.checkpoints()] {
        fs::create_dir_all(&path).map_err(io("cannot create", &path))?;
    }
    match (dir.latest_checkpoint(), resume) {
        (Some(checkpoint), true) => {
            trainer.load_checkpoint(data, &checkpoint)?;
            // Drop metrics of iterations after the checkpoint: they are about to run again.
            let kept: Vec<Metrics> = dir
                .read_metrics()?
                .into_iter()
                .filter(|m| m.step <= trainer.iteration())
                .collect();
            let mut text = String::new();
            for m in &kept {
                text.push_str(&serde_json::to_string(m).expect("metrics serialise"));
                text.push('\n');
            }
            write_atomic(&dir.metrics(), text.as_bytes())?;
        }
        (Some(checkpoint), false) => {
            return Err(TrainError::RunExists { checkpoint });
        }
        (None, _) => {
            let path = dir.metrics();
            File::create(&path).map_err(io("cannot create", &path))?;
        }
    }
    let metrics_path = dir.metrics();
    let mut metrics_file = OpenOptions::new()
        .append(true)
        .open(&metrics_path)
        .map_err(io("cannot open", &metrics_path))?;

    let total = trainer.config().iterations;
    let started_at = trainer.iteration();
    for o in observers.iter_mut() {
        o.on_start(started_at, total);
    }

    let device = trainer.device().clone();
    let latent = trainer.generator().latent_dim();
    let fixed_z =
        trainer
            .prior()
            .fixed::<B::InnerBackend>(run.samples, latent, run.sample_seed, &device);
    let fixed_labels = trainer.generator().num_classes().map(|classes| {
        let labels: Vec<i64> = (0..run.samples).map(|i| (i % classes) as i64).collect();
        Tensor::<B::InnerBackend, 1, Int>::from_ints(labels.as_slice(), &device)
    });
    let picture = |trainer: &Trainer<B, G, D>, path: &Path| {
        draw_samples(trainer, fixed_z.clone(), fixed_labels.clone(), view, path)
    };

    let start = Instant::now();
    let mut window_start = (start, started_at);
    let mut window: Vec<Tensor<B::InnerBackend, 1>> = Vec::new();
    let mut last = None;
    let check = |window: &mut Vec<Tensor<B::InnerBackend, 1>>, first_step: usize| {
        if window.is_empty() {
            return Ok(());
        }
        let values = Tensor::cat(std::mem::take(window), 0)
            .into_data()
            .iter::<f32>()
            .collect::<Vec<_>>();
        for (i, pair) in values.chunks_exact(2).enumerate() {
            for (loss, value) in [("discriminator loss", pair[0]), ("generator loss", pair[1])] {
                if !value.is_finite() {
                    return Err(TrainError::Diverged {
                        step: first_step + i + 1,
                        what: loss,
                        value,
                    });
                }
            }
        }
        Ok(())
    };

    let mut window_first = started_at;
    for iteration in started_at + 1..=total {
        let log = iteration % run.log_every == 0 || iteration == total;
        let losses = trainer.step_with(data, log)?;
        window.push(Tensor::cat(
            vec![losses.d_loss.clone(), losses.g_loss.clone()],
            0,
        ));
        for o in observers.iter_mut() {
            o.on_iteration(iteration);
        }
        let checkpoint = iteration == total
            || (run.checkpoint_every > 0 && iteration % run.checkpoint_every == 0);
        if log || checkpoint {
            check(&mut window, window_first)?;
            window_first = iteration;
        }
        if log {
            let host = losses.to_host();
            if let Some((loss, value)) = host.non_finite() {
                return Err(TrainError::Diverged {
                    step: iteration,
                    what: loss,
                    value,
                });
            }
            let now = Instant::now();
            let rate = (iteration - window_start.1) as f64
                / now.duration_since(window_start.0).as_secs_f64().max(1e-9);
            window_start = (now, iteration);
            let [g_grad_norm, d_grad_norm] = host.grad_norms.unwrap_or([f32::NAN; 2]);
            let metrics = Metrics {
                step: iteration,
                d_loss: host.d_loss,
                g_loss: host.g_loss,
                d_real: host.d_real,
                d_fake: host.d_fake,
                penalty: host.penalty,
                aux: host.aux,
                g_grad_norm,
                d_grad_norm,
                wall_seconds: start.elapsed().as_secs_f64(),
                iterations_per_second: rate,
            };
            let mut line = serde_json::to_string(&metrics).expect("metrics serialise");
            line.push('\n');
            metrics_file
                .write_all(line.as_bytes())
                .and_then(|()| metrics_file.flush())
                .map_err(io("cannot write", &metrics_path))?;
            for o in observers.iter_mut() {
                o.on_metrics(&metrics);
            }
            last = Some(metrics);
        }
        if run.sample_every > 0 && iteration % run.sample_every == 0 {
            let path = dir.samples().join(format!("step-{iteration:08}.png"));
            picture(trainer, &path)?;
            for o in observers.iter_mut() {
                o.on_samples(iteration, &path);
            }
        }
        if checkpoint {
            // Finite losses can still come with weights that the last update made non-finite:
            // never let such weights replace the last good checkpoint.
            if !trainer.weights_finite() {
                return Err(TrainError::Diverged {
                    step: iteration,
                    what: "a weight after the update",
                    value: f32::NAN,
                });
            }
            let path = trainer.save_checkpoint(data, &dir.checkpoints())?;
            prune_checkpoints(&dir.checkpoints(), run.keep_checkpoints)?;
            for o in observers.iter_mut() {
                o.on_checkpoint(iteration, &path);
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let checkpoint = match dir.latest_checkpoint() {
        Some(path) => path,
        // Resumed at the final iteration: nothing ran, the checkpoint is the final one.
        None => trainer.save_checkpoint(data, &dir.checkpoints())?,
    };
    picture(trainer, &dir.root().join("samples.png"))?;
    draw_loss_curve(&dir.read_metrics()?, &dir.loss_curve())?;
    Ok(RunSummary {
        dir: dir.root().to_path_buf(),
        started_at,
        last,
        seconds,
        checkpoint,
    })
}

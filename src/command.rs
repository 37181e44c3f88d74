//! The work behind the `gan` command's subcommands, on a backend chosen at run time.
//!
//! Each function here takes a [`BackendKind`] and a [`DeviceChoice`] and is not generic: the
//! trainer, the sampler and the evaluation are instantiated for every compiled backend once,
//! in this library, and the command (and any other binary) only parses its arguments and calls
//! them. A program that knows its backend at compile time calls the generic functions of
//! [`crate::toy`], [`crate::image`], [`crate::sample`] and [`crate::eval`] directly.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use burn::tensor::backend::AutodiffBackend;
use indicatif::{ProgressBar, ProgressStyle};

use crate::Result;
use crate::backend::{BackendKind, BackendTask, DeviceChoice, run_on};
use crate::eval::{EvalData, EvalReport, EvalRequest, evaluate_run, evaluate_samples};
use crate::image::run_images;
use crate::sample::{RunSpec, SampleRequest, Samples, interpolate_run, sample_run, sweep_code_run};
use crate::toy::run_toy;
use crate::train::{Metrics, Observer};

/// What [`train`] trains: a run config, the run directory, and whether to resume it.
#[derive(Clone, Debug)]
pub struct TrainJob {
    /// The run's config (a 2-D distribution or an image dataset).
    pub spec: RunSpec,
    /// The run directory.
    pub dir: PathBuf,
    /// No progress bar and no per-run messages.
    pub quiet: bool,
    /// Continue the run in `dir` from its newest checkpoint.
    pub resume: bool,
    /// Stops the run at a checkpoint when set (see [`StopSignal`]).
    pub stop: Option<StopSignal>,
}

/// Ctrl-C (SIGINT) and SIGTERM for a training command: the first asks the run to finish its
/// iteration, write a checkpoint and stop ([`gan_train::TrainError::Stopped`]); a second one
/// ends the process at once, with the shell's status for the signal (130 or 143).
#[derive(Clone, Debug)]
pub struct StopSignal {
    signal: Arc<AtomicUsize>,
}

impl StopSignal {
    /// Installs the handlers for SIGINT and SIGTERM (process-wide, for the rest of the
    /// process).
    pub fn install() -> std::io::Result<Self> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let armed = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        for sig in [SIGINT, SIGTERM] {
            // Order matters: the exit is armed only by an earlier signal's flag.
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&armed))?;
            signal_hook::flag::register(sig, Arc::clone(&armed))?;
            signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize)?;
        }
        Ok(Self { signal })
    }

    /// The signal received (its number), if any.
    pub fn received(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s as i32),
        }
    }

    /// The signal's name and the shell's exit status for it (128 + its number).
    pub fn describe(signal: i32) -> (&'static str, u8) {
        let name = match signal {
            signal_hook::consts::SIGINT => "SIGINT (Ctrl-C)",
            signal_hook::consts::SIGTERM => "SIGTERM",
            _ => "a signal",
        };
        (name, (128 + signal).clamp(0, 255) as u8)
    }
}

/// What [`train`] reports about a finished run.
#[derive(Clone, Debug)]
pub struct TrainReport {
    /// The run directory.
    pub dir: PathBuf,
    /// The metrics of the last iteration (`None` when nothing was left to train).
    pub last: Option<Metrics>,
    /// Wall-clock seconds of this invocation.
    pub seconds: f64,
    /// The iteration the run started or resumed at.
    pub started_at: usize,
    /// What the run left out, with the reason (for example a sample grid it could not draw).
    pub skipped: Vec<String>,
}

/// Trains `job` on the chosen backend and device, with a terminal progress bar unless quiet.
pub fn train(backend: BackendKind, device: DeviceChoice, job: TrainJob) -> Result<TrainReport> {
    run_on(backend, device, job)?
}

impl BackendTask for TrainJob {
    type Output = Result<TrainReport>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let mut bar = TrainingBar::new(self.quiet, self.stop.clone());
        let dir = Path::new(&self.dir);
        Ok(match &self.spec {
            RunSpec::Toy(config) => {
                let r = run_toy::<B>(config, dir, &device, self.resume, &mut [&mut bar])?;
                TrainReport {
                    dir: r.dir,
                    last: r.last,
                    seconds: r.seconds,
                    started_at: r.started_at,
                    skipped: Vec::new(),
                }
            }
            RunSpec::Images(config) => {
                let r = run_images::<B>(
                    config,
                    dir,
                    &device,
                    self.resume,
                    self.quiet,
                    &mut [&mut bar],
                )?;
                TrainReport {
                    dir: r.dir,
                    last: r.last,
                    seconds: r.seconds,
                    started_at: r.started_at,
                    skipped: r.skipped,
                }
            }
        })
    }
}

/// Draws samples from the trained run in `run` on the chosen backend and device.
pub fn sample(
    backend: BackendKind,
    device: DeviceChoice,
    run: &Path,
    request: SampleRequest,
) -> Result<Samples> {
    run_on(backend, device, Draw::Sample(run.to_path_buf(), request))?
}

/// Draws `rows` latent walks of `steps` images each from the trained image run in `run`; with
/// `code`, sweeps that continuous code of an InfoGAN run from −1 to 1 instead, the noise fixed
/// along each row.
pub fn interpolate(
    backend: BackendKind,
    device: DeviceChoice,
    run: &Path,
    rows: usize,
    steps: usize,
    seed: u64,
    code: Option<usize>,
) -> Result<Samples> {
    let draw = Draw::Interpolate {
        run: run.to_path_buf(),
        rows,
        steps,
        seed,
        code,
    };
    run_on(backend, device, draw)?
}

/// Sampling or interpolating.
enum Draw {
    Sample(PathBuf, SampleRequest),
    Interpolate {
        run: PathBuf,
        rows: usize,
        steps: usize,
        seed: u64,
        code: Option<usize>,
    },
}

impl BackendTask for Draw {
    type Output = Result<Samples>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        match self {
            Draw::Sample(run, request) => sample_run::<B::InnerBackend>(&run, &request, &device),
            Draw::Interpolate {
                run,
                rows,
                steps,
                seed,
                code: None,
            } => interpolate_run::<B::InnerBackend>(&run, rows, steps, seed, &device),
            Draw::Interpolate {
                run,
                rows,
                steps,
                seed,
                code: Some(code),
            } => sweep_code_run::<B::InnerBackend>(&run, rows, steps, code, seed, &device),
        }
    }
}

/// What [`eval`] scores.
#[derive(Clone, Debug)]
pub enum EvalTarget {
    /// A trained run directory (its generator draws the samples).
    Run(PathBuf),
    /// A `.npy` file of samples, scored against `EvalData`.
    Samples(PathBuf, EvalData),
}

/// Evaluates `target` on the chosen backend and device, with a spinner unless
/// `request.quiet`. The report names the backend and device it ran on.
pub fn eval(
    backend: BackendKind,
    device: DeviceChoice,
    target: EvalTarget,
    request: EvalRequest,
) -> Result<EvalReport> {
    let label = format!("{backend:?} {device:?}").to_lowercase();
    run_on(
        backend,
        device,
        Eval {
            target,
            request,
            backend: label,
        },
    )?
}

/// Evaluating.
struct Eval {
    target: EvalTarget,
    request: EvalRequest,
    backend: String,
}

impl BackendTask for Eval {
    type Output = Result<EvalReport>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let spinner = spinner(self.request.quiet);
        let mut log = |message: String| spinner.set_message(message);
        let report = match &self.target {
            EvalTarget::Run(run) => {
                evaluate_run::<B>(run, &self.request, &self.backend, &device, &mut log)
            }
            EvalTarget::Samples(file, data) => {
                evaluate_samples::<B>(file, data, &self.request, &self.backend, &device, &mut log)
            }
        };
        spinner.finish_and_clear();
        report
    }
}

/// A spinner with elapsed time and a message (hidden when quiet).
fn spinner(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
            .expect("a valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// A terminal progress bar with ETA and the current losses (hidden when quiet).
struct TrainingBar(ProgressBar, Option<StopSignal>);

impl TrainingBar {
    fn new(quiet: bool, stop: Option<StopSignal>) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, ETA {eta}) {msg}",
            )
            .expect("valid progress template"),
        );
        Self(bar, stop)
    }
}

impl Observer for TrainingBar {
    fn on_start(&mut self, first: usize, total: usize) {
        self.0.set_length(total as u64);
        self.0.set_position(first as u64);
        self.0.reset_eta();
    }

    fn on_iteration(&mut self, iteration: usize) {
        self.0.set_position(iteration as u64);
    }

    fn on_metrics(&mut self, m: &Metrics) {
        let v = |key| m.get(key).unwrap_or(f32::NAN);
        self.0.set_message(format!(
            "D {:.3} G {:.3} D(x) {:.2} D(G(z)) {:.2}",
            v("d_loss"),
            v("g_loss"),
            v("d_real"),
            v("d_fake")
        ));
    }

    fn on_checkpoint(&mut self, iteration: usize, _: &Path) {
        self.0
            .println(format!("checkpoint at iteration {iteration}"));
    }

    fn stop_requested(&self) -> bool {
        self.1.as_ref().is_some_and(|s| s.received().is_some())
    }

    fn on_warning(&mut self, message: &str) {
        // Shown even when quiet: a warning is not progress.
        self.0.suspend(|| eprintln!("warning: {message}"));
    }

    fn on_finish(&mut self) {
        self.0.finish();
    }
}

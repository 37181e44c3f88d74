//! The work behind the `gan` command's subcommands, on a backend chosen at run time.
//!
//! Each function here takes a [`BackendKind`] and a [`DeviceChoice`] and is not generic: the
//! trainer, the sampler and the evaluation are instantiated for every compiled backend once,
//! in this library, and the command (and any other binary) only parses its arguments and calls
//! them. A program that knows its backend at compile time calls the generic functions of
//! [`crate::toy`], [`crate::image`], [`crate::sample`] and [`crate::eval`] directly.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use indicatif::{ProgressBar, ProgressStyle};

use crate::Result;
use crate::RunOptions;
use crate::backend::{BackendKind, BackendTask, DeviceChoice, run_on};
use crate::eval::{EvalData, EvalReport, EvalRequest, evaluate_run, evaluate_samples};
use crate::image::run_images;
use crate::sample::{RunSpec, SampleRequest, Samples, interpolate_run, sample_run, sweep_code_run};
use crate::toy::run_toy;
use crate::train::{Metrics, Observer};
use crate::translation::{
    Direction, TranslationEval, TranslationRunConfig, evaluate_translation, run_translation,
    translate_run,
};
use gan_run::{GanError, Parallel};

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
    /// The peers of a data-parallel run (one by default).
    pub parallel: Parallel,
}

/// Runs burn-collective's global orchestrator on `port` until the process is stopped: the
/// meeting point of the nodes of a data-parallel run over several machines.
pub fn orchestrator(port: u16) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| GanError::Io {
            action: "cannot start the orchestrator's runtime for port",
            path: PathBuf::from(port.to_string()),
            source,
        })?;
    eprintln!("orchestrator listening on ws://0.0.0.0:{port} (Ctrl-C stops it)");
    runtime.block_on(burn_collective::start_global_orchestrator(port));
    Ok(())
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
                let options = RunOptions::new()
                    .resume(self.resume)
                    .parallel(self.parallel.clone())
                    .observer(&mut bar);
                let r = run_toy::<B>(config, dir, &device, options)?;
                TrainReport {
                    dir: r.dir,
                    last: r.last,
                    seconds: r.seconds,
                    started_at: r.started_at,
                    skipped: Vec::new(),
                }
            }
            RunSpec::Images(config) => {
                let options = RunOptions::new()
                    .resume(self.resume)
                    .quiet(self.quiet)
                    .parallel(self.parallel.clone())
                    .observer(&mut bar);
                let r = run_images::<B>(config, dir, &device, options)?;
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

/// What [`train_translation`] trains: a translation run's config and directory.
#[derive(Clone, Debug)]
pub struct TranslationJob {
    /// The run's config (two image domains, CycleGAN's networks and settings).
    pub config: TranslationRunConfig,
    /// The run directory.
    pub dir: PathBuf,
    /// No progress bar and no per-run messages.
    pub quiet: bool,
    /// Continue the run in `dir` from its newest checkpoint.
    pub resume: bool,
    /// Stops the run at a checkpoint when set (see [`StopSignal`]).
    pub stop: Option<StopSignal>,
    /// The peers of a data-parallel run (one by default).
    pub parallel: Parallel,
}

/// Trains the translation run `job` (CycleGAN) on the chosen backend and device, with a
/// terminal progress bar unless quiet.
pub fn train_translation(
    backend: BackendKind,
    device: DeviceChoice,
    job: TranslationJob,
) -> Result<TrainReport> {
    run_on(backend, device, job)?
}

impl BackendTask for TranslationJob {
    type Output = Result<TrainReport>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let mut bar = TrainingBar::new(self.quiet, self.stop.clone());
        let options = RunOptions::new()
            .resume(self.resume)
            .quiet(self.quiet)
            .parallel(self.parallel.clone())
            .observer(&mut bar);
        let r = run_translation::<B>(&self.config, &self.dir, &device, options)?;
        Ok(TrainReport {
            dir: r.dir,
            last: r.last,
            seconds: r.seconds,
            started_at: r.started_at,
            skipped: Vec::new(),
        })
    }
}

/// Translates `images` (`[n, features]` in `[-1, 1]`) with the trained translation run in
/// `run`, in `direction`, on the chosen backend and device: the translations in `[-1, 1]` and
/// their image shape.
pub fn translate(
    backend: BackendKind,
    device: DeviceChoice,
    run: &Path,
    direction: Direction,
    images: Vec<f32>,
) -> Result<(Vec<f32>, [usize; 3])> {
    let task = Translate {
        run: run.to_path_buf(),
        direction,
        images,
    };
    run_on(backend, device, task)?
}

/// Translating.
struct Translate {
    run: PathBuf,
    direction: Direction,
    images: Vec<f32>,
}

impl BackendTask for Translate {
    type Output = Result<(Vec<f32>, [usize; 3])>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        translate_run::<B::InnerBackend>(&self.run, self.direction, &self.images, &device)
    }
}

/// Measures the translation run in `run` on its held-out images
/// ([`crate::translation::evaluate_translation`]), with progress on stderr unless `quiet`.
pub fn eval_translation(
    backend: BackendKind,
    device: DeviceChoice,
    run: &Path,
    classifier_dir: Option<PathBuf>,
    quiet: bool,
) -> Result<TranslationEval> {
    let task = EvalTranslation {
        run: run.to_path_buf(),
        classifier_dir: classifier_dir.unwrap_or_else(|| gan_data::cache_dir().join("classifiers")),
        quiet,
    };
    run_on(backend, device, task)?
}

/// Measuring a translation run.
struct EvalTranslation {
    run: PathBuf,
    classifier_dir: PathBuf,
    quiet: bool,
}

impl BackendTask for EvalTranslation {
    type Output = Result<TranslationEval>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let quiet = self.quiet;
        evaluate_translation::<B>(&self.run, &self.classifier_dir, &device, &mut |line| {
            if !quiet {
                eprintln!("{line}");
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

/// Exports the generator of the trained run in `run` to `out` for PyTorch
/// ([`crate::run::export::export_run`]), on the first compiled backend's default device: the
/// file does not depend on the backend.
pub fn export(
    run: &Path,
    out: &Path,
    weights: crate::train::GeneratorWeights,
) -> Result<crate::run::export::Export> {
    let backend =
        BackendKind::default_compiled().ok_or(crate::backend::BackendError::NotCompiled {
            backend: BackendKind::Flex,
            feature: "flex",
        })?;
    let task = Export {
        run: run.to_path_buf(),
        out: out.to_path_buf(),
        weights,
    };
    run_on(backend, DeviceChoice::default(), task)?
}

/// Exporting.
struct Export {
    run: PathBuf,
    out: PathBuf,
    weights: crate::train::GeneratorWeights,
}

impl BackendTask for Export {
    type Output = Result<crate::run::export::Export>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        crate::run::export::export_run::<B::InnerBackend>(
            &self.run,
            &self.out,
            self.weights,
            &device,
        )
    }
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
        // Without a terminal (a log file, CI) the spinner is hidden: plain lines instead, at
        // each new phase and at most every 10 seconds within one.
        let plain = !self.request.quiet && !std::io::stderr().is_terminal();
        let mut last: Option<(String, Instant)> = None;
        let mut log = |message: String| {
            // Warnings are shown even when quiet: they are not progress.
            if message.starts_with("warning:") {
                spinner.suspend(|| eprintln!("{message}"));
                return;
            }
            if plain {
                let phase = message.split(':').next().unwrap_or("").to_string();
                let due = last.as_ref().is_none_or(|(p, at)| {
                    *p != phase || at.elapsed() >= std::time::Duration::from_secs(10)
                });
                if due {
                    eprintln!("{message}");
                    last = Some((phase, Instant::now()));
                }
            }
            spinner.set_message(message)
        };
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

/// Training progress: on a terminal, a bar with ETA and the current losses that fits 80
/// columns (the losses are cut to the width); otherwise (a log file, CI) a plain line at the
/// first metrics line, then at most every 10 seconds, and at the end. Hidden when quiet.
struct TrainingBar {
    bar: ProgressBar,
    stop: Option<StopSignal>,
    /// Plain lines instead of the bar (stderr is not a terminal).
    plain: bool,
    /// When the last plain line was printed.
    printed: Option<Instant>,
    total: usize,
    first: usize,
    started: Instant,
}

impl TrainingBar {
    fn new(quiet: bool, stop: Option<StopSignal>) -> Self {
        let plain = !quiet && !std::io::stderr().is_terminal();
        let bar = if quiet || plain {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "[{elapsed_precise}] {bar:16} {pos}/{len} {rate} ETA {eta} {wide_msg}",
            )
            .expect("valid progress template")
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}", rate(state.per_sec()));
                },
            ),
        );
        Self {
            bar,
            stop,
            plain,
            printed: None,
            total: 0,
            first: 0,
            started: Instant::now(),
        }
    }
}

/// An iteration rate with three significant digits: `523 it/s`, `12.3 it/s`, `0.42 it/s`.
fn rate(per_second: f64) -> String {
    let digits = if per_second >= 100.0 {
        0
    } else if per_second >= 10.0 {
        1
    } else {
        2
    };
    format!("{per_second:.digits$} it/s")
}

/// A duration as `42s`, `7m 05s` or `3h 12m`.
fn short_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// The losses of a metrics line, as the bar and the plain lines show them: `D`, `G`, `D(x)`
/// and `D(G(z))` for the algorithms that log them, then any other loss an algorithm logs
/// under its own name (CycleGAN's `d_a_loss` and `d_b_loss`) and CycleGAN's cycle and
/// semantic terms. Nothing an algorithm does not log is shown.
fn losses(m: &Metrics) -> String {
    let mut parts = Vec::new();
    for (key, label, digits) in [
        ("d_loss", "D", 3),
        ("g_loss", "G", 3),
        ("d_real", "D(x)", 2),
        ("d_fake", "D(G(z))", 2),
    ] {
        if let Some(v) = m.get(key) {
            parts.push(format!("{label} {v:.digits$}"));
        }
    }
    for (key, v) in &m.values {
        let own_loss = key.ends_with("_loss") && key != "d_loss" && key != "g_loss";
        if own_loss || key == "cycle" || key == "semantic" {
            parts.push(format!("{key} {v:.3}"));
        }
    }
    parts.join(" ")
}

impl Observer for TrainingBar {
    fn on_start(&mut self, first: usize, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(first as u64);
        self.bar.reset_eta();
        self.first = first;
        self.total = total;
        self.started = Instant::now();
    }

    fn on_iteration(&mut self, iteration: usize) {
        self.bar.set_position(iteration as u64);
    }

    fn on_metrics(&mut self, m: &Metrics) {
        self.bar.set_message(losses(m));
        let due = self
            .printed
            .is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(10));
        if self.plain && (due || m.step == self.total) {
            let seconds = self.started.elapsed().as_secs_f64();
            let done = m.step.saturating_sub(self.first);
            let per_second = done as f64 / seconds.max(1e-9);
            let left = (self.total - m.step.min(self.total)) as f64 / per_second.max(1e-9);
            eprintln!(
                "iteration {}/{} ({:.0}%), {}, ETA {}: {}",
                m.step,
                self.total,
                100.0 * m.step as f64 / self.total.max(1) as f64,
                rate(per_second),
                short_duration(left),
                losses(m)
            );
            self.printed = Some(Instant::now());
        }
    }

    fn on_checkpoint(&mut self, iteration: usize, _: &Path) {
        if self.plain {
            eprintln!("checkpoint at iteration {iteration}");
        } else {
            self.bar
                .println(format!("checkpoint at iteration {iteration}"));
        }
    }

    fn stop_requested(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.received().is_some())
    }

    fn on_warning(&mut self, message: &str) {
        // Shown even when quiet: a warning is not progress.
        self.bar.suspend(|| eprintln!("warning: {message}"));
    }

    fn on_finish(&mut self) {
        self.bar.finish();
    }
}

//! A training run on disk: the loop around any [`Algorithm`] that logs, checkpoints, resumes,
//! stops cleanly on divergence and hands previews to its observers.
//!
//! A run directory holds
//!
//! - `metrics.jsonl`: one JSON object per logged iteration ([`Metrics`]: the step, the
//!   algorithm's named scalars, timings);
//! - `checkpoints/`: see [`crate::checkpoint`].
//!
//! Pictures are drawn by observers: [`fit`] hands them samples from the algorithm's fixed
//! preview inputs every `sample_every` iterations and at the end ([`Observer::on_preview`]),
//! and [`RunDir`] names where they go (`samples/step-NNNNNNNN.png`, `samples.png`,
//! `loss_curve.png`). The caller writes its own `config.json` next to these (it knows the full
//! config: models, data and training).

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::config::Config;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};
use gan_data::BatchSource;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::algorithm::{Algorithm, StepLog};
use crate::checkpoint::{
    latest_checkpoint, load_checkpoint, prune_checkpoints, save_checkpoint, write_atomic,
};
use crate::error::{Result as TrainResult, TrainError};
use crate::parallel::{Peer, ShardedSource};

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

/// One line of `metrics.jsonl`: the step, the algorithm's named scalars in the order it
/// logged them (the classic algorithm's: `d_loss`, `g_loss`, `d_real`, `d_fake`, `penalty`,
/// `aux`, `g_grad_norm`, `d_grad_norm`), and timings.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// Iterations completed.
    pub step: usize,
    /// The named scalars.
    pub values: Vec<(String, f32)>,
    /// Seconds since this process started training.
    pub wall_seconds: f64,
    /// Iterations per second over the last logging window.
    pub iterations_per_second: f64,
}

impl Metrics {
    /// The scalar logged under `key`, if any.
    pub fn get(&self, key: &str) -> Option<f32> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

impl std::ops::Index<&str> for Metrics {
    type Output = f32;

    /// The scalar logged under `key`; panics when there is none.
    fn index(&self, key: &str) -> &f32 {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no metric `{key}` in step {}", self.step))
    }
}

const STEP: &str = "step";
const WALL: &str = "wall_seconds";
const RATE: &str = "iterations_per_second";

impl Serialize for Metrics {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.values.len() + 3))?;
        map.serialize_entry(STEP, &self.step)?;
        for (key, value) in &self.values {
            map.serialize_entry(key, value)?;
        }
        map.serialize_entry(WALL, &self.wall_seconds)?;
        map.serialize_entry(RATE, &self.iterations_per_second)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Metrics {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MetricsVisitor;
        impl<'de> Visitor<'de> for MetricsVisitor {
            type Value = Metrics;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object with `step` and named numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metrics, A::Error> {
                let mut step = None;
                let mut values = Vec::new();
                let (mut wall, mut rate) = (0.0, 0.0);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        STEP => step = Some(map.next_value()?),
                        WALL => wall = map.next_value()?,
                        RATE => rate = map.next_value()?,
                        // A non-finite value is written as null.
                        _ => {
                            let value: Option<f32> = map.next_value()?;
                            values.push((key, value.unwrap_or(f32::NAN)));
                        }
                    }
                }
                Ok(Metrics {
                    step: step.ok_or_else(|| serde::de::Error::missing_field(STEP))?,
                    values,
                    wall_seconds: wall,
                    iterations_per_second: rate,
                })
            }
        }
        deserializer.deserialize_map(MetricsVisitor)
    }
}

/// Samples handed to observers for a preview picture (see [`Observer::on_preview`]).
#[derive(Debug, Clone)]
pub struct Preview {
    /// Iterations completed.
    pub iteration: usize,
    /// Whether this is the run's final preview (`samples.png`).
    pub last: bool,
    /// Number of samples.
    pub count: usize,
    /// The samples, flat `[count, features]`.
    pub values: Vec<f32>,
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
    /// Whether this observer wants previews: [`fit`] generates them only when one does.
    fn wants_previews(&self) -> bool {
        false
    }
    /// Samples from the algorithm's fixed preview inputs, every `sample_every` iterations and
    /// at the end of the run (for an observer that [wants them](Observer::wants_previews)).
    /// An error stops the run.
    fn on_preview(&mut self, preview: &Preview) -> TrainResult<()> {
        let _ = preview;
        Ok(())
    }
    /// A checkpoint was written.
    fn on_checkpoint(&mut self, iteration: usize, path: &Path) {
        let _ = (iteration, path);
    }
    /// Whether the run should stop (a signal, a time limit). Asked after every iteration;
    /// on `true` the run finishes that iteration, writes a checkpoint and returns
    /// [`TrainError::Stopped`].
    fn stop_requested(&self) -> bool {
        false
    }
    /// Something the user should know that does not stop the run (a repaired file, for
    /// instance).
    fn on_warning(&mut self, message: &str) {
        let _ = message;
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
    /// `samples.png`: the final preview.
    pub fn final_samples(&self) -> PathBuf {
        self.root.join("samples.png")
    }
    /// The preview picture of iteration `iteration`, under `samples/`.
    pub fn samples_at(&self, iteration: usize) -> PathBuf {
        self.samples().join(format!("step-{iteration:08}.png"))
    }
    /// `loss_curve.png`.
    pub fn loss_curve(&self) -> PathBuf {
        self.root.join("loss_curve.png")
    }
    /// The newest complete checkpoint, if any.
    pub fn latest_checkpoint(&self) -> Option<PathBuf> {
        latest_checkpoint(&self.checkpoints())
    }

    /// Checks, before anything is written, that a run may start here: a new run
    /// (`resume == false`) needs a directory without a checkpoint, so that it never touches an
    /// earlier run's files; a resume needs a checkpoint to start from and metrics it can keep.
    /// Returns the checkpoint a resume starts from.
    pub fn check_start(&self, resume: bool) -> TrainResult<Option<PathBuf>> {
        match (self.latest_checkpoint(), resume) {
            (Some(checkpoint), false) => Err(TrainError::RunExists { checkpoint }),
            (None, true) => Err(TrainError::NoCheckpoint {
                dir: self.root.clone(),
            }),
            (checkpoint, true) => {
                self.read_metrics_to_resume()?;
                Ok(checkpoint)
            }
            (None, false) => Ok(None),
        }
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

    /// The metrics lines for a resume: like [`RunDir::read_metrics`], except that a last line
    /// that does not parse (torn by a full disk or a kill during its write) is dropped, with
    /// the warning returned. A damaged line before the last is still an error.
    pub fn read_metrics_to_resume(&self) -> TrainResult<(Vec<Metrics>, Option<String>)> {
        let path = self.metrics();
        let text = match fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), None)),
            Err(source) => return Err(io("cannot read", &path)(source)),
        };
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        let mut out = Vec::with_capacity(lines.len());
        for (at, &(i, line)) in lines.iter().enumerate() {
            match serde_json::from_str(line) {
                Ok(metrics) => out.push(metrics),
                Err(e) if at + 1 == lines.len() => {
                    let warning = format!(
                        "{} line {}: dropped an incomplete last line ({e}), written when the \
                         run stopped; the lines before it are kept",
                        path.display(),
                        i + 1
                    );
                    return Ok((out, Some(warning)));
                }
                Err(e) => {
                    return Err(TrainError::from(crate::CheckpointError::Corrupt {
                        path: path.clone(),
                        reason: format!("line {}: {e}", i + 1),
                    }));
                }
            }
        }
        Ok((out, None))
    }
}

/// Appends one whole line to `file`: when the write fails part-way (a full disk), the file is
/// cut back to its length before it, so that it never ends in a torn line.
fn append_line(file: &mut File, line: &str) -> std::io::Result<()> {
    let before = file.metadata()?.len();
    file.write_all(line.as_bytes())
        .and_then(|()| file.flush())
        .inspect_err(|_| {
            // Best effort: the write's own error is the one reported.
            let _ = file.set_len(before);
        })
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> TrainError {
    let path = path.to_path_buf();
    move |source| TrainError::Io {
        action,
        path,
        source,
    }
}

/// Trains `algorithm` until its configured iterations, writing the run directory `dir`.
///
/// When the run directory already holds a checkpoint, pass `resume = true` to continue from
/// it (the algorithm and `data` must be built from the same config; see
/// [`crate::load_checkpoint`]); metrics logged after that checkpoint are discarded, since
/// those iterations run again. With `resume = false` an existing checkpoint is an error, so
/// that a run is never overwritten by accident.
///
/// Scalars are read back to the host only every `log_every` iterations (and before each
/// checkpoint); all watched losses of the window are checked then, and a non-finite one stops
/// the run with [`TrainError::Diverged`] naming the exact iteration. The last checkpoint
/// written is always from before the divergence.
pub fn fit<B, A, S>(
    algorithm: &mut A,
    data: &mut S,
    dir: &RunDir,
    run: &RunConfig,
    resume: bool,
    observers: &mut [&mut dyn Observer],
) -> TrainResult<RunSummary>
where
    B: AutodiffBackend,
    A: Algorithm<B>,
    S: BatchSource<B> + ?Sized,
{
    let result = fit_inner(algorithm, data, dir, run, resume, observers, None);
    for o in observers.iter_mut() {
        o.on_finish();
    }
    result
}

/// [`fit`] for one peer of a data-parallel run (see [`crate::parallel`]). The peer must be
/// registered with Burn's collective; every peer of the run calls `fit_peer` with its own
/// replica of `algorithm` (built from the same config and the same initial weights) and its
/// own `data` (built with the same seed), at the same time.
///
/// `algorithm` [joins](Algorithm::join) `peer` and `data` is wrapped so that it yields the
/// peer's rows of each global minibatch ([`ShardedSource`]). Every peer reads a checkpoint to
/// resume from `dir`; only the leader ([`Peer::is_leader`]) writes `dir`: metrics,
/// checkpoints, and what its observers draw (the other peers are usually given no
/// observers). The peers agree every iteration on whether to stop, so that a stop requested on
/// one of them (Ctrl-C) stops all of them at the same iteration, and the logged scalars and
/// the divergence checks use the means over the peers.
pub fn fit_peer<B, A, S>(
    algorithm: &mut A,
    data: S,
    dir: &RunDir,
    run: &RunConfig,
    resume: bool,
    observers: &mut [&mut dyn Observer],
    peer: &Peer,
) -> TrainResult<RunSummary>
where
    B: AutodiffBackend,
    A: Algorithm<B>,
    S: BatchSource<B>,
{
    algorithm.join(peer);
    let mut data = ShardedSource::new(data, peer.shard());
    let result = fit_inner(
        algorithm,
        &mut data,
        dir,
        run,
        resume,
        observers,
        Some(peer),
    );
    for o in observers.iter_mut() {
        o.on_finish();
    }
    result
}

/// Whether any peer asks to stop: every peer calls this once an iteration, so all of them stop
/// at the same iteration.
fn agree_to_stop<B: AutodiffBackend>(
    peer: &Peer,
    stop: bool,
    device: &B::Device,
) -> TrainResult<bool> {
    let flag = Tensor::<B::InnerBackend, 1>::from_floats([if stop { 1.0f32 } else { 0.0 }], device);
    let any = peer.mean(flag, "the stop agreement")?;
    Ok(any.into_scalar().elem::<f32>() > 0.0)
}

/// The step's scalars as means over all peers, read back in one transfer.
fn peer_means<B: burn::tensor::backend::Backend>(
    scalars: &StepLog<B>,
    peer: &Peer,
) -> TrainResult<Vec<(&'static str, f32)>> {
    if scalars.entries.is_empty() {
        return Ok(Vec::new());
    }
    let values = Tensor::cat(scalars.entries.iter().map(|e| e.value.clone()).collect(), 0);
    let values = peer
        .mean(values, "the scalar log all-reduce")?
        .into_data()
        .iter::<f32>()
        .collect::<Vec<_>>();
    Ok(scalars.entries.iter().map(|e| e.key).zip(values).collect())
}

/// Hands the algorithm's preview to the observers that want one.
fn preview<B: AutodiffBackend, A: Algorithm<B>>(
    algorithm: &A,
    run: &RunConfig,
    last: bool,
    observers: &mut [&mut dyn Observer],
) -> TrainResult<()> {
    if !observers.iter().any(|o| o.wants_previews()) {
        return Ok(());
    }
    let Some(samples) = algorithm.preview(run.samples, run.sample_seed) else {
        return Ok(());
    };
    let preview = Preview {
        iteration: algorithm.iteration(),
        last,
        count: samples.dims()[0],
        values: samples.into_data().iter::<f32>().collect(),
    };
    for o in observers.iter_mut().filter(|o| o.wants_previews()) {
        o.on_preview(&preview)?;
    }
    Ok(())
}

/// The watched losses of the iterations since the last check, still on the device.
struct Window<B: burn::tensor::backend::Backend> {
    first_step: usize,
    names: Vec<&'static str>,
    values: Vec<Tensor<B, 1>>,
}

impl<B: burn::tensor::backend::Backend> Window<B> {
    /// Reads the window back and fails on the first non-finite loss, naming its iteration.
    /// With a peer, the losses are the means over all peers, so every peer fails alike.
    fn check(&mut self, next_first_step: usize, peer: Option<&Peer>) -> TrainResult<()> {
        let first_step = std::mem::replace(&mut self.first_step, next_first_step);
        if self.values.is_empty() || self.names.is_empty() {
            self.values.clear();
            return Ok(());
        }
        let mut values = Tensor::cat(std::mem::take(&mut self.values), 0);
        if let Some(peer) = peer {
            values = peer.mean(values, "the loss all-reduce")?;
        }
        let values = values.into_data().iter::<f32>().collect::<Vec<_>>();
        for (i, losses) in values.chunks_exact(self.names.len()).enumerate() {
            for (what, value) in self.names.iter().zip(losses) {
                if !value.is_finite() {
                    return Err(TrainError::Diverged {
                        step: first_step + i + 1,
                        what,
                        value: *value,
                    });
                }
            }
        }
        Ok(())
    }
}

fn fit_inner<B, A, S>(
    algorithm: &mut A,
    data: &mut S,
    dir: &RunDir,
    run: &RunConfig,
    resume: bool,
    observers: &mut [&mut dyn Observer],
    peer: Option<&Peer>,
) -> TrainResult<RunSummary>
where
    B: AutodiffBackend,
    A: Algorithm<B>,
    S: BatchSource<B> + ?Sized,
{
    run.validate()?;
    let leader = peer.is_none_or(Peer::is_leader);
    let checkpoint = dir.check_start(resume)?;
    if leader {
        for path in [dir.root().to_path_buf(), dir.samples(), dir.checkpoints()] {
            fs::create_dir_all(&path).map_err(io("cannot create", &path))?;
        }
    }
    match checkpoint {
        Some(checkpoint) => {
            if let Some(warning) = crate::checkpoint::stale_latest(&dir.checkpoints())
                && leader
            {
                for o in observers.iter_mut() {
                    o.on_warning(&warning);
                }
            }
            load_checkpoint(algorithm, data, &checkpoint).map_err(|e| match e {
                // Damage (unreadable files), not a mismatch with the run's config or models.
                TrainError::Checkpoint(
                    source @ (crate::CheckpointError::Io { .. }
                    | crate::CheckpointError::Corrupt { .. }),
                ) => TrainError::DamagedCheckpoint {
                    previous: crate::checkpoint::previous_checkpoint(
                        &dir.checkpoints(),
                        &checkpoint,
                    ),
                    checkpoint: checkpoint.clone(),
                    source: Box::new(source),
                },
                other => other,
            })?;
            // Drop metrics of iterations after the checkpoint: they are about to run again.
            if leader {
                let (metrics, torn) = dir.read_metrics_to_resume()?;
                if let Some(torn) = torn {
                    for o in observers.iter_mut() {
                        o.on_warning(&torn);
                    }
                }
                let kept: Vec<Metrics> = metrics
                    .into_iter()
                    .filter(|m| m.step <= algorithm.iteration())
                    .collect();
                let mut text = String::new();
                for m in &kept {
                    text.push_str(&serde_json::to_string(m).expect("metrics serialise"));
                    text.push('\n');
                }
                write_atomic(&dir.metrics(), text.as_bytes())?;
            }
        }
        None if leader => {
            let path = dir.metrics();
            File::create(&path).map_err(io("cannot create", &path))?;
        }
        None => {}
    }
    let metrics_path = dir.metrics();
    let mut metrics_file = if leader {
        Some(
            OpenOptions::new()
                .append(true)
                .open(&metrics_path)
                .map_err(io("cannot open", &metrics_path))?,
        )
    } else {
        None
    };

    let total = algorithm.iterations();
    let started_at = algorithm.iteration();
    for o in observers.iter_mut() {
        o.on_start(started_at, total);
    }

    let start = Instant::now();
    let mut window_start = (start, started_at);
    let mut window = Window {
        first_step: started_at,
        names: Vec::new(),
        values: Vec::new(),
    };
    let mut last = None;
    for iteration in started_at + 1..=total {
        let log = iteration % run.log_every == 0 || iteration == total;
        let scalars = algorithm.step(data, log)?;
        if let Some((values, names)) = scalars.watched() {
            if window.names != names {
                // Which losses a step reports may change (e.g. a penalty that starts later):
                // check what was collected under the old names first.
                window.check(iteration - 1, peer)?;
                window.names = names;
            }
            window.values.push(values);
        }
        for o in observers.iter_mut() {
            o.on_iteration(iteration);
        }
        let mut stop = iteration < total && observers.iter().any(|o| o.stop_requested());
        if let Some(peer) = peer {
            stop = agree_to_stop::<B>(peer, stop, algorithm.device())? && iteration < total;
        }
        let checkpoint = stop
            || iteration == total
            || (run.checkpoint_every > 0 && iteration % run.checkpoint_every == 0);
        if log || checkpoint {
            window.check(iteration, peer)?;
        }
        if log {
            // The window check above has just read this iteration's watched losses.
            let host = match peer {
                Some(peer) => peer_means(&scalars, peer)?,
                None => scalars.to_host(),
            };
            let now = Instant::now();
            let rate = (iteration - window_start.1) as f64
                / now.duration_since(window_start.0).as_secs_f64().max(1e-9);
            window_start = (now, iteration);
            let metrics = Metrics {
                step: iteration,
                values: host.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                wall_seconds: start.elapsed().as_secs_f64(),
                iterations_per_second: rate,
            };
            let mut line = serde_json::to_string(&metrics).expect("metrics serialise");
            line.push('\n');
            if let Some(file) = metrics_file.as_mut() {
                append_line(file, &line).map_err(io("cannot write", &metrics_path))?;
            }
            for o in observers.iter_mut() {
                o.on_metrics(&metrics);
            }
            last = Some(metrics);
        }
        if run.sample_every > 0 && iteration % run.sample_every == 0 {
            preview(algorithm, run, false, observers)?;
        }
        if checkpoint {
            if let Some(peer) = peer {
                algorithm.gather(peer)?;
            }
            // Finite losses can still come with weights that the last update made non-finite:
            // never let such weights replace the last good checkpoint.
            if !algorithm.weights_finite() {
                return Err(TrainError::Diverged {
                    step: iteration,
                    what: "a weight after the update",
                    value: f32::NAN,
                });
            }
            let path = if leader {
                let path = save_checkpoint(algorithm, data, &dir.checkpoints())?;
                prune_checkpoints(&dir.checkpoints(), run.keep_checkpoints)?;
                path
            } else {
                dir.checkpoints()
            };
            for o in observers.iter_mut() {
                o.on_checkpoint(iteration, &path);
            }
            if stop {
                return Err(TrainError::Stopped {
                    iteration,
                    checkpoint: path,
                });
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let checkpoint = match dir.latest_checkpoint() {
        _ if !leader => dir.checkpoints(),
        Some(path) => path,
        // Resumed at the final iteration: nothing ran, the checkpoint is the final one.
        None => save_checkpoint(algorithm, data, &dir.checkpoints())?,
    };
    preview(algorithm, run, true, observers)?;
    Ok(RunSummary {
        dir: dir.root().to_path_buf(),
        started_at,
        last,
        seconds,
        checkpoint,
    })
}

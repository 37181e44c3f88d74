//! Checkpoints: everything needed to continue a run exactly where it stopped.
//!
//! A checkpoint is a directory `step-NNNNNNNN/` under a checkpoint root holding
//!
//! - `generator.safetensors`, `discriminator.safetensors` and, with a moving average,
//!   `generator_ema.safetensors`: the weights (and running statistics), readable from Python
//!   with the `safetensors` package;
//! - `generator_optim.mpk`, `discriminator_optim.mpk`: both optimizers' state (moments, step
//!   counts) in Burn's named MessagePack record format at full precision;
//! - `state.json`: the format version ([`CHECKPOINT_FORMAT`]), iteration, the noise RNG, the
//!   data source's position, the training config and the parameter identities that key the
//!   optimizer state.
//!
//! Loading (to resume, sample or evaluate) reads the format version first: a checkpoint of
//! another version, older or newer, is [`CheckpointError::Format`], which names both.
//!
//! Saving is atomic: the files are written and flushed to disk inside a hidden temporary
//! directory, which is then renamed into place, and only then does the `latest` pointer file
//! (itself replaced by a rename) move to it. A crash at any moment leaves the previous
//! checkpoint complete and `latest` pointing at a complete checkpoint.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use burn::module::{AutodiffModule, Module, ModuleVisitor, Param, ParamId};
use burn::optim::Optimizer;
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::Tensor;
use burn::tensor::backend::{AutodiffBackend, Backend};
use gan_data::BatchSource;
use gan_models::{Discriminator, GanRng, Generator};
use serde::{Deserialize, Serialize};

use crate::error::{CheckpointError, Result as TrainResult};
use crate::optim::GanOptimizer;
use crate::trainer::{TrainConfig, Trainer};

/// The checkpoint format version this build reads and writes (`format` in `state.json`).
/// Raise it whenever the file set or the state's fields change incompatibly: a checkpoint of
/// another version is then refused with [`CheckpointError::Format`], naming both versions.
pub const CHECKPOINT_FORMAT: u64 = 1;
const LATEST: &str = "latest";
const STATE: &str = "state.json";
const GENERATOR: &str = "generator.safetensors";
const DISCRIMINATOR: &str = "discriminator.safetensors";
const EMA: &str = "generator_ema.safetensors";
const G_OPTIM: &str = "generator_optim.mpk";
const D_OPTIM: &str = "discriminator_optim.mpk";

/// Contents of `state.json`.
#[derive(Serialize, Deserialize)]
struct CheckpointState {
    format: u64,
    iteration: usize,
    rng: GanRng,
    data: Option<String>,
    generator_params: Vec<u64>,
    discriminator_params: Vec<u64>,
    config: serde_json::Value,
}

type CkResult<T> = std::result::Result<T, CheckpointError>;

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError {
    let path = path.to_path_buf();
    move |source| CheckpointError::Io {
        action,
        path,
        source,
    }
}

/// Writes `bytes` to `path` and flushes them to the disk.
fn write_synced(path: &Path, bytes: &[u8]) -> CkResult<()> {
    let mut file = File::create(path).map_err(io_err("cannot create", path))?;
    file.write_all(bytes)
        .map_err(io_err("cannot write", path))?;
    file.sync_all().map_err(io_err("cannot flush", path))
}

/// Flushes a directory entry (the renames inside it) to the disk.
fn sync_dir(path: &Path) -> CkResult<()> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(io_err("cannot flush directory", path))
}

/// Replaces `path` by a file with `bytes`, atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> CkResult<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    write_synced(&tmp, bytes)?;
    fs::rename(&tmp, path).map_err(io_err("cannot move into place", path))?;
    if let Some(parent) = path.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Reads `state.json` of the checkpoint directory `dir`. Its format version is checked before
/// anything else, so that a checkpoint of another version is [`CheckpointError::Format`]
/// (naming both versions) rather than a parse error about some field.
fn read_state(dir: &Path) -> CkResult<CheckpointState> {
    let path = dir.join(STATE);
    if !path.is_file() {
        return Err(CheckpointError::NotFound(dir.to_path_buf()));
    }
    let bytes = fs::read(&path).map_err(io_err("cannot read", &path))?;
    let corrupt = |reason: String| CheckpointError::Corrupt {
        path: path.clone(),
        reason,
    };
    // The version alone first (the other fields are skipped unparsed: the RNG's 128-bit
    // integers would not survive a detour through `serde_json::Value`).
    #[derive(Deserialize)]
    struct Version {
        format: Option<serde_json::Value>,
    }
    let version: Version = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    let found = version
        .format
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| corrupt("no format version (a whole number `format`)".into()))?;
    if found != CHECKPOINT_FORMAT {
        return Err(CheckpointError::Format {
            path,
            found,
            expected: CHECKPOINT_FORMAT,
            advice: if found > CHECKPOINT_FORMAT {
                "it was written by a newer gan; resume or sample it with that version"
            } else {
                "it was written by an older gan; resume or sample it with that version, or \
                 start a new run"
            },
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))
}

/// The directory name of the checkpoint taken after `iteration` iterations.
pub fn checkpoint_name(iteration: usize) -> String {
    format!("step-{iteration:08}")
}

/// Parameter identities in visiting order; they key the optimizers' state.
fn param_ids<B: Backend, M: Module<B>>(module: &M) -> Vec<u64> {
    struct Ids(Vec<u64>);
    impl<B: Backend> ModuleVisitor<B> for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0.push(param.id.val());
        }
    }
    let mut ids = Ids(Vec::new());
    module.visit(&mut ids);
    ids.0
}

fn weights_bytes<B: Backend, M: Module<B>>(module: &M, path: &Path) -> CkResult<Vec<u8>> {
    let mut store = SafetensorsStore::from_bytes(None);
    module
        .save_into(&mut store)
        .and_then(|()| store.get_bytes())
        .map_err(|e| CheckpointError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("cannot serialise weights: {e}"),
        })
}

fn load_weights<B: Backend, M: Module<B>>(module: M, path: &Path) -> CkResult<M> {
    let bytes = fs::read(path).map_err(io_err("cannot read", path))?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    let mut module = module;
    let result = module.load_from(&mut store).map_err(|e| match e {
        burn::store::SafetensorsStoreError::Safetensors(e) => CheckpointError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        other => CheckpointError::Architecture {
            path: path.to_path_buf(),
            details: other.to_string(),
        },
    })?;
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        let mut details = Vec::new();
        if !result.missing.is_empty() {
            let names: Vec<_> = result.missing.iter().map(|(p, _)| p.as_str()).collect();
            details.push(format!("missing tensors {}", names.join(", ")));
        }
        if !result.unused.is_empty() {
            details.push(format!("unexpected tensors {}", result.unused.join(", ")));
        }
        for error in &result.errors {
            details.push(error.to_string());
        }
        return Err(CheckpointError::Architecture {
            path: path.to_path_buf(),
            details: details.join("; "),
        });
    }
    Ok(module)
}

/// Which generator weights of a checkpoint to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneratorWeights {
    /// The moving average when the run kept one, else the trained weights: what the run's own
    /// sample pictures are drawn from.
    Inference,
    /// The trained weights (the last iterate).
    Trained,
    /// The moving average; an error when the run kept none.
    Ema,
}

/// Loads a generator's weights from the checkpoint directory `dir` (a `step-*` directory, see
/// [`latest_checkpoint`]) into `module`, which must have the checkpoint's architecture. Works
/// on any backend, autodiff or not, so a trained run can be sampled without its optimizer
/// state. Returns the module and whether the moving average was loaded.
pub fn load_generator<B: Backend, M: Module<B>>(
    module: M,
    dir: &Path,
    which: GeneratorWeights,
) -> TrainResult<(M, bool)> {
    read_state(dir)?;
    let ema = dir.join(EMA);
    let use_ema = match which {
        GeneratorWeights::Trained => false,
        GeneratorWeights::Inference => ema.is_file(),
        GeneratorWeights::Ema => true,
    };
    let path = if use_ema { ema } else { dir.join(GENERATOR) };
    Ok((load_weights(module, &path)?, use_ema))
}

/// Loads the discriminator's weights from the checkpoint directory `dir` into `module`, which
/// must have the checkpoint's architecture (on any backend, autodiff or not).
pub fn load_discriminator<B: Backend, M: Module<B>>(module: M, dir: &Path) -> TrainResult<M> {
    read_state(dir)?;
    Ok(load_weights(module, &dir.join(DISCRIMINATOR))?)
}

impl<M: AutodiffModule<B>, B: AutodiffBackend> GanOptimizer<M, B> {
    fn record_bytes(&self, path: &Path) -> CkResult<Vec<u8>> {
        let recorder = NamedMpkBytesRecorder::<FullPrecisionSettings>::new();
        let result = match self {
            GanOptimizer::Sgd(o) => Recorder::<B>::record(&recorder, o.to_record(), ()),
            GanOptimizer::Adam(o) => Recorder::<B>::record(&recorder, o.to_record(), ()),
            GanOptimizer::RmsProp(o) => Recorder::<B>::record(&recorder, o.to_record(), ()),
        };
        result.map_err(|e| CheckpointError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("cannot serialise optimizer state: {e}"),
        })
    }

    /// Loads the optimizer state of `path`, re-keyed from the saved parameter identities to the
    /// current ones (matched in visiting order).
    fn load_bytes(
        self,
        path: &Path,
        remap: &HashMap<ParamId, ParamId>,
        device: &B::Device,
    ) -> CkResult<Self> {
        let bytes = fs::read(path).map_err(io_err("cannot read", path))?;
        let recorder = NamedMpkBytesRecorder::<FullPrecisionSettings>::new();
        let corrupt = |e: burn::record::RecorderError| CheckpointError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("not an optimizer state of this kind: {e}"),
        };
        let bytes = &bytes;
        Ok(match self {
            GanOptimizer::Sgd(o) => GanOptimizer::Sgd(
                load_rekeyed(o, &recorder, bytes, remap, device).map_err(corrupt)?,
            ),
            GanOptimizer::Adam(o) => GanOptimizer::Adam(
                load_rekeyed(o, &recorder, bytes, remap, device).map_err(corrupt)?,
            ),
            GanOptimizer::RmsProp(o) => GanOptimizer::RmsProp(
                load_rekeyed(o, &recorder, bytes, remap, device).map_err(corrupt)?,
            ),
        })
    }
}

/// Loads an optimizer record saved under other parameter identities into `optimizer`.
fn load_rekeyed<O, M, B, V>(
    optimizer: O,
    recorder: &NamedMpkBytesRecorder<FullPrecisionSettings>,
    bytes: &[u8],
    remap: &HashMap<ParamId, ParamId>,
    device: &B::Device,
) -> Result<O, burn::record::RecorderError>
where
    O: Optimizer<M, B>,
    O::Record: IntoIterator<Item = (ParamId, V)> + FromIterator<(ParamId, V)>,
    M: AutodiffModule<B>,
    B: AutodiffBackend,
{
    let record: O::Record = Recorder::<B>::load(recorder, bytes.to_vec(), device)?;
    let record = record
        .into_iter()
        .filter_map(|(id, v)| remap.get(&id).map(|new| (*new, v)))
        .collect();
    Ok(optimizer.load_record(record))
}

/// The first top-level field (or nested path) whose value differs between two JSON objects.
fn first_difference(
    saved: &serde_json::Value,
    current: &serde_json::Value,
    prefix: &str,
) -> Option<(String, String, String)> {
    match (saved, current) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|key| {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                let null = serde_json::Value::Null;
                first_difference(
                    a.get(key).unwrap_or(&null),
                    b.get(key).unwrap_or(&null),
                    &path,
                )
            })
        }
        (a, b) if a == b => None,
        (a, b) => Some((prefix.to_string(), a.to_string(), b.to_string())),
    }
}

/// The newest complete checkpoint under `root`: the one `latest` names, or, if that pointer is
/// missing or stale, the highest-numbered `step-*` directory with a readable state file.
pub fn latest_checkpoint(root: &Path) -> Option<PathBuf> {
    if let Ok(name) = fs::read_to_string(root.join(LATEST)) {
        let dir = root.join(name.trim());
        if dir.join(STATE).is_file() {
            return Some(dir);
        }
    }
    let mut steps: Vec<PathBuf> = fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("step-"))
                && p.join(STATE).is_file()
        })
        .collect();
    steps.sort();
    steps.pop()
}

/// Removes all but the newest `keep` checkpoints under `root` (never the one `latest` names),
/// and temporary directories left by interrupted saves.
pub fn prune_checkpoints(root: &Path, keep: usize) -> CkResult<()> {
    let latest = latest_checkpoint(root);
    let entries = fs::read_dir(root).map_err(io_err("cannot list", root))?;
    let mut steps = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp-") && !name.ends_with(&format!("-{}", std::process::id())) {
            fs::remove_dir_all(&path).map_err(io_err("cannot remove", &path))?;
        } else if name.starts_with("step-") {
            steps.push(path);
        }
    }
    steps.sort();
    let excess = steps.len().saturating_sub(keep.max(1));
    for path in steps.into_iter().take(excess) {
        if Some(&path) != latest.as_ref() {
            fs::remove_dir_all(&path).map_err(io_err("cannot remove", &path))?;
        }
    }
    Ok(())
}

impl<B, G, D> Trainer<B, G, D>
where
    B: AutodiffBackend,
    G: Generator<B> + AutodiffModule<B>,
    D: Discriminator<B> + AutodiffModule<B>,
{
    /// Writes a checkpoint of the trainer and the data source's position under `root`
    /// (atomically, see the [module documentation](self)) and points `root/latest` at it.
    /// Returns the checkpoint's directory.
    pub fn save_checkpoint<S: BatchSource<B> + ?Sized>(
        &self,
        data: &S,
        root: &Path,
    ) -> TrainResult<PathBuf> {
        fs::create_dir_all(root).map_err(io_err("cannot create", root))?;
        let name = checkpoint_name(self.iteration);
        let tmp = root.join(format!(".tmp-{name}-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io_err("cannot remove", &tmp))?;
        }
        fs::create_dir(&tmp).map_err(io_err("cannot create", &tmp))?;

        let generator = self.generator();
        let discriminator = self.discriminator();
        let state = CheckpointState {
            format: CHECKPOINT_FORMAT,
            iteration: self.iteration,
            rng: self.rng.clone(),
            data: data.state(),
            generator_params: param_ids(generator),
            discriminator_params: param_ids(discriminator),
            config: serde_json::to_value(&self.config).expect("configs serialise to JSON"),
        };
        let mut files = vec![
            (GENERATOR, weights_bytes(generator, &tmp.join(GENERATOR))?),
            (
                DISCRIMINATOR,
                weights_bytes(discriminator, &tmp.join(DISCRIMINATOR))?,
            ),
            (G_OPTIM, self.g_optim.record_bytes(&tmp.join(G_OPTIM))?),
            (D_OPTIM, self.d_optim.record_bytes(&tmp.join(D_OPTIM))?),
        ];
        if let Some(ema) = &self.ema {
            files.push((EMA, weights_bytes(ema, &tmp.join(EMA))?));
        }
        files.push((
            STATE,
            serde_json::to_vec_pretty(&state).expect("checkpoint state serialises to JSON"),
        ));
        for (file, bytes) in &files {
            write_synced(&tmp.join(file), bytes)?;
        }
        sync_dir(&tmp)?;

        let dir = root.join(&name);
        if dir.exists() {
            // Re-saving the same iteration (after a resume): retire the old copy first.
            let stale = root.join(format!(".tmp-stale-{name}-{}", std::process::id()));
            fs::rename(&dir, &stale).map_err(io_err("cannot move aside", &dir))?;
            fs::remove_dir_all(&stale).map_err(io_err("cannot remove", &stale))?;
        }
        fs::rename(&tmp, &dir).map_err(io_err("cannot move into place", &dir))?;
        sync_dir(root)?;
        write_atomic(&root.join(LATEST), name.as_bytes())?;
        Ok(dir)
    }

    /// Restores the trainer and the data source from the checkpoint directory `dir` (a
    /// `step-*` directory, see [`latest_checkpoint`]). The models must have the checkpoint's
    /// architecture and the training config must match the saved one except for `iterations`.
    pub fn load_checkpoint<S: BatchSource<B> + ?Sized>(
        &mut self,
        data: &mut S,
        dir: &Path,
    ) -> TrainResult<()> {
        let state_path = dir.join(STATE);
        let state = read_state(dir)?;
        // Compare the typed configs (re-serialised), so that float fields stored as f32 compare
        // by value rather than by their decimal text.
        let saved_config: TrainConfig =
            serde_json::from_value(state.config.clone()).map_err(|e| CheckpointError::Corrupt {
                path: state_path.clone(),
                reason: format!("config: {e}"),
            })?;
        let mut current = serde_json::to_value(&self.config).expect("configs serialise");
        let mut saved = serde_json::to_value(&saved_config).expect("configs serialise");
        for value in [&mut current, &mut saved] {
            if let Some(object) = value.as_object_mut() {
                object.remove("iterations");
            }
        }
        if let Some((field, saved, current)) = first_difference(&saved, &current, "") {
            return Err(CheckpointError::ConfigMismatch {
                path: state_path,
                field,
                saved,
                current,
            }
            .into());
        }

        // Load into copies so that a failure leaves the trainer as it was.
        let generator = load_weights(self.generator().clone(), &dir.join(GENERATOR))?;
        let discriminator = load_weights(self.discriminator().clone(), &dir.join(DISCRIMINATOR))?;
        let ema = match &self.ema {
            Some(ema) => Some(load_weights(ema.clone(), &dir.join(EMA))?),
            None => None,
        };
        let g_ids = param_ids(&generator);
        let d_ids = param_ids(&discriminator);

        let remap = |saved: &[u64], current: &[u64], file: &str| {
            if saved.len() != current.len() {
                return Err(CheckpointError::Architecture {
                    path: dir.join(file),
                    details: format!(
                        "{} parameter tensors saved, the model has {}",
                        saved.len(),
                        current.len()
                    ),
                });
            }
            Ok(saved
                .iter()
                .zip(current)
                .map(|(s, c)| (ParamId::from(*s), ParamId::from(*c)))
                .collect::<HashMap<_, _>>())
        };
        let g_map = remap(&state.generator_params, &g_ids, GENERATOR)?;
        let d_map = remap(&state.discriminator_params, &d_ids, DISCRIMINATOR)?;
        let g_optim =
            self.config
                .g_optimizer
                .init()
                .load_bytes(&dir.join(G_OPTIM), &g_map, &self.device)?;
        let d_optim =
            self.config
                .d_optimizer
                .init()
                .load_bytes(&dir.join(D_OPTIM), &d_map, &self.device)?;
        if let Some(data_state) = &state.data {
            data.restore_state(data_state)?;
        }
        self.generator = Some(generator);
        self.discriminator = Some(discriminator);
        self.ema = ema;
        self.g_optim = g_optim;
        self.d_optim = d_optim;
        self.rng = state.rng;
        self.iteration = state.iteration;
        Ok(())
    }
}

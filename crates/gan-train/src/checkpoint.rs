//! Checkpoints: everything needed to continue a run exactly where it stopped, for any
//! [`Algorithm`].
//!
//! A checkpoint is a directory `step-NNNNNNNN/` under a checkpoint root holding
//!
//! - `NAME.safetensors` for every player and extra module of the algorithm (the classic
//!   algorithm writes `generator`, `discriminator` and, with a moving average,
//!   `generator_ema`): the weights and running statistics, readable from Python with the
//!   `safetensors` package;
//! - `NAME_optim.mpk` for every player: its optimizer's state (moments, step counts) in Burn's
//!   named MessagePack record format at full precision;
//! - `state.json`: the format version ([`CHECKPOINT_FORMAT`]), the algorithm's name, the
//!   iteration, the data source's position, every player's parameter identities (they key the
//!   optimizer state) and the algorithm's own state (its RNG, its config, ...).
//!
//! Loading (to resume, sample or evaluate) reads the format version first: a checkpoint of a
//! version this build does not read, older or newer, is [`CheckpointError::Format`], which
//! names both. Version 1 (one generator and one discriminator, before algorithms had players)
//! is still read.
//!
//! Saving is atomic: the files are written and flushed to disk inside a hidden temporary
//! directory, which is then renamed into place, and only then does the `latest` pointer file
//! (itself replaced by a rename) move to it. A crash at any moment leaves the previous
//! checkpoint complete and `latest` pointing at a complete checkpoint.

use std::collections::{BTreeMap, HashMap};
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
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::algorithm::{Algorithm, Player};
use crate::error::{CheckpointError, Result as TrainResult};
use crate::optim::GanOptimizer;

/// The checkpoint format version this build writes (`format` in `state.json`). Raise it
/// whenever the file set or the state's fields change incompatibly: a checkpoint of a version
/// this build does not read is then refused with [`CheckpointError::Format`], naming both.
pub const CHECKPOINT_FORMAT: u64 = 2;
/// The oldest format version this build still reads.
pub const OLDEST_CHECKPOINT_FORMAT: u64 = 1;
const LATEST: &str = "latest";
const STATE: &str = "state.json";
const EMA: &str = "generator_ema";
const GENERATOR: &str = "generator";
const DISCRIMINATOR: &str = "discriminator";

/// The generic fields of `state.json` (the algorithm's own state is read separately, straight
/// from the bytes, so that its 128-bit RNG integers never pass through `serde_json::Value`).
#[derive(Serialize, Deserialize)]
struct Header {
    format: u64,
    /// Absent in version 1, which only the classic algorithm wrote.
    #[serde(default = "classic_name")]
    algorithm: String,
    iteration: usize,
    data: Option<String>,
    /// Parameter identities per player (version 2).
    #[serde(default)]
    players: BTreeMap<String, Vec<u64>>,
    /// Version 1's parameter identities.
    #[serde(default, skip_serializing)]
    generator_params: Option<Vec<u64>>,
    #[serde(default, skip_serializing)]
    discriminator_params: Option<Vec<u64>>,
}

fn classic_name() -> String {
    crate::classic::CLASSIC.to_string()
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

/// Replaces `path` by a file holding `bytes`, atomically (see [`gan_data::write_atomic`]).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> CkResult<()> {
    gan_data::write_atomic(path, bytes).map_err(io_err("cannot write", path))
}

/// Reads and checks the format version of `state.json` in the checkpoint directory `dir`,
/// before anything else, so that a checkpoint of another version is
/// [`CheckpointError::Format`] (naming both versions) rather than a parse error about some
/// field. Returns the file's bytes and its generic fields.
fn read_state(dir: &Path) -> CkResult<(Vec<u8>, Header)> {
    let path = dir.join(STATE);
    if !path.is_file() {
        return Err(CheckpointError::NotFound(dir.to_path_buf()));
    }
    let bytes = fs::read(&path).map_err(io_err("cannot read", &path))?;
    let corrupt = |reason: String| CheckpointError::Corrupt {
        path: path.clone(),
        reason,
    };
    // The version alone first (the other fields are skipped unparsed).
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
    if !(OLDEST_CHECKPOINT_FORMAT..=CHECKPOINT_FORMAT).contains(&found) {
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
    let header: Header = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    Ok((bytes, header))
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
    let ema = dir.join(format!("{EMA}.safetensors"));
    let use_ema = match which {
        GeneratorWeights::Trained => false,
        GeneratorWeights::Inference => ema.is_file(),
        GeneratorWeights::Ema => true,
    };
    let path = if use_ema {
        ema
    } else {
        dir.join(format!("{GENERATOR}.safetensors"))
    };
    Ok((load_weights(module, &path)?, use_ema))
}

/// Loads the discriminator's weights from the checkpoint directory `dir` into `module`, which
/// must have the checkpoint's architecture (on any backend, autodiff or not).
pub fn load_discriminator<B: Backend, M: Module<B>>(module: M, dir: &Path) -> TrainResult<M> {
    read_state(dir)?;
    Ok(load_weights(
        module,
        &dir.join(format!("{DISCRIMINATOR}.safetensors")),
    )?)
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
    // Burn builds each tensor of the record with an assertion on its shape: a damaged file can
    // make it panic (found by the fuzz harness, `tests/fuzz.rs`), which is a refusal here.
    let loaded = gan_data::catch_quietly(|| Recorder::<B>::load(recorder, bytes.to_vec(), device));
    let record: O::Record = match loaded {
        Ok(record) => record?,
        Err(panic) => {
            let reason = gan_data::panic_message(&*panic, "a malformed tensor");
            let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
            return Err(burn::record::RecorderError::DeserializeError(reason));
        }
    };
    let record = record
        .into_iter()
        .filter_map(|(id, v)| remap.get(&id).map(|new| (*new, v)))
        .collect();
    Ok(optimizer.load_record(record))
}

/// Each leaf where two JSON values differ, in key order, as `(path, saved, current)`: `path`
/// names the field with dots (`networks.generator.width`, array elements by index, the empty
/// string for the whole value) and the values are written as JSON. A field present on one side
/// only compares with `null`.
pub fn json_differences(
    saved: &serde_json::Value,
    current: &serde_json::Value,
) -> Vec<(String, String, String)> {
    fn walk(
        at: &str,
        a: &serde_json::Value,
        b: &serde_json::Value,
        out: &mut Vec<(String, String, String)>,
    ) {
        use serde_json::Value;
        let field = |key: &str| {
            if at.is_empty() {
                key.to_string()
            } else {
                format!("{at}.{key}")
            }
        };
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for key in keys {
                    let null = Value::Null;
                    walk(
                        &field(key),
                        x.get(key).unwrap_or(&null),
                        y.get(key).unwrap_or(&null),
                        out,
                    );
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    walk(&field(&i.to_string()), u, v, out);
                }
            }
            _ if a != b => out.push((at.to_string(), a.to_string(), b.to_string())),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", saved, current, &mut out);
    out
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
    complete_checkpoints(root).pop()
}

/// The `step-*` directories under `root` that have a state file, oldest first.
fn complete_checkpoints(root: &Path) -> Vec<PathBuf> {
    let mut steps: Vec<PathBuf> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("step-"))
                && p.join(STATE).is_file()
        })
        .collect();
    steps.sort();
    steps
}

/// Why [`latest_checkpoint`] did not take the checkpoint the `latest` pointer names, when it
/// names one that is missing or has no state file (deleted or damaged): the warning to show
/// before resuming from an older one.
pub fn stale_latest(root: &Path) -> Option<String> {
    let name = fs::read_to_string(root.join(LATEST)).ok()?;
    let named = root.join(name.trim());
    if named.join(STATE).is_file() {
        return None;
    }
    let fallback = latest_checkpoint(root)?;
    Some(format!(
        "{} names {}, which has no {STATE} (deleted or damaged); resuming from the newest \
         complete checkpoint, {}",
        root.join(LATEST).display(),
        named.display(),
        fallback.display()
    ))
}

/// The newest checkpoint under `root` older than `than` that has a state file: where to go on
/// from when `than` is damaged.
pub fn previous_checkpoint(root: &Path, than: &Path) -> Option<PathBuf> {
    complete_checkpoints(root)
        .into_iter()
        .rfind(|p| p.as_path() < than)
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

/// The `state.json` bytes of a checkpoint: the generic header with the algorithm's own state
/// (already serialised) as its last field, `state`.
fn state_bytes(header: &Header, state: Option<&str>) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(header).expect("checkpoint headers serialise");
    if let Some(state) = state {
        let closing = text.rfind('}').expect("a JSON object ends with a brace");
        text.truncate(closing);
        text.push_str(",\n  \"state\": ");
        text.push_str(state);
        text.push_str("\n}");
    }
    text.into_bytes()
}

/// What an [`Algorithm`] writes into a checkpoint: see [`Algorithm::save`].
pub struct CheckpointWriter {
    dir: PathBuf,
    files: Vec<(String, Vec<u8>)>,
    players: BTreeMap<String, Vec<u64>>,
    state: Option<String>,
}

impl CheckpointWriter {
    fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            files: Vec::new(),
            players: BTreeMap::new(),
            state: None,
        }
    }

    fn add_file(&mut self, name: String, bytes: Vec<u8>) -> CkResult<()> {
        if self.files.iter().any(|(n, _)| *n == name) {
            return Err(CheckpointError::Corrupt {
                path: self.dir.join(&name),
                reason: "written twice: two players or modules share a name".into(),
            });
        }
        self.files.push((name, bytes));
        Ok(())
    }

    /// Writes a module's weights as `NAME.safetensors` (an extra module such as a moving
    /// average, without an optimizer).
    pub fn module<B: Backend, M: Module<B>>(&mut self, name: &str, module: &M) -> TrainResult<()> {
        let file = format!("{name}.safetensors");
        let bytes = weights_bytes(module, &self.dir.join(&file))?;
        Ok(self.add_file(file, bytes)?)
    }

    /// Writes a player: its weights, its optimizer's state and its parameter identities.
    pub fn player<B: AutodiffBackend, M: AutodiffModule<B>>(
        &mut self,
        player: &Player<B, M>,
    ) -> TrainResult<()> {
        let name = player.name();
        self.module(name, player.module())?;
        let file = format!("{name}_optim.mpk");
        let bytes = player.optimizer().record_bytes(&self.dir.join(&file))?;
        self.add_file(file, bytes)?;
        self.players
            .insert(name.to_string(), param_ids(player.module()));
        Ok(())
    }

    /// Writes the algorithm's own state (`state` in `state.json`).
    pub fn state<T: Serialize>(&mut self, state: &T) {
        self.state = Some(
            serde_json::to_string_pretty(state).expect("an algorithm's state serialises to JSON"),
        );
    }
}

/// A checkpoint being restored: see [`Algorithm::restore`].
pub struct CheckpointReader {
    dir: PathBuf,
    bytes: Vec<u8>,
    header: Header,
}

impl CheckpointReader {
    /// Opens the checkpoint directory `dir` (a `step-*` directory, see [`latest_checkpoint`]),
    /// checking its format version.
    pub fn open(dir: &Path) -> TrainResult<Self> {
        let (bytes, header) = read_state(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            bytes,
            header,
        })
    }

    /// The checkpoint's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The checkpoint's `state.json`.
    pub fn state_path(&self) -> PathBuf {
        self.dir.join(STATE)
    }

    /// The name of the algorithm that wrote it.
    pub fn algorithm(&self) -> &str {
        &self.header.algorithm
    }

    /// Iterations completed when it was written.
    pub fn iteration(&self) -> usize {
        self.header.iteration
    }

    /// Whether it holds weights under `name`.
    pub fn has_module(&self, name: &str) -> bool {
        self.dir.join(format!("{name}.safetensors")).is_file()
    }

    /// Loads the weights saved under `name` into `module`, which must have their
    /// architecture.
    pub fn module<B: Backend, M: Module<B>>(&self, name: &str, module: M) -> TrainResult<M> {
        Ok(load_weights(
            module,
            &self.dir.join(format!("{name}.safetensors")),
        )?)
    }

    /// Loads a player's weights and optimizer state into copies of its module and a fresh
    /// optimizer (the player itself is untouched; see [`Player::restore`]).
    pub fn player<B: AutodiffBackend, M: AutodiffModule<B>>(
        &self,
        player: &Player<B, M>,
        device: &B::Device,
    ) -> TrainResult<(M, GanOptimizer<M, B>)> {
        let name = player.name();
        let weights = format!("{name}.safetensors");
        let module = load_weights(player.module().clone(), &self.dir.join(&weights))?;
        let saved = self
            .saved_ids(name)
            .ok_or_else(|| CheckpointError::Corrupt {
                path: self.state_path(),
                reason: format!("no parameter identities for the player `{name}`"),
            })?;
        let current = param_ids(&module);
        if saved.len() != current.len() {
            return Err(CheckpointError::Architecture {
                path: self.dir.join(weights),
                details: format!(
                    "{} parameter tensors saved, the model has {}",
                    saved.len(),
                    current.len()
                ),
            }
            .into());
        }
        let remap = saved
            .iter()
            .zip(&current)
            .map(|(s, c)| (ParamId::from(*s), ParamId::from(*c)))
            .collect::<HashMap<_, _>>();
        let optimizer = player.optimizer_config().init().load_bytes(
            &self.dir.join(format!("{name}_optim.mpk")),
            &remap,
            device,
        )?;
        Ok((module, optimizer))
    }

    fn saved_ids(&self, name: &str) -> Option<&Vec<u64>> {
        match (self.header.format, name) {
            (1, GENERATOR) => self.header.generator_params.as_ref(),
            (1, DISCRIMINATOR) => self.header.discriminator_params.as_ref(),
            _ => self.header.players.get(name),
        }
    }

    /// The algorithm's own state (`state` in `state.json`; in version 1 its fields sat at the
    /// top level).
    pub fn state<T: DeserializeOwned>(&self) -> TrainResult<T> {
        #[derive(Deserialize)]
        struct Wrapped<T> {
            state: T,
        }
        let parsed = if self.header.format == 1 {
            serde_json::from_slice::<T>(&self.bytes)
        } else {
            serde_json::from_slice::<Wrapped<T>>(&self.bytes).map(|w| w.state)
        };
        parsed.map_err(|e| {
            CheckpointError::Corrupt {
                path: self.state_path(),
                reason: format!("the algorithm's state: {e}"),
            }
            .into()
        })
    }

    /// Compares a config saved in the algorithm's state with the current one, both as JSON,
    /// ignoring the fields `ignore` (such as `iterations`, which a resumed run may raise):
    /// the first field that differs is [`CheckpointError::ConfigMismatch`], naming it.
    pub fn check_config<T: Serialize>(
        &self,
        saved: &T,
        current: &T,
        ignore: &[&str],
    ) -> TrainResult<()> {
        let mut values =
            [saved, current].map(|c| serde_json::to_value(c).expect("configs serialise"));
        for value in &mut values {
            if let Some(object) = value.as_object_mut() {
                for field in ignore {
                    object.remove(*field);
                }
            }
        }
        if let Some((field, saved, current)) =
            json_differences(&values[0], &values[1]).into_iter().next()
        {
            return Err(CheckpointError::ConfigMismatch {
                path: self.state_path(),
                field,
                saved,
                current,
            }
            .into());
        }
        Ok(())
    }
}

/// Writes a checkpoint of `algorithm` and the data source's position under `root` (atomically,
/// see the [module documentation](self)) and points `root/latest` at it. Returns the
/// checkpoint's directory.
pub fn save_checkpoint<B, A, S>(algorithm: &A, data: &S, root: &Path) -> TrainResult<PathBuf>
where
    B: AutodiffBackend,
    A: Algorithm<B>,
    S: BatchSource<B> + ?Sized,
{
    fs::create_dir_all(root).map_err(io_err("cannot create", root))?;
    let name = checkpoint_name(algorithm.iteration());
    let tmp = root.join(format!(".tmp-{name}-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io_err("cannot remove", &tmp))?;
    }
    fs::create_dir(&tmp).map_err(io_err("cannot create", &tmp))?;

    let mut writer = CheckpointWriter::new(tmp.clone());
    algorithm.save(&mut writer)?;
    let header = Header {
        format: CHECKPOINT_FORMAT,
        algorithm: algorithm.name().to_string(),
        iteration: algorithm.iteration(),
        data: data.state(),
        players: std::mem::take(&mut writer.players),
        generator_params: None,
        discriminator_params: None,
    };
    let state = state_bytes(&header, writer.state.as_deref());
    writer.add_file(STATE.to_string(), state)?;
    for (file, bytes) in &writer.files {
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

/// Restores `algorithm` and the data source from the checkpoint directory `dir` (a `step-*`
/// directory, see [`latest_checkpoint`]). The algorithm must be the one that wrote it, built
/// with the checkpoint's architecture and config (see [`Algorithm::restore`]); on an error it
/// is left as it was.
pub fn load_checkpoint<B, A, S>(algorithm: &mut A, data: &mut S, dir: &Path) -> TrainResult<()>
where
    B: AutodiffBackend,
    A: Algorithm<B>,
    S: BatchSource<B> + ?Sized,
{
    let reader = CheckpointReader::open(dir)?;
    if reader.algorithm() != algorithm.name() {
        return Err(CheckpointError::Algorithm {
            path: reader.state_path(),
            found: reader.algorithm().to_string(),
            expected: algorithm.name(),
        }
        .into());
    }
    algorithm.restore(&reader)?;
    if let Some(data_state) = &reader.header.data {
        data.restore_state(data_state)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::json_differences;
    use serde_json::json;

    #[test]
    fn json_differences_names_each_differing_leaf() {
        let saved = json!({"a": 1, "net": {"width": 64, "layers": [1, 2, 3]}, "gone": true});
        let current = json!({"a": 1, "net": {"width": 32, "layers": [1, 5, 3]}, "new": "x"});
        let found = json_differences(&saved, &current);
        let expected = [
            ("gone", "true", "null"),
            ("net.layers.1", "2", "5"),
            ("net.width", "64", "32"),
            ("new", "null", "\"x\""),
        ];
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for ((path, a, b), (p, x, y)) in found.iter().zip(expected) {
            assert_eq!((path.as_str(), a.as_str(), b.as_str()), (p, x, y));
        }
        // Arrays of different lengths and differing scalars at the top are one difference.
        let found = json_differences(&json!([1, 2]), &json!([1, 2, 3]));
        assert_eq!(
            found,
            vec![(String::new(), "[1,2]".into(), "[1,2,3]".into())]
        );
        assert!(json_differences(&saved, &saved).is_empty());
    }
}

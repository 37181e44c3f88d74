use std::path::PathBuf;

use thiserror::Error;

/// Errors raised while writing or reading a checkpoint.
#[derive(Debug, Error)]
pub enum CheckpointError {
    /// A file or directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint file is truncated or not in the expected format.
    #[error("checkpoint file {path} is unreadable: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A checkpoint written in a format version this build does not read: by an older or a
    /// newer version of gan.
    #[error(
        "checkpoint {path} is in format version {found}, but this build of gan reads version \
         {expected} (and older versions down to {oldest}) only: {advice}",
        oldest = crate::checkpoint::OLDEST_CHECKPOINT_FORMAT
    )]
    Format {
        /// The checkpoint's state file.
        path: PathBuf,
        /// The format version written in it.
        found: u64,
        /// The format version this build reads and writes.
        expected: u64,
        /// What to do about it.
        advice: &'static str,
    },
    /// The weights in a checkpoint do not fit the model being restored.
    #[error("checkpoint file {path} was saved from a different architecture: {details}")]
    Architecture {
        /// The weights file.
        path: PathBuf,
        /// Missing, unexpected or mis-shaped tensors.
        details: String,
    },
    /// The checkpoint was written with another training configuration.
    #[error(
        "checkpoint {path} was trained with `{field}` = {saved}, but the current config has {current}"
    )]
    ConfigMismatch {
        /// The checkpoint's state file.
        path: PathBuf,
        /// The config field that differs.
        field: String,
        /// The saved value.
        saved: String,
        /// The current value.
        current: String,
    },
    /// The checkpoint was written by another training algorithm.
    #[error("checkpoint {path} was written by the `{found}` algorithm, not by `{expected}`")]
    Algorithm {
        /// The checkpoint's state file.
        path: PathBuf,
        /// The algorithm named in it.
        found: String,
        /// The algorithm restoring it.
        expected: &'static str,
    },
    /// No complete checkpoint exists in a directory.
    #[error("no checkpoint found in {0}")]
    NotFound(PathBuf),
}

/// Errors raised by training configuration and the training loop.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A training hyper-parameter outside its valid range.
    #[error("training parameter `{field}` = {value} is invalid: expected {expected}")]
    InvalidParameter {
        /// The config field at fault.
        field: &'static str,
        /// The rejected value, printed.
        value: String,
        /// What the field accepts.
        expected: &'static str,
    },
    /// A shared training setting that the chosen algorithm has no use for.
    #[error(
        "training parameter `{field}` = {value} is not used by the {algorithm} algorithm: leave it unset (its default)"
    )]
    Unused {
        /// The algorithm.
        algorithm: &'static str,
        /// The config field at fault.
        field: &'static str,
        /// The rejected value, printed.
        value: String,
    },
    /// The generator's samples do not fit the discriminator or the data.
    #[error("shape mismatch: {what} has {got} features per sample, expected {expected}")]
    ShapeMismatch {
        /// Which part disagrees.
        what: &'static str,
        /// Its feature count.
        got: usize,
        /// The expected feature count.
        expected: usize,
    },
    /// A class-conditional model was given a dataset without labels.
    #[error("the {model} is class-conditional but the data batches carry no labels")]
    MissingLabels {
        /// Which network needs labels.
        model: &'static str,
    },
    /// A loss (or a weight) became NaN or infinite. The run's last checkpoint is from before.
    #[error(
        "training diverged at step {step}: {what} is {value}; the last checkpoint before it is kept"
    )]
    Diverged {
        /// The iteration at which it happened.
        step: usize,
        /// What became non-finite, e.g. `"generator loss"`.
        what: &'static str,
        /// The non-finite value.
        value: f32,
    },
    /// A collective call between the peers of a data-parallel run failed: a peer stopped, or
    /// the peers' calls did not match.
    #[error(
        "{what} between the peers of a data-parallel run failed ({reason}): a peer stopped or \
         lost its connection; the last checkpoint is kept, resume with the same peers"
    )]
    Collective {
        /// Which call, e.g. `"a gradient all-reduce"`.
        what: &'static str,
        /// Burn's collective error.
        reason: String,
    },
    /// Saving or restoring a checkpoint failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The data source failed.
    #[error(transparent)]
    Data(#[from] gan_data::DataError),
    /// An observer of the run failed (e.g. writing a preview picture).
    #[error(transparent)]
    Observer(Box<dyn std::error::Error + Send + Sync>),
    /// A new run was started in a directory that already holds a checkpoint.
    #[error(
        "{} already holds a checkpoint of an earlier run: resume it or choose another run directory",
        checkpoint.display()
    )]
    RunExists {
        /// The checkpoint found.
        checkpoint: PathBuf,
    },
    /// An observer asked the run to stop (Ctrl-C, for instance); the checkpoint holds every
    /// iteration done.
    #[error("stopped at iteration {iteration}, checkpoint {}", checkpoint.display())]
    Stopped {
        /// The last iteration done.
        iteration: usize,
        /// The checkpoint written at that iteration.
        checkpoint: PathBuf,
    },
    /// The newest checkpoint could not be loaded; an older intact one may remain.
    #[error(
        "cannot resume from {}: {source}{}",
        checkpoint.display(),
        match previous {
            Some(p) => format!(
                "; the next newest checkpoint is {}: move {} out of the run directory and \
                 resume again to continue from there",
                p.display(),
                checkpoint.display()
            ),
            None => " (no older checkpoint is left)".to_string(),
        }
    )]
    DamagedCheckpoint {
        /// The checkpoint that failed to load.
        checkpoint: PathBuf,
        /// Why.
        #[source]
        source: Box<CheckpointError>,
        /// The newest older checkpoint with a state file, if any.
        previous: Option<PathBuf>,
    },
    /// A resume was asked of a run directory without a checkpoint.
    #[error(
        "{} holds no checkpoint to resume (none was written before the run stopped): start it \
         again from its config with `gan train --config {}/config.json --out {}` (which \
         rewrites its metrics.jsonl), or name the run directory that holds the checkpoints",
        dir.display(), dir.display(), dir.display()
    )]
    NoCheckpoint {
        /// The run directory.
        dir: PathBuf,
    },
    /// A run-directory file could not be written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, TrainError>;

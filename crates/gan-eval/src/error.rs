//! Errors of the evaluation crate.

use std::path::PathBuf;

/// Why a metric could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Two feature sets (or a set and its statistics) disagree on their dimension.
    #[error("{what}: features have dimension {found}, expected {expected}")]
    Dimension {
        /// What was being combined.
        what: &'static str,
        /// The dimension found.
        found: usize,
        /// The dimension required.
        expected: usize,
    },
    /// Too few samples for the metric.
    #[error("{metric} needs at least {needed} samples in each set, got {got}")]
    TooFewSamples {
        /// The metric.
        metric: &'static str,
        /// The minimum.
        needed: usize,
        /// What was given.
        got: usize,
    },
    /// A setting is out of range.
    #[error("invalid {field} = {value}: expected {expected}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// Its value.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A cached or converted weight file does not match its checksum or architecture.
    #[error("{path}: {reason}")]
    Weights {
        /// The file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The dataset could not be used.
    #[error(transparent)]
    Data(#[from] gan_data::DataError),
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, EvalError>;
